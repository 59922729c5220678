"""The scalar engine against micrograd, on micrograd's own demo workload, in one run.

One training step of an MLP 2-16-16-1 on 100 two-moons points with a max-margin loss and
an L2 penalty, every operation a scalar node. The model and loss code below is the same
for both engines: only the `Value` class differs. We time forward + backward + update,
count the graph's nodes and measure bytes per node with tracemalloc.

    python benchmarks/scalar_engine.py            # a table
    python benchmarks/scalar_engine.py --json     # ... and a JSON object as the last line
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
import tracemalloc

import numpy as np

from autograd import Value as ChainruleValue
from autograd import keep_freed_memory


def make_moons(n: int, seed: int = 0, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    half = n // 2
    angle = rng.uniform(0, np.pi, n)
    outer = np.stack([np.cos(angle[:half]), np.sin(angle[:half])], axis=1)
    inner = np.stack([1 - np.cos(angle[half:]), 0.5 - np.sin(angle[half:])], axis=1)
    points = np.concatenate([outer, inner]) + rng.normal(0, noise, (n, 2))
    labels = np.concatenate([np.ones(half), -np.ones(n - half)])
    return points, labels


# --- micrograd's demo, written once against a Value class ---------------------------------
def build_mlp(value_class, sizes: list[int], seed: int = 1337) -> list:
    """Layers of neurons as in micrograd's nn.py: weights uniform(-1, 1), bias 0."""
    rng = random.Random(seed)
    layers = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        layers.append([([value_class(rng.uniform(-1, 1)) for _ in range(nin)], value_class(0))
                       for _ in range(nout)])
    return layers


def mlp_forward(layers: list, x: list):
    for depth, layer in enumerate(layers):
        last = depth == len(layers) - 1
        outputs = []
        for weights, bias in layer:
            act = sum((wi * xi for wi, xi in zip(weights, x)), bias)
            outputs.append(act if last else act.relu())
        x = outputs
    return x[0]


def parameters(layers: list) -> list:
    return [p for layer in layers for weights, bias in layer for p in [*weights, bias]]


def loss_of(value_class, layers: list, points: np.ndarray, labels: np.ndarray):
    inputs = [list(map(value_class, row)) for row in points.tolist()]
    scores = [mlp_forward(layers, x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in parameters(layers))
    return data_loss + reg_loss


def train_step(value_class, layers, points, labels, lr: float = 0.05):
    loss = loss_of(value_class, layers, points, labels)
    for p in parameters(layers):
        p.grad = 0.0
    loss.backward()
    for p in parameters(layers):
        p.data -= lr * p.grad
    return loss


# --- measuring ----------------------------------------------------------------------------
def count_nodes(root, parents_of) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in parents_of(stack.pop()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def bytes_per_node(value_class, parents_of, points, labels) -> tuple[int, float]:
    layers = build_mlp(value_class, [2, 16, 16, 1])
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = loss_of(value_class, layers, points, labels)
    loss.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = count_nodes(loss, parents_of)
    return nodes, (after - before) / nodes


def time_steps(value_class, points, labels, repeats: int, gc_enabled: bool) -> list[float]:
    layers = build_mlp(value_class, [2, 16, 16, 1])
    times = []
    gc.collect()
    if not gc_enabled:
        gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            train_step(value_class, layers, points, labels)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    keep_freed_memory()  # as training does (autograd/allocator.py)

    points, labels = make_moons(100)
    engines = {"chainrule": (ChainruleValue, lambda v: v.parents)}
    try:
        from micrograd.engine import Value as MicrogradValue

        engines["micrograd"] = (MicrogradValue, lambda v: v._prev)
    except ImportError:
        print("micrograd is not installed (pip install -e '.[bench]'): reporting chainrule only")

    results = {}
    for name, (value_class, parents_of) in engines.items():
        nodes, per_node = bytes_per_node(value_class, parents_of, points, labels)
        with_gc = time_steps(value_class, points, labels, args.repeats, gc_enabled=True)
        without_gc = time_steps(value_class, points, labels, args.repeats, gc_enabled=False)
        results[name] = {
            "nodes": nodes,
            "bytes_per_node": round(per_node, 1),
            "median_s": statistics.median(with_gc),
            "median_s_gc_off": statistics.median(without_gc),
        }
        median = results[name]["median_s"]
        results[name]["nodes_per_s"] = nodes / median

    print(f"{'engine':<10} {'nodes':>7} {'step (s)':>9} {'gc off (s)':>10} "
          f"{'nodes/s':>10} {'bytes/node':>10}")
    for name, r in results.items():
        print(f"{name:<10} {r['nodes']:>7} {r['median_s']:>9.3f} {r['median_s_gc_off']:>10.3f} "
              f"{r['nodes_per_s']:>10.0f} {r['bytes_per_node']:>10.0f}")

    summary = {
        "repeats": args.repeats,
        "nodes": results["chainrule"]["nodes"],
        "bytes_per_node": results["chainrule"]["bytes_per_node"],
        "median_s": results["chainrule"]["median_s"],
        "median_s_gc_off": results["chainrule"]["median_s_gc_off"],
    }
    if "micrograd" in results:
        ours, theirs = results["chainrule"], results["micrograd"]
        summary.update(
            ratio_vs_micrograd=ours["median_s"] / theirs["median_s"],
            ratio_vs_micrograd_gc_off=ours["median_s_gc_off"] / theirs["median_s_gc_off"],
            micrograd_median_s=theirs["median_s"],
            micrograd_bytes_per_node=theirs["bytes_per_node"],
        )
        print(f"ratio (chainrule / micrograd): {summary['ratio_vs_micrograd']:.3f} with gc, "
              f"{summary['ratio_vs_micrograd_gc_off']:.3f} with gc off")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
