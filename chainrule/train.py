"""`chainrule train`: train an MNIST classifier; save it, its history, its metrics and a report.

`train`'s defaults (MODEL_DEFAULTS below) are the recommended settings for each model; the
command's help (`chainrule.cli`) describes them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd import Tensor, softmax
from autograd.files import atomic_folder, atomic_write_text
from chainrule import report
from chainrule.mnist import (
    DIGITS,
    PIXELS,
    SIDE,
    DataError,
    UsageError,
    inputs,
    load_data,
    logits,
)
from nn.activations import ACTIVATIONS
from nn.datasets import Dataset

DEFAULT_ARCH = [PIXELS, 16, 16, DIGITS]

# The settings each model trains well with (measured: README, benchmarks/mnist_mlp.py and
# benchmarks/conv.py); any of them can be given on the command line instead.
MODEL_DEFAULTS = {
    "mlp": {"epochs": 30, "batch_size": 32, "lr": 0.01, "weight_decay": 1e-3,
            "schedule": "cosine", "shift": 1},
    "lenet5": {"epochs": 3, "batch_size": 64, "lr": 2e-3, "weight_decay": 0.0,
               "schedule": "step", "shift": 0},
}


def build_model(args: argparse.Namespace, x: np.ndarray) -> nn.Sequential:
    """The model `args` asks for, standardising its inputs with statistics fitted on `x`."""
    layers: list[nn.Module] = [] if args.raw_inputs else [nn.Standardize.fit(x)]
    if args.model == "lenet5":
        return nn.Sequential(*layers, nn.LeNet5(activation=args.activation, seed=args.seed))
    sizes = args.arch or DEFAULT_ARCH
    net = nn.mlp(sizes[0], sizes[1:], args.activation, init=args.init, seed=args.seed,
                 fuse=True)
    return nn.Sequential(*layers, *net)


def first_layer_weights(model: nn.Module) -> tuple[np.ndarray, str] | None:
    """The first layer's weights as small images, with a title; None if not image-shaped."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d) and module.in_channels == 1:
            w = module.weight.data[:, 0]
            return w, (f"first convolution: its {len(w)} filters of "
                       f"{w.shape[1]}x{w.shape[2]} (red +, blue -)")
        if isinstance(module, nn.Linear) and module.in_features == PIXELS:
            w = module.weight.data[:16].reshape(-1, SIDE, SIDE)
            which = (f"its {len(w)}" if len(w) == module.out_features
                     else f"the first {len(w)} of its {module.out_features}")
            return w, (f"first layer: the weights of {which} neurons, each drawn as a "
                       "28x28 image (red +, blue -)")
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            return None
    return None


def fill_defaults(args: argparse.Namespace) -> None:
    """Replace the settings left unset by the model's own; refuse settings that do not apply."""
    for name, value in MODEL_DEFAULTS[args.model].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.model == "mlp" and args.init is None:
        args.init = ACTIVATIONS[args.activation].init
    if args.model == "lenet5" and args.arch is not None:
        raise UsageError("--arch applies to --model mlp only (LeNet-5's layout is fixed)")
    if args.optimizer == "adam" and args.momentum is not None:
        raise UsageError("--momentum applies to --optimizer sgd only (Adam keeps its own "
                         "running averages)")


class NothingToSave(Exception):
    """Training stopped before an epoch was validated: there is no model worth saving."""


