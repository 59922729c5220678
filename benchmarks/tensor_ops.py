"""Per-op cost of the Tensor engine (forward + backward) against raw numpy and PyTorch.

    python benchmarks/tensor_ops.py            # a table
    python benchmarks/tensor_ops.py --json     # ... and a JSON object as the last line

For add, mul, matmul, exp, sum and relu on small (4x4) and medium (256x256) float32
arrays: chainrule records the op and runs backward (so each row includes one backward
call's fixed cost; the "chain" row, 32 elementwise ops then one backward, gives the cost
per op inside a graph); "numpy" does the same math by hand
(forward and the gradient formulas, no graph); "torch" is PyTorch eager on the CPU, when
installed. Medians over repeats, one BLAS thread. The chainrule - numpy column is the
engine's bookkeeping per op.

A graph keeps every intermediate array alive until backward ends, then frees them all at
once; with glibc's default thresholds it returns the heap to the OS and the next pass
page-faults it back. This benchmark raises those thresholds first, as training does
(`autograd.keep_freed_memory`, autograd/allocator.py); CHAINRULE_KEEP_MALLOC=1 in the
environment leaves them alone and shows that cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from autograd import Tensor, keep_freed_memory  # noqa: E402

SIZES = {"small": (4, 4), "medium": (256, 256)}
OPS = ("add", "mul", "matmul", "exp", "sum", "relu", "chain")
CHAIN = 32  # "chain": y = y * b + a, 16 times (32 ops), timed per op


def _chain(a, b, seed):
    y = a
    for _ in range(CHAIN // 2):
        y = y * b + a
    y.backward(seed)


def graph_case(x, y, op: str, seed) -> Callable[[], None]:
    """Forward + backward of `op` on two leaves of either engine (same code for both)."""
    forward = {
        "add": lambda: x + y, "mul": lambda: x * y, "matmul": lambda: x @ y,
        "exp": lambda: x.exp(), "sum": lambda: x.sum(), "relu": lambda: x.relu(),
        "chain": lambda: _chain(x, y, seed),
    }[op]
    if op == "sum":
        seed = None

    def run() -> None:
        x.grad = y.grad = None
        out = forward()
        if out is not None:
            out.backward(seed)
    return run


def chainrule_case(op: str, a: np.ndarray, b: np.ndarray) -> Callable[[], None]:
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    return graph_case(x, y, op, np.ones(a.shape, dtype=a.dtype))


def numpy_case(op: str, a: np.ndarray, b: np.ndarray) -> Callable[[], None]:
    g = np.ones(a.shape, dtype=a.dtype)

    def add():
        _ = a + b
        return g, g

    def mul():
        _ = a * b
        return g * b, g * a

    def matmul():
        _ = a @ b
        return g @ b.T, a.T @ g

    def exp():
        e = np.exp(a)
        return g * e

    def total():
        _ = a.sum()
        return np.ones_like(a)

    def relu():
        _ = np.maximum(a, 0)
        return g * (a > 0)

    def chain():
        ys = [a]
        for _ in range(CHAIN // 2):
            ys.append(ys[-1] * b + a)
        grad, grad_a, grad_b = g, g, None
        for y in reversed(ys[:-1]):  # through + a (grad passes) and * b
            grad_a = grad_a + grad
            term = grad * y
            grad_b = term if grad_b is None else grad_b + term
            grad = grad * b
        return grad_a + grad, grad_b

    return {"add": add, "mul": mul, "matmul": matmul, "exp": exp, "sum": total,
            "relu": relu, "chain": chain}[op]


def torch_case(torch, op: str, a: np.ndarray, b: np.ndarray) -> Callable[[], None]:
    x = torch.tensor(a, requires_grad=True)
    y = torch.tensor(b, requires_grad=True)
    return graph_case(x, y, op, torch.ones(a.shape))


def median_seconds(fn: Callable[[], None], repeats: int, budget: float) -> float:
    """Median time of one call, over `repeats` batches sized to take about `budget` s each."""
    fn()  # warm up
    timer = timeit.Timer(fn)
    number, elapsed = 1, timer.timeit(1)
    while elapsed < budget / 4 and number < 1_000_000:
        number *= 4
        elapsed = timer.timeit(number)
    number = max(1, int(number * budget / max(elapsed, 1e-9)))
    return statistics.median(timer.repeat(repeat=repeats, number=number)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="also print a JSON summary")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.04,
                        help="seconds per timed batch (keeps a run well under a minute)")
    args = parser.parse_args()
    keep_freed_memory()  # as training does (autograd/allocator.py)

    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=1)
    except ImportError:
        limits = None
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None

    rng = np.random.default_rng(0)
    rows = []
    for size_name, shape in SIZES.items():
        a = rng.standard_normal(shape).astype(np.float32)
        b = rng.standard_normal(shape).astype(np.float32)
        for op in OPS:
            per = CHAIN if op == "chain" else 1  # a chain reports the time per op
            row = {"op": op, "size": size_name, "shape": list(shape)}
            row["numpy_us"] = 1e6 / per * median_seconds(numpy_case(op, a, b), args.repeats,
                                                         args.budget)
            row["chainrule_us"] = 1e6 / per * median_seconds(chainrule_case(op, a, b),
                                                             args.repeats, args.budget)
            if torch is not None:
                row["torch_us"] = 1e6 / per * median_seconds(torch_case(torch, op, a, b),
                                                             args.repeats, args.budget)
            rows.append(row)
    if limits is not None:
        limits.unregister()

    header = f"{'op':<8}{'size':<8}{'numpy us':>10}{'chainrule us':>14}{'overhead us':>13}"
    header += f"{'torch us':>10}{'chainrule/torch':>17}" if torch is not None else ""
    print("forward + backward per op, float32, 1 thread, median of", args.repeats)
    print(header)
    for r in rows:
        line = (f"{r['op']:<8}{r['size']:<8}{r['numpy_us']:>10.2f}{r['chainrule_us']:>14.2f}"
                f"{r['chainrule_us'] - r['numpy_us']:>13.2f}")
        if torch is not None:
            line += f"{r['torch_us']:>10.2f}{r['chainrule_us'] / r['torch_us']:>17.2f}"
        print(line)
    print(f"(chain: y = y * b + a repeated, {CHAIN} ops and one backward; time per op)")
    if torch is None:
        print("(PyTorch not installed: no torch column)")
    if args.json:
        summary = {"benchmark": "tensor_ops", "unit": "microseconds", "threads": 1,
                   "torch": None if torch is None else torch.__version__, "rows": rows}
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
