"""The `chainrule` command (`python -m chainrule`): train, evaluate and use an MNIST classifier.

    chainrule train --out runs/NAME      train; write model, history and a report there
    chainrule evaluate MODEL.npz         test accuracy, loss and per-digit accuracy
    chainrule predict MODEL.npz A.png    the digit in each image, with the top-3 probabilities
    chainrule export MODEL.npz --format onnx|safetensors|torch [--out PATH]
    chainrule trace "tanh(w*x + b)" --set w=0.5,x=2,b=-1 --out neuron.html
                                         the backprop explorer page for an expression

`train`'s defaults are the recommended settings for each model. The 784-16-16-10 ReLU
network (--model mlp): Adam, lr 0.01, L2 weight decay 1e-3 added to the gradient, cosine
schedule over 30 epochs, batch 32, He init, training digits moved by up to 1 pixel each
batch, each activation fused into its Linear layer (`nn.mlp(..., fuse=True)`). LeNet-5
(--model lenet5): Adam, lr 0.002 times 0.3 after every epoch, 3 epochs, batch 64. Both see
standardised inputs ((x - per-pixel mean) / one global std). Data: full MNIST when found
(--data, $CHAINRULE_DATA, the user cache) or downloaded, else the 5,000-digit sample
shipped with chainrule.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograd.allocator import keep_freed_memory
from chainrule.evaluate import evaluate
from chainrule.export import add_parser as add_export_parser
from chainrule.export import export
from chainrule.mnist import DIGITS, PIXELS, UsageError
from chainrule.predict import predict
from chainrule.trace import add_parser as add_trace_parser
from chainrule.train import train
from nn.activations import ACTIVATIONS
from nn.init import INITIALIZERS


# -- argument types --------------------------------------------------------------------------
def _arch(text: str) -> list[int]:
    parts = text.split("-")
    if len(parts) < 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of positive layer sizes joined by '-', like 784-16-16-10")
    sizes = [int(p) for p in parts]
    if sizes[0] != PIXELS or sizes[-1] != DIGITS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: an MNIST network starts with {PIXELS} inputs (28x28 pixels) and ends "
            f"with {DIGITS} outputs (one per digit)")
    return sizes


def _number(kind: type, low: float, low_ok: bool, high: float | None = None) -> Any:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n' * (kind is int)} "
                                             f"{kind.__name__}") from None
        if not (value >= low if low_ok else value > low) or (high is not None and value >= high):
            bounds = f"{'>=' if low_ok else '>'} {low:g}" + (f" and < {high:g}" if high else "")
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return convert


positive_int, positive_float = _number(int, 1, True), _number(float, 0, False)
non_negative_float, fraction = _number(float, 0, True), _number(float, 0, True, 1)
non_negative_int = _number(int, 0, True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train on MNIST and write a report",
                                description="Train an MNIST classifier; write model.npz, "
                                "history.json/.csv, pictures and report.md to --out.")
    train.add_argument("--model", choices=("mlp", "lenet5"), default="mlp")
    train.add_argument("--arch", type=_arch, default=None, metavar="SIZES",
                       help="MLP layer sizes (default 784-16-16-10)")
    train.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    train.add_argument("--init", choices=sorted(INITIALIZERS), default=None,
                       help="weight init (default: he_normal for ReLU-like activations, "
                       "else xavier_uniform; LeNet-5 uses its own)")
    train.add_argument("--epochs", type=positive_int, default=None,
                       help="default: 30 for mlp, 3 for lenet5")
    train.add_argument("--batch-size", type=positive_int, default=None,
                       help="default: 32 for mlp, 64 for lenet5")
    train.add_argument("--lr", type=positive_float, default=None,
                       help="default: 0.01 for mlp, 0.002 for lenet5")
    train.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    train.add_argument("--momentum", type=fraction, default=None, help="SGD only (default 0)")
    train.add_argument("--weight-decay", type=non_negative_float, default=None,
                       help="L2 penalty added to the gradient (default: 1e-3 for mlp, 0 for "
                       "lenet5)")
    train.add_argument("--schedule", choices=("cosine", "step", "none"), default=None,
                       help="lr schedule: cosine to 0 over the epochs, or step (x --lr-decay "
                       "after every epoch); default: cosine for mlp, step for lenet5")
    train.add_argument("--lr-decay", type=positive_float, default=0.3,
                       help="the step schedule's factor per epoch (default 0.3)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, default=Path("runs/mnist"), metavar="DIR")
    train.add_argument("--shift", type=non_negative_int, default=None, metavar="PIXELS",
                       help="augment the training digits by moving each one by up to this "
                            "many pixels, a new draw every batch (default: 1 for mlp, 0 for "
                            "lenet5; 0 turns it off)")
    train.add_argument("--val-fraction", type=fraction, default=0.1,
                       help="share of the training set held out for validation (0: none)")
    train.add_argument("--patience", type=positive_int, default=None,
                       help="stop after this many epochs without a better validation loss")
    train.add_argument("--limit", type=positive_int, default=None, metavar="N",
                       help="train on the first N training digits only (quick runs)")
    train.add_argument("--raw-inputs", action="store_true",
                       help="feed pixels in [0, 1] instead of standardised inputs")

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved model",
                                   description="Test accuracy, loss and per-digit accuracy "
                                   "of a model saved by `chainrule train`.")
    evaluate.add_argument("model", type=Path, metavar="MODEL")

    predict = commands.add_parser(
        "predict", help="the digit in each image", description=(
            "Predict the digit in each image (needs Pillow). An image is converted to grey. "
            "MNIST digits are white on black: an image whose border is on average brighter "
            "than mid-grey (dark ink on light paper, like a scan) is inverted. Transparent "
            "pixels count as white paper. A 28x28 image is used as it is; any other size is "
            "cropped to its ink, scaled to fit 20x20 and centred in 28x28, as MNIST was made."))
    predict.add_argument("model", type=Path, metavar="MODEL")
    predict.add_argument("images", type=Path, nargs="+", metavar="IMAGE")

    for sub in (train, evaluate):
        sub.add_argument("--data", type=Path, default=None, metavar="DIR",
                         help="folder with the four MNIST files (else $CHAINRULE_DATA, the "
                         "user cache, a download, or the shipped sample)")
        sub.add_argument("--sample", action="store_true",
                         help="use the 5,000-digit sample shipped with chainrule")
        sub.add_argument("--no-download", dest="download", action="store_false",
                         help="never try to download MNIST")
    for sub in (train, evaluate, predict):
        sub.add_argument("--threads", type=positive_int, default=None, metavar="N",
                         help="limit BLAS threads to N (needs threadpoolctl)")
    add_export_parser(commands)
    add_trace_parser(commands)
    return parser


# -- entry point ---------------------------------------------------------------------------
@contextmanager
def thread_limit(threads: int | None) -> Iterator[None]:
    """Limit the BLAS threads numpy uses, when threadpoolctl is installed."""
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("--threads ignored: threadpoolctl is not installed (pip install threadpoolctl)")
        yield
        return
    with threadpool_limits(limits=threads):
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command `argv` (default: the process's arguments); return its exit code.

    Bad arguments exit through argparse: SystemExit with code 2 and a message on stderr.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "trace":  # no data, no threads: it only writes a page
        return args.handler(args)
    if args.command == "export":
        try:
            return export(args)
        except UsageError as error:
            parser.exit(2, f"{parser.prog} export: error: {error}\n")
    if args.command in ("train", "evaluate"):
        # a training or evaluation loop frees and reallocates the same arrays every batch
        keep_freed_memory()
    try:
        with thread_limit(args.threads):
            if args.command == "train":
                return train(args, argv)
            if args.command == "evaluate":
                return evaluate(args)
            return predict(args)
    except UsageError as error:  # argparse's own format and exit code
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")
    return 2  # not reached: exit() raises SystemExit