def train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run `chainrule train`; the exit code (130 when interrupted before an epoch ended).

    The run is written into a hidden folder beside `--out` that takes its name only once
    complete; `--out` is checked before the data is loaded. If writing fails after
    training, the model is kept in a temporary folder named in the error (DataError).
    """
    fill_defaults(args)
    out: Path = args.out
    model = history = None
    try:
        with contextlib.ExitStack() as stack:
            stage = enter_run_folder(stack, out, args.force)
            model, history, data, x_test, y_test = fit_model(args)
            write_run(stage, args, argv, model, history, data, x_test, y_test)
    except NothingToSave:
        print("interrupted before the first epoch was validated: nothing saved")
        return 130
    except OSError as error:
        if model is None or not history:
            raise
        raise DataError(f"cannot write the run to {out} ({error.strerror or error}); "
                        f"{keep_model(model, history)}") from error
    print(f"model, history and report written to {out}/ (open {out / 'report.md'})")
    return 0


def enter_run_folder(stack: contextlib.ExitStack, out: Path, force: bool) -> Path:
    """The folder to write the run into (`atomic_folder`), or a UsageError saying why not."""
    try:
        return stack.enter_context(atomic_folder(out, replace=force))
    except FileExistsError as error:
        raise UsageError(f"--out {out}: {error}: give --force to replace the run there, or "
                         "another --out") from error
    except OSError as error:
        reason = (f"{error.strerror}: {error.filename}" if error.strerror and error.filename
                  else str(error))
        raise UsageError(f"--out {out}: cannot write a run there ({reason})") from error


def keep_model(model: nn.Module, history: nn.History) -> str:
    """Save the model and history to a new temporary folder; say where (or that it failed)."""
    try:
        folder = Path(tempfile.mkdtemp(prefix="chainrule-run-"))
        nn.save(model, folder / "model.npz")
        history.to_json(folder / "history.json")
    except OSError as error:
        return f"keeping the trained model in a temporary folder failed too ({error})"
    return f"the trained model is kept in {folder / 'model.npz'}"


def fit_model(args: argparse.Namespace) -> tuple[nn.Module, nn.History, Dataset,
                                                 np.ndarray, np.ndarray]:
    """Load the data, build the model and train it: (model, history, data, x_test, y_test).

    Raises NothingToSave when interrupted before the first epoch was validated.
    """
    data = load_data(args, "training on")
    for split, images in (("training", data.train_images), ("test", data.test_images)):
        if len(images) == 0:
            raise DataError(f"{data.source}: no {split} digits")
    shape = (1, SIDE, SIDE) if args.model == "lenet5" else (PIXELS,)
    x, y = inputs(data.train_images, shape), data.train_labels.astype(np.int64)
    if args.limit is not None:
        x, y = x[:args.limit], y[:args.limit]
    x_test, y_test = inputs(data.test_images, shape), data.test_labels.astype(np.int64)
    # who to blame when there are too few digits to train on: --limit, else the data
    blame = UsageError if args.limit is not None else DataError
    source = f"--limit {args.limit}" if args.limit is not None else data.source
    val_loader = None
    if args.val_fraction > 0:
        try:
            x, x_val, y, y_val = nn.train_val_split(x, y, args.val_fraction, seed=args.seed)
        except ValueError as error:
            raise blame(f"{source}: too few training digits to hold out "
                        f"--val-fraction {args.val_fraction:g} ({error})") from None
        val_loader = nn.DataLoader(x_val, y_val, batch_size=1000)
    if len(x) < 2:
        raise blame(f"{source}: too few training digits ({len(x)}; training needs at least 2)")
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
    with warnings.catch_warnings():  # said below in the command's own words
        warnings.filterwarnings("ignore", "fit: training ended with a non-finite loss",
                                RuntimeWarning)
        history = nn.fit(model, nn.cross_entropy, optimizer,
                         nn.DataLoader(x, y, batch_size=args.batch_size, shuffle=True,
                                       seed=args.seed, transform=nn.RandomShift(args.shift)),
                         val_loader, epochs=args.epochs, scheduler=scheduler,
                         patience=args.patience, compiled=not args.eager)
    if len(history) == 0:
        raise NothingToSave
    final = [loss for loss in (history.train_loss[-1], history.val_loss[-1]) if loss is not None]
    if not np.isfinite(final).all():
        print(f"warning: training ended with a non-finite loss ({final[0]:g}): the model's "
              "numbers have overflowed and it is unusable; try a smaller --lr")
    return model, history, data, x_test, y_test


def write_run(out: Path, args: argparse.Namespace, argv: Sequence[str], model: nn.Module,
              history: nn.History, data: Dataset, x_test: np.ndarray, y_test: np.ndarray
              ) -> None:
    """Test the model; write it, its history, metrics, pictures and report into `out`."""
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
    if data.is_sample:
        notes.append("Trained and tested on the 5,000-digit sample shipped with chainrule "
                     "(4,000 train / 1,000 test), not on full MNIST.")
    settings = describe_settings(args, argv)
    atomic_write_text(out / "report.md", report.markdown(
        settings, data.source, history, test_loss, test_accuracy, confusion, repr(model),
        pictures, notes))


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
        "training step": "eager" if args.eager else "compiled (autograd.compile)",
    }
    if args.limit is not None:
        settings["training digits used"] = f"the first {args.limit:,}"
    return settings


def draw_pictures(out: Path, model: nn.Module, history: nn.History, confusion: np.ndarray,
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
