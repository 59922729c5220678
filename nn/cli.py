"""The `chainrule` command (also `python -m nn`): train, evaluate and use an MNIST classifier.

    chainrule train --out runs/NAME      train; write model, history and a report there
    chainrule evaluate MODEL.npz         test accuracy, loss and per-digit accuracy
    chainrule predict MODEL.npz A.png    the digit in each image, with the top-3 probabilities

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
import json
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd import Tensor, no_grad, softmax
from autograd.files import atomic_write_text
from nn import report
from nn.activations import ACTIVATION_MODULES
from nn.conv import Conv2d
from nn.datasets import (
    Dataset,
    DatasetError,
    MNISTNotFound,
    as_float,
    load_mnist,
    load_mnist_sample,
)
from nn.init import INITIALIZERS
from nn.layers import Linear, Sequential
from nn.models import LeNet5
from nn.module import Module
from nn.preprocess import Standardize

PIXELS, DIGITS, SIDE = 784, 10, 28
RELU_LIKE = ("relu", "leaky_relu", "elu")
DEFAULT_ARCH = [PIXELS, 16, 16, DIGITS]


class UsageError(Exception):
    """A problem with what the user asked for: reported as an argparse error (exit code 2)."""


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
    train.add_argument("--activation", choices=sorted(ACTIVATION_MODULES), default="relu")
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
    return parser


# -- data and models ---------------------------------------------------------------------------
def load_data(args: argparse.Namespace, doing: str) -> Dataset:
    """Full MNIST if it can be found or downloaded, else the shipped sample (said aloud)."""
    if args.sample:
        return load_mnist_sample()
    try:
        return load_mnist(args.data, download=args.download)
    except DatasetError as error:
        if args.data is not None:
            raise UsageError(f"--data {args.data}: {error}") from None
        if isinstance(error, MNISTNotFound):
            reason = (f"full MNIST not found (searched "
                      f"{', '.join(str(f) for f in error.searched)})")
            if error.download_error is not None:
                reason += f" and the download failed ({error.download_error})"
        else:
            reason = f"full MNIST could not be loaded ({str(error).splitlines()[0]})"
        print(f"{reason}; {doing} the 5,000-digit sample shipped with chainrule")
        return load_mnist_sample()


def input_shape(model: Module) -> tuple[int, ...]:
    """One example's shape, from the first layer that takes the image."""
    for module in model.modules():
        if isinstance(module, Conv2d):
            return (module.in_channels, SIDE, SIDE)
        if isinstance(module, Linear):
            return (module.in_features,)
    raise ValueError("it has no Linear or Conv2d layer to take the image")


def inputs(images: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], in the model's input shape."""
    return as_float(images).reshape(len(images), *shape)


