"""LeNet-5 on MNIST: chainrule, eager and compiled, against PyTorch eager on the CPU, in one run.

Both train the same network (nn.models.LeNet5: conv 6@5x5 pad 2, max pool, conv 16@5x5,
max pool, fc 120, 84, 10, ReLU) from the same initial weights (PyTorch's weight layout
is ours, so they are copied one to one), on the same batches in the same order, with the
same optimizer, float32 and number of threads; "compiled" is the same step under
`autograd.compile` on a third copy of the weights. The engines take turns epoch by epoch,
who goes first rotating, so that a change in the machine's load hits all alike. We report
seconds per training epoch, test accuracy after each epoch, and the ratios of our times
to PyTorch's.

The recipe: inputs standardised with MNIST's mean and deviation, LeNet5's default
(Xavier-uniform) initialisation, Adam at lr 2e-3 multiplied by 0.3 after each epoch,
batch 64. It reaches about 99.1% test accuracy in 3 epochs (seeds 0 and 1).

    python benchmarks/conv.py                          # 3 epochs, 1 thread
    python benchmarks/conv.py --epochs 1 --limit 6000  # a quick look
    python benchmarks/conv.py --threads 2 --json       # JSON object as the last line
    python benchmarks/conv.py --profile --limit 6400   # where our time goes

The full MNIST is read through CHAINRULE_DATA (or ../shared/data when that folder
exists); without it, the 5,000-digit sample shipped with chainrule is used, and said so.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import platform
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import autograd  # noqa: E402
import nn  # noqa: E402
from nn.datasets import DatasetError, load_mnist, load_mnist_sample  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_mlp import find_data  # noqa: E402

MEAN, STD = 0.1307, 0.3081  # MNIST's pixel statistics, for standardised inputs


def load_data(limit: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Standardised float32 images (n, 1, 28, 28) and int64 labels, train and test."""
    find_data()
    try:
        data = load_mnist(download=False, progress=False)
        source = f"MNIST ({data.source})"
    except DatasetError:
        data = load_mnist_sample()
        source = ("the 5,000-digit MNIST sample shipped with chainrule (full MNIST not found: "
                  "set CHAINRULE_DATA)")

    def prepare(images: np.ndarray) -> np.ndarray:
        x = images.astype(np.float32)[:, None] / np.float32(255)
        return (x - np.float32(MEAN)) / np.float32(STD)

    x_train, y_train = prepare(data.train_images), data.train_labels.astype(np.int64)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return (x_train, y_train, prepare(data.test_images), data.test_labels.astype(np.int64),
            source)


def batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


# --- chainrule ---------------------------------------------------------------------------
def make_optimizer(args: argparse.Namespace, params: Any, torch: Any = None) -> Any:
    if args.optimizer == "adam":
        return (torch.optim.Adam(params, lr=args.lr) if torch else nn.Adam(params, lr=args.lr))
    return (torch.optim.SGD(params, lr=args.lr, momentum=0.9) if torch
            else nn.SGD(params, lr=args.lr, momentum=0.9))


