"""MNIST with the lectures' 784-16-16-10 network: speed against peers, and accuracy.

Speed: seconds per epoch of plain mini-batch SGD at batch sizes 10, 32 and 128, for
chainrule (the Tensor engine through nn: `nn.mlp(..., fuse=True)`, as the main job trains
it; "layers", the same network with each ReLU a layer and a graph node of its own; and
"compiled", the fused step under `autograd.compile`, captured then replayed),
PyTorch eager on the CPU (when installed) and the hand-derived numpy baseline of
tests/support/backprop_reference.py, in the same run, with the same initial weights, data
order, float32, and number of BLAS threads. The engines take turns every 50 steps, so
that the slow spells of a shared machine fall on all of them alike.

Accuracy: `chainrule train` with its default settings (the main job), once per seed;
mean and spread of the test accuracy.

    python benchmarks/mnist_mlp.py                       # speed (1 and 2 threads) + accuracy
    python benchmarks/mnist_mlp.py --skip-accuracy --epochs 1
    python benchmarks/mnist_mlp.py --json                # ... JSON object as the last line

The full MNIST is read through CHAINRULE_DATA (or ../shared/data when that folder exists).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import autograd
import nn
from nn.datasets import as_float, load_mnist

# the hand-derived baseline is the tests' reference too: one copy, kept in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
import backprop_reference as reference  # noqa: E402

SIZES = [784, 16, 16, 10]
BATCH_SIZES = (10, 32, 128)
LR = 0.1
CHUNK_STEPS = 50  # steps each engine runs before the next takes its turn


def find_data() -> None:
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if "CHAINRULE_DATA" not in os.environ and shared.is_dir():
        os.environ["CHAINRULE_DATA"] = str(shared)


def initial_weights(seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal((o, i)) * np.sqrt(2.0 / i)).astype(np.float32)
               for i, o in zip(SIZES[:-1], SIZES[1:])]
    biases = [np.zeros(o, np.float32) for o in SIZES[1:]]
    return weights, biases


# --- one epoch of plain SGD, three ways --------------------------------------------------
def epoch_numpy(weights, biases, images, labels, batch_size, order) -> None:
    lr = np.float32(LR)
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        _, weight_grads, bias_grads = reference.loss_and_gradients(
            weights, biases, images[batch], labels[batch])
        for w, b, dw, db in zip(weights, biases, weight_grads, bias_grads):
            w -= lr * dw
            b -= lr * db


def chainrule_model(weights, biases, fuse: bool):
    model = nn.mlp(784, SIZES[1:], activation="relu", fuse=fuse)
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for layer, w, b in zip(linears, weights, biases):
        layer.weight.data = w.copy()
        layer.bias.data = b.copy()
    return model


def epoch_chainrule(model, optimizer, images, labels, batch_size, order) -> None:
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss = autograd.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def compiled_step(model, optimizer):
    """The same training step under autograd.compile: captured, then replayed."""
    @autograd.compile
    def train_step(x, y):
        loss = autograd.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return train_step


def epoch_compiled(train_step, images, labels, batch_size, order) -> None:
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        train_step(images[batch], labels[batch])


def torch_model(torch, weights, biases):
    layers = []
    for i, (w, b) in enumerate(zip(weights, biases)):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def epoch_torch(torch, model, optimizer, images, labels, batch_size, order) -> None:
    loss_fn = torch.nn.functional.cross_entropy
    order = torch.from_numpy(order)
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss = loss_fn(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def runners(images, labels, batch_size: int, torch) -> dict:
    """One epoch function per engine, each with its own copy of the same initial weights."""
    weights, biases = initial_weights(0)
    numpy_weights = [w.copy() for w in weights]
    numpy_biases = [b.copy() for b in biases]
    runs = {"numpy": lambda order: epoch_numpy(
        numpy_weights, numpy_biases, images, labels, batch_size, order)}
    # "chainrule" is the fast path the main job trains (activations fused into their Linear
    # nodes); "layers" is the same network with ReLU as layers of their own
    for name, fuse in (("chainrule", True), ("layers", False)):
        model = chainrule_model(weights, biases, fuse)
        runs[name] = functools.partial(epoch_chainrule, model, nn.SGD(model.parameters(), lr=LR),
                                       images, labels, batch_size)
    model = chainrule_model(weights, biases, fuse=True)  # "compiled": the fast path, replayed
    runs["compiled"] = functools.partial(
        epoch_compiled, compiled_step(model, nn.SGD(model.parameters(), lr=LR)), images,
        labels, batch_size)
    if torch is not None:
        torch_net = torch_model(torch, weights, biases)
        torch_optimizer = torch.optim.SGD(torch_net.parameters(), lr=LR)
        torch_images, torch_labels = torch.from_numpy(images), torch.from_numpy(labels)
        runs["torch"] = lambda order: epoch_torch(
            torch, torch_net, torch_optimizer, torch_images, torch_labels, batch_size, order)
    return runs


def speed(images, labels, threads: int, epochs: int, torch, make_runners=runners,
          batch_sizes=BATCH_SIZES) -> dict[str, dict[int, float]]:
    """Median seconds per epoch, {engine: {batch_size: seconds}}.

    `make_runners(images, labels, batch_size, torch)` gives {engine: run(order)}.
    """
    from threadpoolctl import threadpool_limits

    if torch is not None:
        torch.set_num_threads(threads)
    results: dict[str, dict[int, float]] = {}
    with threadpool_limits(threads):
        for batch_size in batch_sizes:
            runs = make_runners(images, labels, batch_size, torch)
            times: dict[str, list[float]] = {name: [] for name in runs}
            rng = np.random.default_rng(1)
            chunk = CHUNK_STEPS * batch_size
            for _ in range(epochs):
                order = rng.permutation(len(images))
                spent = dict.fromkeys(runs, 0.0)
                # the engines take turns every CHUNK_STEPS steps, so that a slow spell of
                # this shared machine (they last seconds) slows them all alike; who goes
                # first rotates, as each finds the caches as the one before left them
                names = list(runs)
                for k, start in enumerate(range(0, len(order), chunk)):
                    part = order[start:start + chunk]
                    turn = k % len(names)
                    for name in names[turn:] + names[:turn]:
                        began = time.perf_counter()
                        runs[name](part)
                        spent[name] += time.perf_counter() - began
                for name, seconds in spent.items():
                    times[name].append(seconds)
            for name, samples in times.items():
                results.setdefault(name, {})[batch_size] = statistics.median(samples)
    return results


def accuracy(seeds: list[int], epochs: int | None, threads: int) -> dict[str, float]:
    """Test accuracy of `chainrule train` with its defaults, one training run per seed."""
    import tempfile

    from chainrule.cli import main as cli

    scores, seconds = [], []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as out:
            argv = ["train", "--seed", str(seed), "--out", out, "--threads", str(threads),
                    "--no-download"]
            if epochs is not None:
                argv += ["--epochs", str(epochs)]
            start = time.perf_counter()
            if cli(argv) != 0:
                raise SystemExit(f"chainrule {' '.join(argv)} failed")
            seconds.append(time.perf_counter() - start)
            metrics = json.loads((Path(out) / "metrics.json").read_text())
        scores.append(metrics["test_accuracy"])
        print(f"  seed {seed}: test accuracy {scores[-1]:.4f} in {seconds[-1]:.0f} s", flush=True)
    return {"mean": statistics.mean(scores), "stdev": statistics.pstdev(scores),
            "min": min(scores), "max": max(scores), "seconds_per_run": statistics.mean(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7, help="timed epochs per engine")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--accuracy-epochs", type=int, default=None)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    autograd.keep_freed_memory()  # as training does (autograd/allocator.py)

    find_data()
    data = load_mnist(download=False)
    images = as_float(data.train_images)
    labels = data.train_labels.astype(np.int64)
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install -e '.[bench]'): no torch column")
    print(f"data: {data.source}; CPU: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; numpy {np.__version__}"
          + (f"; torch {torch.__version__}" if torch else ""))

    summary: dict[str, float] = {}
    if not args.skip_speed:
        for threads in args.threads:
            results = speed(images, labels, threads, args.epochs, torch)
            print(f"\nseconds per epoch, {threads} BLAS thread(s), median of {args.epochs}:")
            print(f"{'batch':>6} " + " ".join(f"{name:>10}" for name in results)
                  + "  ours/torch  ours/numpy")
            for b in BATCH_SIZES:
                ours = results["chainrule"][b]
                row = f"{b:>6} " + " ".join(f"{results[n][b]:>10.3f}" for n in results)
                vs_numpy = ours / results["numpy"][b]
                vs_torch = ours / results["torch"][b] if "torch" in results else float("nan")
                print(f"{row}  {vs_torch:>10.2f}  {vs_numpy:>10.2f}")
                suffix = "" if threads == 1 else f"_{threads}threads"
                summary[f"ratio_vs_numpy_b{b}{suffix}"] = vs_numpy
                summary[f"seconds_chainrule_b{b}{suffix}"] = ours
                summary[f"seconds_numpy_b{b}{suffix}"] = results["numpy"][b]
                summary[f"seconds_layers_b{b}{suffix}"] = results["layers"][b]
                summary[f"seconds_compiled_b{b}{suffix}"] = results["compiled"][b]
                summary[f"ratio_compiled_vs_numpy_b{b}{suffix}"] = (
                    results["compiled"][b] / results["numpy"][b])
                if "torch" in results:
                    summary[f"ratio_vs_torch_b{b}{suffix}"] = vs_torch
                    summary[f"seconds_torch_b{b}{suffix}"] = results["torch"][b]
    if not args.skip_accuracy:
        print(f"\naccuracy of the recommended settings over {args.seeds} seeds:")
        acc = accuracy(list(range(args.seeds)), args.accuracy_epochs, args.threads[0])
        print(f"test accuracy {acc['mean']:.4f} ± {acc['stdev']:.4f} "
              f"(min {acc['min']:.4f}, max {acc['max']:.4f}), "
              f"{acc['seconds_per_run']:.0f} s per run")
        summary.update(test_accuracy=acc["mean"], test_accuracy_stdev=acc["stdev"],
                       test_accuracy_min=acc["min"],
                       seconds_per_training_run=acc["seconds_per_run"])
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