def logits(model: Module, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    model.eval()
    with no_grad():
        return np.concatenate([model(Tensor(xb, dtype=nn.train.model_dtype(model))).data
                               for xb in nn.DataLoader(x, batch_size=batch_size)])


def load_model(path: Path) -> Module:
    """A saved MNIST classifier, or a UsageError saying why `path` is not one."""
    if not path.is_file():
        raise UsageError(f"model file {str(path)!r} does not exist"
                         + (" (it is a folder)" if path.is_dir() else ""))
    try:
        model = nn.load(path)
        shape = input_shape(model)
        out = logits(model, np.zeros((1, *shape), dtype=np.float32))
    except (ValueError, OSError) as error:
        raise UsageError(f"{path} is not a chainrule MNIST model: {error}") from None
    if shape not in ((PIXELS,), (1, SIDE, SIDE)) or out.shape != (1, DIGITS):
        raise UsageError(f"{path} is a chainrule model but not an MNIST classifier: it takes "
                         f"inputs of shape {shape} and gives {out.shape[1:]} outputs, not "
                         f"{PIXELS} pixels -> {DIGITS} digits")
    return model


def build_model(args: argparse.Namespace, x: np.ndarray) -> Sequential:
    layers: list[Module] = [] if args.raw_inputs else [Standardize.fit(x)]
    if args.model == "lenet5":
        return Sequential(*layers, LeNet5(activation=args.activation, seed=args.seed))
    sizes = args.arch or DEFAULT_ARCH
    net = nn.mlp(sizes[0], sizes[1:], args.activation, init=args.init, seed=args.seed,
                 fuse=True)
    return Sequential(*layers, *net)


def first_layer_weights(model: Module) -> tuple[np.ndarray, str] | None:
    """The first layer's weights as small images, with a title; None if not image-shaped."""
    for module in model.modules():
        if isinstance(module, Conv2d) and module.in_channels == 1:
            w = module.weight.data[:, 0]
            return w, (f"first convolution: its {len(w)} filters of "
                       f"{w.shape[1]}x{w.shape[2]} (red +, blue -)")
        if isinstance(module, Linear) and module.in_features == PIXELS:
            w = module.weight.data[:16].reshape(-1, SIDE, SIDE)
            which = (f"its {len(w)}" if len(w) == module.out_features
                     else f"the first {len(w)} of its {module.out_features}")
            return w, (f"first layer: the weights of {which} neurons, each drawn as a "
                       "28x28 image (red +, blue -)")
        if isinstance(module, (Conv2d, Linear)):
            return None
    return None


# -- commands ------------------------------------------------------------------------------------
# The settings each model trains well with (measured: README, benchmarks/mnist_mlp.py and
# benchmarks/conv.py); any of them can be given on the command line instead.
MODEL_DEFAULTS = {
    "mlp": {"epochs": 30, "batch_size": 32, "lr": 0.01, "weight_decay": 1e-3,
            "schedule": "cosine", "shift": 1},
    "lenet5": {"epochs": 3, "batch_size": 64, "lr": 2e-3, "weight_decay": 0.0,
               "schedule": "step", "shift": 0},
}


def train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    for name, value in MODEL_DEFAULTS[args.model].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.model == "mlp" and args.init is None:
        args.init = "he_normal" if args.activation in RELU_LIKE else "xavier_uniform"
    if args.model == "lenet5" and args.arch is not None:
        raise UsageError("--arch applies to --model mlp only (LeNet-5's layout is fixed)")
    if args.optimizer == "adam" and args.momentum is not None:
        raise UsageError("--momentum applies to --optimizer sgd only (Adam keeps its own "
                         "running averages)")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    data = load_data(args, "training on")
    shape = (1, SIDE, SIDE) if args.model == "lenet5" else (PIXELS,)
    x, y = inputs(data.train_images, shape), data.train_labels.astype(np.int64)
    if args.limit is not None:
        x, y = x[:args.limit], y[:args.limit]
    x_test, y_test = inputs(data.test_images, shape), data.test_labels.astype(np.int64)
    val_loader = None
    if args.val_fraction > 0:
        try:
            x, x_val, y, y_val = nn.train_val_split(x, y, args.val_fraction, seed=args.seed)
        except ValueError as error:
            raise UsageError(f"--val-fraction: {error}") from None
        val_loader = nn.DataLoader(x_val, y_val, batch_size=1000)
    model = build_model(args, x)
    params = model.parameters()
    optimizer = (nn.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
                 if args.optimizer == "adam" else
                 nn.SGD(params, lr=args.lr, momentum=args.momentum or 0.0,
                        weight_decay=args.weight_decay))
    scheduler = {"none": None, "cosine": nn.CosineAnnealingLR(optimizer, args.epochs),
                 "step": nn.StepLR(optimizer, 1, gamma=args.lr_decay)}[args.schedule]
    print(f"data: {data.source}")
    print(f"{len(x):,} training, {0 if val_loader is None else len(x_val):,} validation and "
          f"{len(x_test):,} test digits; model: {model.num_parameters():,} parameters")
    history = nn.fit(model, nn.cross_entropy, optimizer,
                     nn.DataLoader(x, y, batch_size=args.batch_size, shuffle=True,
                                   seed=args.seed, transform=nn.RandomShift(args.shift)),
                     val_loader, epochs=args.epochs, scheduler=scheduler,
                     patience=args.patience)
    if len(history) == 0:
        print("interrupted before the first epoch ended: nothing saved")
        return 130
    out.mkdir(parents=True, exist_ok=True)
    nn.save(model, out / "model.npz")
    history.to_json(out / "history.json")
    history.to_csv(out / "history.csv")

    test_logits = logits(model, x_test)
    test_loss = float(nn.cross_entropy(Tensor(test_logits), y_test).data)
    predicted = test_logits.argmax(axis=1)
    confusion = report.confusion_matrix(y_test, predicted)
    test_accuracy = float(np.trace(confusion) / len(y_test))
    print(f"test accuracy: {test_accuracy:.2%} (loss {test_loss:.4f}, "
          f"{len(y_test):,} test digits)")
    metrics = {"test_accuracy": test_accuracy, "test_loss": test_loss,
               "test_digits": len(y_test), "data": data.source,
               "seconds_per_epoch": history.epoch_time}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")

    pictures, notes = [], []
    try:
        pictures = draw_pictures(out, model, history, confusion, data.test_images, y_test,
                                 predicted, softmax(Tensor(test_logits)).data, test_accuracy)
    except ImportError:
        notes.append(f"Pictures skipped: matplotlib is not installed ({report.INSTALL_HINT}).")
        print(f"pictures skipped: matplotlib is not installed; install them with "
              f"{report.INSTALL_HINT}")
    if data.source.startswith("MNIST sample"):
        notes.append("Trained and tested on the 5,000-digit sample shipped with chainrule "
                     "(4,000 train / 1,000 test), not on full MNIST.")
    settings = describe_settings(args, argv)
    atomic_write_text(out / "report.md", report.markdown(
        settings, data.source, history, test_loss, test_accuracy, confusion, repr(model),
        pictures, notes))
    print(f"model, history and report written to {out}/ (open {out / 'report.md'})")
    return 0


def describe_settings(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    """The settings as report.md shows them, defaults filled in."""
    mlp = args.model == "mlp"
    settings = {
        "command": "chainrule " + shlex.join(argv),
        "model": "-".join(map(str, args.arch or DEFAULT_ARCH)) + " MLP" if mlp else "LeNet-5",
        "activation": args.activation,
        "init": args.init if mlp else "LeNet-5's own",
        "inputs": "pixels in [0, 1]" if args.raw_inputs else
        "standardised: (x - per-pixel mean) / global std, fitted on the training digits",
        "optimizer": args.optimizer + (f", momentum {args.momentum or 0.0:g}"
                                       if args.optimizer == "sgd" else ""),
        "lr": f"{args.lr:g}, schedule {args.schedule}"
        + (f" (x{args.lr_decay:g} after every epoch)" if args.schedule == "step" else ""),
        "weight decay (L2, added to the gradient)": f"{args.weight_decay:g}",
        "epochs": args.epochs, "batch size": args.batch_size,
        "augmentation": f"random shifts of up to {args.shift} pixel(s)" if args.shift
        else "none",
        "validation fraction": f"{args.val_fraction:g}",
        "patience": args.patience or "none", "seed": args.seed,
    }
    if args.limit is not None:
        settings["training digits used"] = f"the first {args.limit:,}"
    return settings


def draw_pictures(out: Path, model: Module, history: nn.History, confusion: np.ndarray,
                  images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                  probabilities: np.ndarray, test_accuracy: float) -> list[tuple[str, str]]:
    """Write the PNGs; return (file, caption) pairs. ImportError without matplotlib."""
    pictures = [("curves.png", "Loss and accuracy per epoch"),
                ("confusion.png", "Confusion matrix (test set)")]
    report.plot_curves(history, out / pictures[0][0], test_accuracy)
    report.plot_confusion(confusion, out / pictures[1][0])
    first = first_layer_weights(model)
    if first is not None:
        report.plot_first_layer(first[0], out / "first_layer.png", first[1])
        pictures.append(("first_layer.png", "First-layer weights"))
    wrong = np.flatnonzero(predicted != true)
    shown = wrong[:32]
    report.plot_misclassified(images[shown], true[shown], predicted[shown],
                              probabilities[shown, predicted[shown]],
                              out / "misclassified.png", len(wrong))
    pictures.append(("misclassified.png", "Misclassified test digits"))
    return pictures


def evaluate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    data = load_data(args, "evaluating on")
    x, y = inputs(data.test_images, input_shape(model)), data.test_labels.astype(np.int64)
    out = logits(model, x)
    loss = float(nn.cross_entropy(Tensor(out), y).data)
    confusion = report.confusion_matrix(y, out.argmax(axis=1))
    accuracy = report.per_class_accuracy(confusion)
    print(f"model: {args.model} ({model.num_parameters():,} parameters)")
    print(f"data: {data.source}")
    if data.source.startswith("MNIST sample"):
        print("note: the sample's test digits come from MNIST's training set")
    print(f"test accuracy: {np.trace(confusion) / len(y):.2%}  loss: {loss:.4f}  "
          f"({len(y):,} digits)")
    print("digit  examples  correct  accuracy")
    for digit in range(DIGITS):
        print(f"{digit:>5}  {confusion[digit].sum():>8,}  {confusion[digit, digit]:>7,}  "
              f"{accuracy[digit]:>8.2%}")
    return 0


BLANK_CONTRAST = 0.1  # an image whose pixels span less than this has no digit to read


def read_image(path: Path) -> np.ndarray:
    """A 28x28 float32 image in [0, 1], white digit on black (see `predict`'s help)."""
    try:
        from PIL import Image
    except ImportError:
        raise UsageError("predict needs Pillow to read images: pip install pillow "
                         f"(or {report.INSTALL_HINT})") from None
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder, not an image file")
    if not path.is_file():
        raise UsageError(f"image file {str(path)!r} does not exist")
    try:
        with Image.open(path) as image:
            image.load()
            if "A" in image.getbands() or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
            grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise UsageError(f"cannot read image {str(path)!r}: {error}") from None
    if np.ptp(grey) < BLANK_CONTRAST:
        raise UsageError(f"image {str(path)!r} is blank (every pixel is about "
                         f"{float(grey.mean()):.2f} on a 0-1 scale): there is no digit to read")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: MNIST is light ink on black
        grey = 1.0 - grey
    if grey.shape == (SIDE, SIDE):
        return grey
    ink = np.argwhere(grey > 0.2 * grey.max()) if grey.max() > 0 else np.argwhere(grey >= 0)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    grey = grey[top:bottom, left:right]
    side = max(grey.shape)
    square = np.zeros((side, side), dtype=np.float32)
    row, col = (side - grey.shape[0]) // 2, (side - grey.shape[1]) // 2
    square[row:row + grey.shape[0], col:col + grey.shape[1]] = grey
    digit = np.asarray(Image.fromarray(square, mode="F").resize((20, 20), Image.LANCZOS))
    result = np.zeros((SIDE, SIDE), dtype=np.float32)
    result[4:24, 4:24] = np.clip(digit, 0.0, 1.0)
    return result


def predict(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    shape = input_shape(model)
    images = np.stack([read_image(path) for path in args.images])
    probabilities = softmax(Tensor(logits(model, images.reshape(len(images), *shape)))).data
    for path, p in zip(args.images, probabilities):
        top = np.argsort(p)[::-1][:3]
        print(f"{path}: {top[0]}   top-3: " + ", ".join(f"{d} {p[d]:.1%}" for d in top))
    return 0


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
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
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