def epoch_ours(model: nn.Module, optimizer: Any, x: np.ndarray, y: np.ndarray,
               order: list[np.ndarray]) -> None:
    model.train()
    for index in order:
        loss = nn.cross_entropy(model(autograd.Tensor(x[index])), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def compiled_step(model: nn.Module, optimizer: Any) -> Any:
    """The training step of `epoch_ours` under autograd.compile: captured, then replayed."""
    @autograd.compile
    def train_step(x: np.ndarray, y: np.ndarray) -> autograd.Tensor:
        loss = nn.cross_entropy(model(autograd.Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return train_step


def epoch_compiled(model: nn.Module, train_step: Any, x: np.ndarray, y: np.ndarray,
                   order: list[np.ndarray]) -> None:
    model.train()  # as epoch_ours: the accuracy pass left it in eval mode
    for index in order:
        train_step(x[index], y[index])


def accuracy_ours(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    correct = 0
    with autograd.no_grad():
        for i in range(0, len(x), 1000):
            correct += int((model(autograd.Tensor(x[i:i + 1000])).data.argmax(1)
                            == y[i:i + 1000]).sum())
    return correct / len(x)


# --- PyTorch -----------------------------------------------------------------------------
def torch_model(torch: Any, ours: nn.Module, pooling: str) -> Any:
    """The same LeNet-5 in PyTorch, starting from our model's weights."""
    tnn = torch.nn
    pool = tnn.MaxPool2d if pooling == "max" else tnn.AvgPool2d
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), pool(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), pool(2), tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    state = {name: torch.from_numpy(array.copy()) for name, array in ours.state_dict().items()}
    model.load_state_dict(state)  # names and shapes agree: "0.weight", "3.bias", ...
    return model


def epoch_torch(torch: Any, model: Any, optimizer: Any, x: Any, y: Any,
                order: list[np.ndarray]) -> None:
    model.train()
    loss_fn = torch.nn.functional.cross_entropy
    for index in order:
        index = torch.from_numpy(index)
        loss = loss_fn(model(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def accuracy_torch(torch: Any, model: Any, x: Any, y: Any) -> float:
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((predicted == y).float().mean())


# --- the run -----------------------------------------------------------------------------
def profile_ours(args: argparse.Namespace, x: np.ndarray, y: np.ndarray) -> None:
    """cProfile of our training loop, then the forward time of each layer."""
    model = nn.LeNet5(pooling=args.pooling, seed=args.seed)
    optimizer = make_optimizer(args, model.parameters())
    order = batches(len(x), args.batch_size, np.random.default_rng(args.seed))
    profiler = cProfile.Profile()
    profiler.enable()
    epoch_ours(model, optimizer, x, y, order)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(18)
    print(f"cProfile of one epoch on {len(x)} examples, by time spent in the function itself:")
    print("\n".join(line for line in text.getvalue().splitlines()[4:] if line.strip()))

    spent: dict[str, float] = {}
    for i, layer in enumerate(model):
        name = f"{i}: {type(layer).__name__}"
        spent[name] = 0.0
        original = layer.forward

        def timed(*inputs: Any, _f: Any = original, _name: str = name) -> Any:
            start = time.perf_counter()
            out = _f(*inputs)
            spent[_name] += time.perf_counter() - start
            return out

        layer.forward = timed
    backward = 0.0
    for index in order:
        loss = nn.cross_entropy(model(autograd.Tensor(x[index])), y[index])
        optimizer.zero_grad()
        start = time.perf_counter()
        loss.backward()
        backward += time.perf_counter() - start
        optimizer.step()
    print("\nforward time per layer over one epoch (s):")
    for name, seconds in spent.items():
        print(f"  {name:<14} {seconds:7.3f}")
    print(f"  {'backward':<14} {backward:7.3f}  (all layers, one traversal)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (1 or 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--lr", type=float, default=None,
                        help="first epoch's learning rate (default: 2e-3 for Adam, 0.01 for "
                        "SGD with momentum 0.9)")
    parser.add_argument("--lr-decay", type=float, default=0.3,
                        help="multiply the learning rate by this after each epoch")
    parser.add_argument("--pooling", choices=("max", "avg"), default="max")
    parser.add_argument("--limit", type=int, default=None, help="use the first N training "
                        "examples only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch", action="store_true", help="time chainrule alone")
    parser.add_argument("--profile", action="store_true",
                        help="profile one epoch of chainrule instead of the comparison")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    args = parser.parse_args()
    autograd.keep_freed_memory()  # as training does (autograd/allocator.py)
    if args.lr is None:
        args.lr = 2e-3 if args.optimizer == "adam" else 0.01

    from threadpoolctl import threadpool_limits

    x_train, y_train, x_test, y_test, source = load_data(args.limit)
    print(f"data: {source}; {len(x_train)} training, {len(x_test)} test images")
    print(f"LeNet-5, {args.optimizer} lr {args.lr} (x{args.lr_decay} per epoch), "
          f"batch {args.batch_size}, "
          f"{args.threads} thread(s), {args.epochs} epoch(s)")
    with threadpool_limits(args.threads):
        if args.profile:
            profile_ours(args, x_train, y_train)
            return
        results = compare(args, x_train, y_train, x_test, y_test)
    results.update(data=source, threads=args.threads, epochs=args.epochs,
                   batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
                   lr_decay=args.lr_decay,
                   train_examples=len(x_train), python=platform.python_version(),
                   numpy=np.__version__)
    if args.json:
        print(json.dumps(results))


def compare(args: argparse.Namespace, x_train: np.ndarray, y_train: np.ndarray,
            x_test: np.ndarray, y_test: np.ndarray) -> dict[str, Any]:
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: timing chainrule alone")
    ours = nn.LeNet5(pooling=args.pooling, seed=args.seed)
    ours_opt = make_optimizer(args, ours.parameters())
    # "compiled": the same model, initial weights and data, trained by a compiled step
    twin = nn.LeNet5(pooling=args.pooling, seed=args.seed)
    twin_opt = make_optimizer(args, twin.parameters())
    twin_step = compiled_step(twin, twin_opt)
    if torch is not None:
        torch.set_num_threads(args.threads)
        theirs = torch_model(torch, ours, args.pooling)
        theirs_opt = make_optimizer(args, theirs.parameters(), torch)
        tx_train, ty_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
        tx_test, ty_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    rng = np.random.default_rng(args.seed)
    times: dict[str, list[float]] = {"chainrule": [], "compiled": [], "torch": []}
    accuracy: dict[str, list[float]] = {"chainrule": [], "compiled": [], "torch": []}
    for epoch in range(args.epochs):
        order = batches(len(x_train), args.batch_size, rng)
        ours_opt.lr = args.lr * args.lr_decay ** epoch  # a step schedule, the same for all
        twin_opt.lr = ours_opt.lr  # read by the compiled step at each replay
        if torch is not None:
            for group in theirs_opt.param_groups:
                group["lr"] = ours_opt.lr
        runs = {"chainrule": functools.partial(epoch_ours, ours, ours_opt, x_train, y_train),
                "compiled": functools.partial(epoch_compiled, twin, twin_step, x_train,
                                                y_train)}
        if torch is not None:
            runs["torch"] = functools.partial(epoch_torch, torch, theirs, theirs_opt, tx_train,
                                              ty_train)
        names = list(runs)  # who goes first rotates, so no engine always runs in one slot
        for name in names[epoch % len(names):] + names[:epoch % len(names)]:
            start = time.perf_counter()
            runs[name](order)
            times[name].append(time.perf_counter() - start)
        accuracy["chainrule"].append(accuracy_ours(ours, x_test, y_test))
        accuracy["compiled"].append(accuracy_ours(twin, x_test, y_test))
        if torch is not None:
            accuracy["torch"].append(accuracy_torch(torch, theirs, tx_test, ty_test))
        line = (f"epoch {epoch + 1}: chainrule {times['chainrule'][-1]:6.2f} s, test accuracy "
                f"{accuracy['chainrule'][-1]:.4f} | compiled {times['compiled'][-1]:6.2f} s, "
                f"test accuracy {accuracy['compiled'][-1]:.4f}")
        if torch is not None:
            line += (f" | torch {times['torch'][-1]:6.2f} s, test accuracy "
                     f"{accuracy['torch'][-1]:.4f}")
        print(line, flush=True)
    per_epoch = {k: float(np.mean(v)) if v else None for k, v in times.items()}
    ratio = (per_epoch["chainrule"] / per_epoch["torch"]) if torch is not None else None
    compiled_ratio = (per_epoch["compiled"] / per_epoch["torch"]) if torch is not None else None
    print(f"seconds per epoch compiled: {per_epoch['compiled']:.2f}" + (
        f", ratio compiled/torch {compiled_ratio:.2f}" if compiled_ratio else ""))
    print(f"seconds per epoch: chainrule {per_epoch['chainrule']:.2f}" + (
        f", torch {per_epoch['torch']:.2f}, ratio ours/torch {ratio:.2f}" if ratio else ""))
    print(f"final test accuracy: chainrule {accuracy['chainrule'][-1]:.4f}" + (
        f", torch {accuracy['torch'][-1]:.4f}" if torch is not None else ""))
    return {"test_accuracy": accuracy["chainrule"][-1],
            "torch_test_accuracy": accuracy["torch"][-1] if torch is not None else None,
            "seconds_per_epoch": per_epoch["chainrule"],
            "torch_seconds_per_epoch": per_epoch["torch"], "ratio_vs_torch": ratio,
            "compiled_seconds_per_epoch": per_epoch["compiled"],
            "ratio_compiled_vs_torch": compiled_ratio,
            "compiled_test_accuracy": accuracy["compiled"][-1],
            "epoch_seconds": times["chainrule"], "torch_epoch_seconds": times["torch"],
            "epoch_test_accuracy": accuracy["chainrule"],
            "torch_epoch_test_accuracy": accuracy["torch"]}


if __name__ == "__main__":
    main()
