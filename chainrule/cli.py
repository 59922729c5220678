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
import math
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from autograd.allocator import keep_freed_memory
from chainrule.evaluate import evaluate
from chainrule.export import add_parser as add_export_parser
from chainrule.export import export
from chainrule.mnist import DIGITS, PIXELS, SIDE, DataError, UsageError
from chainrule.predict import predict
from chainrule.trace import add_parser as add_trace_parser
from chainrule.trace import main_trace
from chainrule.train import train
from nn.activations import ACTIVATIONS
from nn.init import INITIALIZERS

# an MLP this large (float32 weights, as many again for gradients and twice for Adam) would
# need more memory than a machine that trains on MNIST has; refused before allocating it
MAX_PARAMETERS = 500_000_000  # 2 GB of float32 weights
INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


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
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    if parameters > MAX_PARAMETERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} makes {parameters:,} parameters: more than {MAX_PARAMETERS:,} "
            f"({MAX_PARAMETERS * 4 / 1e9:g} GB of float32 weights) cannot be trained here")
    return sizes


def _run_folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name would mean the current folder; "
                                         "name the run's own folder, like runs/mnist")
    return Path(text)


def _number(kind: type, low: float, low_ok: bool, high: float | None = None) -> Any:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n' * (kind is int)} "
                                             f"{kind.__name__}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if not (value >= low if low_ok else value > low) or (high is not None and value >= high):
            bounds = f"{'>=' if low_ok else '>'} {low:g}" + (f" and < {high:g}" if high else "")
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return convert


positive_int, positive_float = _number(int, 1, True), _number(float, 0, False)
non_negative_float, fraction = _number(float, 0, True), _number(float, 0, True, 1)
non_negative_int, shift = _number(int, 0, True), _number(int, 0, True, SIDE)


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
    train.add_argument("--seed", type=non_negative_int, default=0)
    train.add_argument("--out", type=_run_folder, default=Path("runs/mnist"), metavar="DIR",
                       help="the run's folder: written whole once training ends, and "
                       "refused if it holds files already (see --force)")
    train.add_argument("--force", action="store_true",
                       help="replace the run already in --out (once the new one is complete)")
    train.add_argument("--shift", type=shift, default=None, metavar="PIXELS",
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
    train.add_argument("--eager", action="store_true",
                       help="build the graph at every step instead of replaying the compiled "
                       "step (the same numbers, slower)")

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
                         help="folder with the four MNIST files, searched alone (without "
                         "it: $CHAINRULE_DATA, the user cache, a download, or the shipped "
                         "sample)")
        sub.add_argument("--sample", action="store_true",
                         help="use the 5,000-digit sample shipped with chainrule")
        sub.add_argument("--no-download", dest="download", action="store_false",
                         help="never try to download MNIST")
    for sub in (train, evaluate, predict):
        sub.add_argument("--threads", type=positive_int, default=None, metavar="N",
                         help="limit BLAS threads to N (needs threadpoolctl)")
        sub.add_argument("--debug", action="store_true",
                         help="on an error, show Python's traceback instead of one line")
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


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM (a scheduler's, `timeout`'s, `docker stop`'s) stops the
    command as Ctrl-C does: training ends cleanly, keeping its best weights."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return

    def interrupt(signum: int, frame: Any) -> NoReturn:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command `argv` (default: the process's arguments); return its exit code.

    Every error is one line on stderr, with SystemExit: code 2 for a usage error (bad
    arguments, as argparse does), 1 for bad data (a file that is not what it should be)
    or anything unforeseen. `--debug` shows Python's traceback instead. Ctrl-C or SIGTERM
    outside training gives code 130.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("train", "evaluate"):
        # a training or evaluation loop frees and reallocates the same arrays every batch
        keep_freed_memory()
    prefix = f"{parser.prog} {args.command}: error:"
    try:
        with sigterm_as_ctrl_c(), thread_limit(args.threads):
            if args.command == "train":
                return train(args, argv)
            if args.command == "evaluate":
                return evaluate(args)
            if args.command == "export":
                return export(args)
            if args.command == "trace":
                return main_trace(args)
            return predict(args)
    except UsageError as error:  # argparse's own format and exit code
        if args.debug:
            raise
        parser.exit(2, f"{prefix} {error}\n")
    except KeyboardInterrupt:
        if args.debug:
            raise
        parser.exit(INTERRUPTED, f"{parser.prog} {args.command}: interrupted\n")
    except Exception as error:
        if args.debug:
            raise
        if isinstance(error, DataError):
            parser.exit(1, f"{prefix} {error}\n")
        what = ("out of memory" if isinstance(error, MemoryError) else
                f"{type(error).__name__}: {error}".splitlines()[0][:300])
        parser.exit(1, f"{prefix} {what} (run with --debug for the traceback)\n")
    return 2  # not reached: exit() raises SystemExit
