"""The network of Nielsen's book, as its reader writes it with chainrule, against numpy.

784-30-10, sigmoid layers, the quadratic cost, float64, plain SGD with lr 3.0 and
mini-batches of 10 (chapter 1 of "Neural Networks and Deep Learning"):

- "numpy": the same network written by hand, vectorised over the batch (BP1-BP4);
- "eager": `nn.mlp(784, [30, 10], activation="sigmoid", output_activation="sigmoid")`,
  `nn.quadratic_cost`, `nn.SGD`: the dynamic graph, rebuilt at every step;
- "compiled": the same training step under `autograd.compile` (captured, then replayed);
- "calls": the very numpy calls the compiled step makes, in its order, with nothing around
  them: what a replay would cost with no framework at all (the run checks that it ends
  with the compiled step's weights, to the last bit);
- "network.py": the book's own per-example loop (column vectors, one example at a time).

Every engine starts from the same weights and sees the same batches, on one BLAS thread,
in the same process; they take turns every 50 steps (the first rotating) so that a slow
spell of a shared machine falls on all alike. Figures are medians of microseconds per
step over the turns; the ratios come last.

    python benchmarks/nielsen.py                 # table
    python benchmarks/nielsen.py --json          # ... and a JSON object as the last line

The full MNIST is read through CHAINRULE_DATA (or ../shared/data when that folder exists).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import autograd
import nn
from nn.datasets import load_mnist

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_mlp import find_data  # noqa: E402

SIZES = (784, 30, 10)
LR = 3.0
CHUNK_STEPS = 50


def initial_weights(seed: int) -> list[np.ndarray]:
    """W1, b1, W2, b2 drawn from N(0, 1), as the book's network.py draws them."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((30, 784)), rng.standard_normal(30),
            rng.standard_normal((10, 30)), rng.standard_normal(10)]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_runner(params: list[np.ndarray]):
    """The hand-written step: forward, BP1-BP4 over the batch, SGD; in place."""
    w1, b1, w2, b2 = params

    def step(x: np.ndarray, y: np.ndarray) -> None:
        nonlocal w1, b1, w2, b2  # updated in place (-=), never rebound
        a1 = sigmoid(x @ w1.T + b1)
        a2 = sigmoid(a1 @ w2.T + b2)
        delta2 = (a2 - y) * a2 * (1.0 - a2) / len(x)  # BP1 for C = Σ‖a - y‖² / 2n
        delta1 = (delta2 @ w2) * a1 * (1.0 - a1)  # BP2
        w2 -= LR * (delta2.T @ a1)  # BP4
        b2 -= LR * delta2.sum(axis=0)  # BP3
        w1 -= LR * (delta1.T @ x)
        b1 -= LR * delta1.sum(axis=0)
    return step


def network_py_runner(params: list[np.ndarray]):
    """network.py's update_mini_batch: backprop one column-vector example at a time."""
    w1, b1, w2, b2 = params
    weights, biases = [w1, w2], [b1.reshape(-1, 1), b2.reshape(-1, 1)]

    def step(x: np.ndarray, y: np.ndarray) -> None:
        nabla_w = [np.zeros(w.shape) for w in weights]
        nabla_b = [np.zeros(b.shape) for b in biases]
        for xi, yi in zip(x, y):
            activation, activations, zs = xi.reshape(-1, 1), [xi.reshape(-1, 1)], []
            for w, b in zip(weights, biases):
                z = w @ activation + b
                zs.append(z)
                activation = sigmoid(z)
                activations.append(activation)
            delta = (activations[-1] - yi.reshape(-1, 1)) * sigmoid(zs[-1]) * (
                1 - sigmoid(zs[-1]))
            deltas = [None, delta]
            deltas[0] = (weights[1].T @ delta) * sigmoid(zs[0]) * (1 - sigmoid(zs[0]))
            for layer in range(2):
                nabla_b[layer] += deltas[layer]
                nabla_w[layer] += deltas[layer] @ activations[layer].T
        for w, b, nw, nb in zip(weights, biases, nabla_w, nabla_b):
            w -= (LR / len(x)) * nw
            b -= (LR / len(x)) * nb
    return step


