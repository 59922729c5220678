"""The report of an MNIST training run: pictures (PNG) and report.md that shows them.

matplotlib is an optional extra (`pip install 'chainrule[report]'`): it is imported only
when pictures are drawn, and only its non-interactive Agg canvas is used, so no window
opens and no global pyplot state changes. Without it `chainrule.train.draw_pictures`
raises ImportError and the report is written without pictures.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograd.files import atomic_write
from chainrule.mnist import DIGITS
from nn import History

INSTALL_HINT = "pip install 'chainrule[report]'"


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = DIGITS
                     ) -> np.ndarray:
    """counts[i, j] = how many examples of class i were predicted as class j."""
    true, predicted = np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    return np.bincount(true * classes + predicted, minlength=classes * classes
                       ).reshape(classes, classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """The fraction of each class predicted correctly (nan for a class with no examples)."""
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(confusion) / totals


# -- pictures ------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    with atomic_write(path) as file:
        file.write(buffer.getvalue())


def plot_curves(history: History, path: Path, test_accuracy: float | None = None) -> None:
    """Loss and accuracy per epoch, training and validation, side by side."""
    figure = _figure(10, 4)
    loss_axes, acc_axes = figure.subplots(1, 2)
    epochs = np.arange(1, len(history) + 1)
    for axes, name, scale in ((loss_axes, "loss", 1), (acc_axes, "accuracy", 100)):
        for split, style in (("train", "-o"), ("val", "-s")):
            values = getattr(history, f"{split}_{name}")
            if values and all(v is not None for v in values):
                axes.plot(epochs, np.array(values) * scale, style, markersize=3,
                          label="training" if split == "train" else "validation")
        if history.best_epoch is not None:
            axes.axvline(history.best_epoch + 1, color="grey", linestyle=":",
                         label="weights kept")
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
    if test_accuracy is not None:
        acc_axes.axhline(test_accuracy * 100, color="black", linestyle="--", linewidth=1,
                         label=f"test {test_accuracy:.2%}")
    loss_axes.set_ylabel("cross-entropy loss")
    acc_axes.set_ylabel("accuracy (%)")
    loss_axes.set_title("loss")
    acc_axes.set_title("accuracy")
    for axes in (loss_axes, acc_axes):
        axes.legend()
        if len(epochs) <= 15:
            axes.set_xticks(epochs)
    _save(figure, path)


def plot_confusion(confusion: np.ndarray, path: Path) -> None:
    """The confusion matrix, each cell annotated with its count.

    Colour follows the fraction of the row (true digit), on a power scale so that the
    few mistakes stand out next to the large diagonal.
    """
    from matplotlib.colors import PowerNorm

    figure = _figure(6.4, 5.6)
    axes = figure.subplots()
    fractions = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    image = axes.imshow(fractions, cmap="Blues", norm=PowerNorm(0.35, vmin=0, vmax=1))
    classes = len(confusion)
    for i in range(classes):
        for j in range(classes):
            if confusion[i, j]:
                axes.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                          color="white" if fractions[i, j] > 0.4 else "black")
    axes.set_xticks(range(classes))
    axes.set_yticks(range(classes))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    total = confusion.sum()
    axes.set_title(f"confusion matrix: {total - np.trace(confusion):,} of {total:,} wrong")
    figure.colorbar(image, ax=axes, label="fraction of the true digit's examples")
    _save(figure, path)


def _grid(count: int, max_columns: int) -> tuple[int, int]:
    columns = min(count, max_columns)
    return math.ceil(count / columns), columns


def plot_first_layer(weights: np.ndarray, path: Path, title: str) -> None:
    """One small image per neuron or filter: red positive, blue negative weights.

    `weights` is (units, height, width); each image is scaled to its own largest |w|,
    with white for 0.
    """
    rows, columns = _grid(len(weights), 8)
    figure = _figure(1.3 * columns, 1.45 * rows + 0.5)
    figure.suptitle(title)
    for i, axes in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
        axes.set_axis_off()
        if i < len(weights):
            limit = float(np.abs(weights[i]).max()) or 1.0
            axes.imshow(weights[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes.set_title(f"#{i}", fontsize=8)
    _save(figure, path)


def plot_misclassified(images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                       confidence: np.ndarray, path: Path, total_wrong: int) -> None:
    """Misclassified digits as the model saw them, with their true and predicted labels."""
    if len(images) == 0:
        figure = _figure(4, 1)
        figure.text(0.5, 0.5, "no misclassified test digits", ha="center", va="center")
        _save(figure, path)
        return
    rows, columns = _grid(len(images), 8)
    figure = _figure(1.25 * columns, 1.45 * rows + 0.5)
    figure.suptitle(f"the first {len(images)} of {total_wrong:,} misclassified test digits "
                    "(true → predicted, confidence)")
    for i, axes in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
        axes.set_axis_off()
        if i < len(images):
            axes.imshow(images[i], cmap="gray", vmin=0, vmax=images[i].max() or 1)
            axes.set_title(f"{true[i]} → {predicted[i]} ({confidence[i]:.0%})", fontsize=8,
                           color="firebrick")
    _save(figure, path)


# -- report.md ---------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def markdown(settings: Mapping[str, Any], data_source: str, history: History,
             test_loss: float, test_accuracy: float, confusion: np.ndarray, model_text: str,
             pictures: Sequence[tuple[str, str]], notes: Sequence[str] = ()) -> str:
    """report.md: settings, data, results, per-digit accuracy and the pictures."""
    times = history.epoch_time
    lines = ["# chainrule MNIST run", ""]
    lines += [f"**Test accuracy: {test_accuracy:.2%}** (loss {test_loss:.4f}, "
              f"{int(confusion.sum()):,} test digits).", ""]
    lines += [f"Data: {data_source}", ""]
    if times:
        lines += [f"Training: {len(history)} epochs, {np.mean(times):.2f} s per epoch "
                  f"({sum(times):.1f} s in all)."
                  + (f" Weights kept from epoch {history.best_epoch + 1}."
                     if history.best_epoch is not None else "")
                  + (" Stopped early (patience)." if history.stopped_early else "")
                  + (" Interrupted (Ctrl-C)." if history.interrupted else ""), ""]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    for file, caption in pictures:
        lines += [f"## {caption}", "", f"![{caption}]({file})", ""]
    lines += ["## Settings", ""]
    lines += _table(("setting", "value"), [(k, f"`{v}`" if k == "command" else v)
                                           for k, v in settings.items()])
    lines += ["", "## Model", "", "```", model_text, "```", ""]
    lines += ["## Per-digit test accuracy", ""]
    accuracy = per_class_accuracy(confusion)
    lines += _table(("digit", "examples", "correct", "accuracy"),
                    [(d, int(confusion[d].sum()), int(confusion[d, d]), f"{accuracy[d]:.2%}")
                     for d in range(len(confusion))])
    lines += ["", "## Training history", ""]
    lines += _table(("epoch", "train loss", "train acc", "val loss", "val acc", "lr",
                     "seconds"),
                    [(i + 1, _number(history.train_loss[i], ".4f"),
                      _number(history.train_accuracy[i], ".2%"),
                      _number(history.val_loss[i], ".4f"), _number(history.val_accuracy[i], ".2%"),
                      f"{history.lr[i]:.3g}", f"{history.epoch_time[i]:.2f}")
                     for i in range(len(history))])
    return "\n".join(lines) + "\n"


def _number(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)
