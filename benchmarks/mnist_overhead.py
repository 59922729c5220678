"""What the framework costs on the 784-16-16-10 MNIST step, measured by taking it away.

Four ways to run the same plain-SGD epoch, timed as `benchmarks/mnist_mlp.py` times them
(same data order and weights, engines taking turns every 50 steps, the first rotating):

- "numpy": the hand-written loop of `tests/support/backprop_reference.py`, the baseline of #5;
- "calls": the very numpy calls chainrule's fused path makes, with nothing around them;
- "ops": chainrule's ops (`linear`, `cross_entropy`, backward, SGD) called directly;
- "chainrule": the model, as `nn.mlp(..., fuse=True)` runs it.

"calls" / "numpy" is what chainrule's choice of numpy calls gains; "ops" - "calls" is the
engine's cost (graph nodes, checks, traversal); "chainrule" - "ops" is the modules'.

    python benchmarks/mnist_overhead.py --batch-sizes 10 32 --epochs 3
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import numpy as np

import autograd
import nn
from nn.datasets import as_float, load_mnist

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist_mlp as bench  # noqa: E402


def epoch_calls(params, images, labels, batch_size, order) -> None:
    """chainrule's numpy calls for one epoch, in its order, with no framework."""
    w1, b1, w2, b2, w3, b3 = params["weights"]
    arena, grads, scratch = params["arena"], params["grads"], params["scratch"]
    gw1, gb1, gw2, gb2, gw3, gb3 = params["grad_views"]
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        x, y = images[batch], labels[batch]
        n = len(batch)
        ones_n, ones_c = np.ones(n, np.float32), params["ones_c"]
        h1 = np.dot(x, w1.T)
        h1 += b1
        h1 = np.maximum(h1, 0)
        h2 = np.dot(h1, w2.T)
        h2 += b2
        h2 = np.maximum(h2, 0)
        z = np.dot(h2, w3.T)
        z += b3
        picked = np.ravel_multi_index((np.arange(n), y), z.shape)
        shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)
        e = np.exp(shifted)
        total = np.dot(e, ones_c)
        losses = np.log(total) - shifted.take(picked)
        _ = np.dot(ones_n, losses) / n
        d = e * ((1.0 / n) / total.reshape(n, 1))
        d.reshape(-1)[picked] -= 1.0 / n
        g3 = d
        g2 = np.dot(g3, w3) * (h2 > 0)
        g1 = np.dot(g2, w2) * (h1 > 0)
        # the gradients straight into the flat buffer's views, as the engine writes them
        np.dot(g1.T, x, out=gw1)
        np.dot(ones_n, g1, out=gb1)
        np.dot(g2.T, h1, out=gw2)
        np.dot(ones_n, g2, out=gb2)
        np.dot(g3.T, h2, out=gw3)
        np.dot(ones_n, g3, out=gb3)
        np.multiply(grads, bench.LR, out=scratch)
        arena -= scratch


def epoch_ops(model, optimizer, images, labels, batch_size, order) -> None:
    """chainrule's ops called directly: no Module.__call__, no Sequential."""
    layers = [(layer.weight, layer.bias, layer.activation) for layer in model]
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        h = images[batch]
        for weight, bias, activation in layers:
            h = autograd.linear(h, weight, bias, activation)
        loss = autograd.cross_entropy(h, labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def overhead_runners(images, labels, batch_size: int, torch) -> dict:
    weights, biases = bench.initial_weights(0)
    numpy_weights, numpy_biases = [w.copy() for w in weights], [b.copy() for b in biases]
    flat = [a for pair in zip(weights, biases) for a in pair]
    arena = np.concatenate(flat, axis=None)
    bounds = np.cumsum([0] + [a.size for a in flat])
    views = [arena[lo:hi].reshape(a.shape) for lo, hi, a in zip(bounds, bounds[1:], flat)]
    grads = np.empty_like(arena)
    calls = {"weights": views, "arena": arena, "grads": grads, "scratch": np.empty_like(arena),
             "grad_views": [grads[lo:hi].reshape(a.shape)
                            for lo, hi, a in zip(bounds, bounds[1:], flat)],
             "ones_c": np.ones(bench.SIZES[-1], np.float32)}
    runs = {
        "numpy": lambda order: bench.epoch_numpy(
            numpy_weights, numpy_biases, images, labels, batch_size, order),
        "calls": functools.partial(epoch_calls, calls, images, labels, batch_size),
    }
    for name, epoch in (("ops", epoch_ops), ("chainrule", bench.epoch_chainrule)):
        model = bench.chainrule_model(weights, biases, fuse=True)
        optimizer = nn.SGD(model.parameters(), lr=bench.LR)
        runs[name] = functools.partial(epoch, model, optimizer, images, labels, batch_size)
    return runs


def check_calls_follow_the_engine(images, labels) -> None:
    """"calls" must stay the engine's own arithmetic: 100 steps of each from the same start
    must reach the same weights (up to float32 rounding), or the comparison means nothing."""
    runs = overhead_runners(images, labels, 10, None)
    order = np.arange(1000)
    runs["calls"](order)
    runs["ops"](order)
    calls = runs["calls"].args[0]["arena"]
    model = runs["ops"].args[0]
    engine = np.concatenate([p.data for p in model.parameters()], axis=None)
    if not np.allclose(calls, engine, rtol=1e-4, atol=1e-6):
        raise SystemExit("mnist_overhead: the bare numpy calls no longer compute what the "
                         f"engine does (max difference {np.abs(calls - engine).max():.2e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[10, 32])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    autograd.keep_freed_memory()  # as training does (autograd/allocator.py)
    bench.find_data()
    data = load_mnist(download=False)
    images, labels = as_float(data.train_images), data.train_labels.astype(np.int64)
    check_calls_follow_the_engine(images, labels)
    results = bench.speed(images, labels, args.threads, args.epochs, None,
                          overhead_runners, args.batch_sizes)
    print(f"microseconds per step, {args.threads} BLAS thread(s), median of {args.epochs}:")
    print(f"{'batch':>6} " + " ".join(f"{name:>10}" for name in results)
          + "  calls/numpy  ops/numpy  chainrule/numpy")
    for b in args.batch_sizes:
        steps = -(-len(images) // b)
        micro = {name: results[name][b] / steps * 1e6 for name in results}
        print(f"{b:>6} " + " ".join(f"{micro[n]:>10.1f}" for n in results)
              + "".join(f"  {micro[n] / micro['numpy']:>{w}.2f}"
                        for n, w in (("calls", 11), ("ops", 9), ("chainrule", 15))))


if __name__ == "__main__":
    main()