def calls_runner(params: list[np.ndarray]):
    """The compiled step's numpy calls by hand: the parameters are views of one flat
    array and their gradients of another, as the optimizer keeps them."""
    arena = np.concatenate([p.reshape(-1) for p in params])
    grads, scratch = np.zeros_like(arena), np.empty_like(arena)
    ends = np.cumsum([0] + [p.size for p in params])
    w1, b1, w2, b2 = (arena[a:b].reshape(p.shape) for a, b, p in zip(ends, ends[1:], params))
    gw1, gb1, gw2, gb2 = (grads[a:b].reshape(p.shape) for a, b, p in zip(ends, ends[1:], params))
    w1t, w2t = w1.T, w2.T
    cap = 709.0  # autograd.mathfn's cap of e^-z in float64 (σ is 0 below -709 anyway)

    def sigmoid_in_place(z: np.ndarray) -> np.ndarray:
        e = np.negative(z)
        np.minimum(e, cap, out=e)
        np.exp(e, out=e)
        e += 1.0
        return np.reciprocal(e, out=e)

    def step(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        n = len(x)
        ones = np.ones(n)
        z1 = np.dot(x, w1t)
        z1 += b1
        a1 = sigmoid_in_place(z1)
        z2 = np.dot(a1, w2t)
        z2 += b2
        a2 = sigmoid_in_place(z2)
        diff = a2 - y
        flat = diff.reshape(-1)
        scale = 1.0 / (2 * n)
        loss = np.dot(flat, flat) * scale
        g = diff * (2.0 * scale * 1.0)  # the seed, 1.0
        g = g * a2 * (1.0 - a2)
        g1 = np.dot(g, w2)
        np.dot(g.T, a1, out=gw2)
        np.dot(ones, g, out=gb2)
        g1 = g1 * a1 * (1.0 - a1)
        np.dot(g1.T, x, out=gw1)
        np.dot(ones, g1, out=gb1)
        np.multiply(grads, LR, out=scratch)
        np.subtract(arena, scratch, out=arena)  # arena -= scratch, as the optimizer
        return loss
    step.arena = arena
    return step


def chainrule_runner(params: list[np.ndarray], compiled: bool):
    model = nn.mlp(784, [30, 10], activation="sigmoid", output_activation="sigmoid",
                   dtype="float64")
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for layer, (w, b) in zip(linears, (params[:2], params[2:])):
        layer.weight.data = w.copy()
        layer.bias.data = b.copy()
    optimizer = nn.SGD(model.parameters(), lr=LR)

    def train_step(x: np.ndarray, y: np.ndarray) -> autograd.Tensor:
        loss = nn.quadratic_cost(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    step = autograd.compile(train_step) if compiled else train_step
    step.model = model
    return step


def runners(batch_size: int, with_network_py: bool) -> dict:
    weights = initial_weights(0)
    runs = {"numpy": numpy_runner([w.copy() for w in weights]),
            "eager": chainrule_runner(weights, compiled=False),
            "compiled": chainrule_runner(weights, compiled=True),
            "calls": calls_runner(weights)}
    if with_network_py:
        runs["network.py"] = network_py_runner([w.copy() for w in weights])
    return runs


def measure(images: np.ndarray, targets: np.ndarray, batch_size: int, steps: int,
            with_network_py: bool) -> dict[str, float]:
    """Median µs per step of each engine over turns of CHUNK_STEPS steps."""
    from threadpoolctl import threadpool_limits

    runs = runners(batch_size, with_network_py)
    per_step: dict[str, list[float]] = {name: [] for name in runs}
    order = np.random.default_rng(1).permutation(len(images))
    batches = [order[i:i + batch_size] for i in range(0, steps * batch_size, batch_size)]
    names = list(runs)
    with threadpool_limits(1):
        for k, first in enumerate(range(0, len(batches), CHUNK_STEPS)):
            chunk = [(images[b], targets[b]) for b in batches[first:first + CHUNK_STEPS]]
            turn = k % len(names)
            for name in names[turn:] + names[:turn]:
                run = runs[name]
                began = time.perf_counter()
                for x, y in chunk:
                    run(x, y)
                per_step[name].append((time.perf_counter() - began) / len(chunk) * 1e6)
    # "calls" stands for the compiled step only if it computed the same numbers
    weights = {name: np.concatenate([p.data.reshape(-1) for p in runs[name].model.parameters()])
               for name in ("eager", "compiled")}
    if not (np.array_equal(weights["eager"], weights["compiled"])
            and np.array_equal(weights["compiled"], runs["calls"].arena)):
        raise SystemExit("nielsen: eager, compiled and calls ended with different weights")
    # the first turn of "compiled" holds its two captures: leave every engine's first out
    return {name: statistics.median(samples[1:]) for name, samples in per_step.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="steps per engine")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--network-py", action="store_true",
                        help="also time the book's per-example loop (slow)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    autograd.keep_freed_memory()
    find_data()
    data = load_mnist(download=False)
    images = data.train_images.reshape(len(data.train_images), -1) / 255.0  # float64
    targets = np.eye(10)[data.train_labels]
    results = measure(images, targets, args.batch_size, args.steps, args.network_py)
    print(f"Nielsen's 784-30-10 sigmoid network, quadratic cost, float64, batch "
          f"{args.batch_size}, 1 BLAS thread: µs per step (median over turns of "
          f"{CHUNK_STEPS} steps)")
    for name, micros in results.items():
        print(f"  {name:>10}: {micros:8.1f} µs  ({micros / results['numpy']:.2f}x numpy)")
    summary = {f"us_per_step_{name.replace('.', '_')}": micros
               for name, micros in results.items()}
    for name in results:
        if name != "numpy":
            summary[f"ratio_{name.replace('.', '_')}_vs_numpy"] = results[name] / results["numpy"]
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
