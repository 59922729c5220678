"""The training loop: `fit` runs epochs of mini-batch updates and records a `History`.

Per epoch: shuffle and batch the training data, step the optimizer after each batch,
then measure the validation loss and accuracy. With `patience`, training stops once the
validation loss has not improved for that many epochs. Either way the model ends with
the weights of its best epoch (lowest validation loss, or training loss without
validation data) — also when Ctrl-C interrupts training, which stops cleanly.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import autograd
from autograd import CompileError, Tensor, keep_freed_memory, no_grad
from autograd.files import atomic_write_text
from nn.data import DataLoader
from nn.module import Module
from nn.optim import LRScheduler, Optimizer

try:
    from tqdm.auto import tqdm
except ImportError:  # the progress bar is optional
    tqdm = None


def _progress_bar(loader: DataLoader, description: str) -> Any:
    """A tqdm bar over `loader` that a Ctrl-C landing in its constructor leaves quiet."""
    class ProgressBar(tqdm):
        def __del__(self) -> None:
            # tqdm's own __del__ prints a traceback for a bar whose __init__ was interrupted
            if hasattr(self, "pos"):
                super().__del__()

    return ProgressBar(loader, desc=description, leave=False)

Metric = Callable[[np.ndarray, np.ndarray], float]


def accuracy(outputs: Any, targets: Any, threshold: float = 0.5) -> float:
    """The fraction of examples classified correctly.

    Several outputs per example: the class is the argmax (targets are class indices or
    one-hot rows). One output: with ±1 targets its sign is the class (a score, as the
    hinge loss uses); with 0/1 targets, output > threshold (0.5 for probabilities, 0 for
    logits).
    """
    outputs = np.asarray(outputs.data if isinstance(outputs, Tensor) else outputs)
    targets = np.asarray(targets)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(axis=1)
        labels = targets.argmax(axis=1) if targets.ndim == 2 else targets
    else:
        outputs, labels = outputs.reshape(-1), targets.reshape(-1)
        if np.isin(labels, (-1, 1)).all() and (labels == -1).any():
            predicted = np.where(outputs > 0, 1, -1)
        else:
            predicted = (outputs > threshold).astype(labels.dtype)
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions but targets of shape "
                         f"{targets.shape}")
    return float(np.mean(predicted == labels))


@dataclass
class History:
    """Per-epoch loss, accuracy, time and learning rate, and how training ended."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 0-based index of the epoch whose weights were kept
    stopped_early: bool = False
    interrupted: bool = False

    _COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_time", "lr")

    def __len__(self) -> int:
        return len(self.train_loss)

    def append_epoch(self, train_loss: float, train_accuracy: float | None,
                     val_loss: float | None, val_accuracy: float | None, epoch_time: float,
                     lr: float) -> None:
        """Record one epoch: one value in each column."""
        for column, value in zip(self._COLUMNS, (train_loss, train_accuracy, val_loss,
                                                 val_accuracy, epoch_time, lr)):
            getattr(self, column).append(value)

    def drop_unfinished_epoch(self) -> None:
        """Cut every column to the epochs recorded whole (an interrupt may land mid-row)."""
        whole = min(len(getattr(self, column)) for column in self._COLUMNS)
        for column in self._COLUMNS:
            del getattr(self, column)[whole:]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The history as JSON text; also written (atomically) to `path` if given."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """One row per epoch; also written (atomically) to `path` if given."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("epoch", *self._COLUMNS))
        for i in range(len(self)):
            row = [getattr(self, c)[i] for c in self._COLUMNS]
            writer.writerow((i + 1, *["" if v is None else v for v in row]))
        text = buffer.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text


def model_dtype(model: Module) -> Any:
    """The dtype a model computes in: its first parameter's (float32 when it has none)."""
    params = model.parameters()
    return getattr(params[0], "dtype", "float64") if params else "float32"


def evaluate(model: Module, loss_fn: Callable, loader: DataLoader,
             metric: Metric | None = accuracy) -> tuple[float, float | None]:
    """Mean loss and metric over a loader, in eval mode and without recording a graph."""
    if isinstance(loader, DataLoader):
        loader.check_targets("evaluate", "given")
    was_training, dtype = model.training, model_dtype(model)
    model.eval()
    total, score, count = 0.0, 0.0, 0
    try:
        with no_grad():
            for xb, yb in loader:
                out = model(Tensor(xb, dtype=dtype))
                total += float(loss_fn(out, yb).data) * len(xb)
                if metric is not None:
                    score += metric(out.data, yb) * len(xb)
                count += len(xb)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader gave no batches")
    return total / count, (score / count if metric is not None else None)


class TrainingStep:
    """One optimizer step on a batch, `(loss, outputs) = step(xb, yb)`: under
    `autograd.compile` when `compiled`, eager once the step turns out not to compile."""

    def __init__(self, model: Module, loss_fn: Callable, optimizer: Optimizer,
                 dtype: np.dtype, compiled: bool) -> None:
        self.model, self.loss_fn, self.optimizer, self.dtype = model, loss_fn, optimizer, dtype
        self.compiled = autograd.compile(self.training_step) if compiled else None
        self.finished: tuple[Tensor, Tensor] | None = None  # the last step run to its end

    def training_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[Tensor, Tensor]:
        self.finished = None
        out = self.model(Tensor(xb, dtype=self.dtype))
        loss = self.loss_fn(out, yb)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.finished = (loss, out)
        return loss, out

    def __call__(self, xb: np.ndarray, yb: np.ndarray) -> tuple[Tensor, Tensor]:
        if self.compiled is None:
            return self.training_step(xb, yb)
        self.finished = None
        try:
            return self.compiled(xb, yb)
        except CompileError as error:
            self.compiled = None
            warnings.warn(f"fit: training step not compiled, trained eagerly: {error}",
                          RuntimeWarning, stacklevel=3)
            # refused before its backward (the model or loss read a value): run it again;
            # refused after it ran to its end (two captures disagreed): keep what it did
            return self.finished if self.finished is not None else self.training_step(xb, yb)


def fit(model: Module, loss_fn: Callable, optimizer: Optimizer, train_loader: DataLoader,
        val_loader: DataLoader | None = None, epochs: int = 10,
        metric: Metric | None = accuracy, scheduler: LRScheduler | None = None,
        patience: int | None = None, min_delta: float = 0.0, restore_best: bool = True,
        progress: bool = True, on_batch: Callable[[int, int, float], None] | None = None,
        on_epoch: Callable[[int, History], None] | None = None,
        compiled: bool = True) -> History:
    """Train `model` for `epochs` and return its `History`.

    `loss_fn(outputs, targets)` gets the model's output Tensor and the batch's target
    array. `on_batch(epoch, batch, loss)` and `on_epoch(epoch, history)` are called after
    each batch and epoch; raising KeyboardInterrupt from them stops training as Ctrl-C
    does. With `restore_best`, the model ends with its best epoch's weights.

    A DataLoader without targets is a ValueError; a training that ends with a non-finite
    loss (nan or inf, often a learning rate too large) gives a RuntimeWarning.

    With `compiled` (the default) each training step runs under `autograd.compile`:
    captured on its first calls for a batch shape, then replayed, with the same numbers as
    eager to the last bit, faster. A model or loss it cannot replay (one that reads tensor
    values, or builds Value graphs) is trained eagerly instead, with a warning saying why;
    the step that found out runs again eagerly, so what its forward does besides computing
    (random draws such as dropout's masks, forward hooks) happens twice. `compiled=False`
    trains eagerly from the start.

    Training tunes the process's memory allocator first (`autograd.keep_freed_memory`),
    so that each step reuses the memory the last one freed; CHAINRULE_KEEP_MALLOC=1 in the
    environment leaves it alone.
    """
    for loader, role in ((train_loader, "training"), (val_loader, "validation")):
        if isinstance(loader, DataLoader):
            loader.check_targets("fit", role)
    keep_freed_memory()
    history = History()
    dtype = model_dtype(model)
    # (monitored loss, epoch, weights), replaced whole by one assignment so that Ctrl-C,
    # wherever it lands, never leaves the weights of one epoch with the number of another
    best: tuple[float, int, dict[str, np.ndarray]] | None = None
    waited = 0
    step = TrainingStep(model, loss_fn, optimizer, dtype, compiled)
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            model.train()
            total, score, count = 0.0, 0.0, 0
            bar = (_progress_bar(train_loader, f"epoch {epoch + 1}/{epochs}")
                   if progress and tqdm is not None else None)
            try:
                for b, (xb, yb) in enumerate(bar if bar is not None else train_loader):
                    loss, out = step(xb, yb)
                    loss_value = float(loss.data)
                    total, count = total + loss_value * len(xb), count + len(xb)
                    if metric is not None:
                        score += metric(out.data, yb) * len(xb)
                    if bar is not None:
                        bar.set_postfix(loss=f"{total / count:.4f}", refresh=False, acc=(
                            f"{score / count:.3f}" if metric is not None else "-"))
                    if on_batch is not None:
                        on_batch(epoch, b, loss_value)
            finally:
                if bar is not None:
                    bar.close()
            if count == 0:
                raise ValueError("fit: the training loader gave no batches")
            val_loss, val_acc = (evaluate(model, loss_fn, val_loader, metric)
                                 if val_loader is not None else (None, None))
            # the epoch is recorded only once validated: a row of every column at once
            history.append_epoch(total / count, score / count if metric is not None else None,
                                 val_loss, val_acc, time.perf_counter() - start, optimizer.lr)
            monitored = val_loss if val_loss is not None else history.train_loss[-1]
            if monitored < (best[0] if best is not None else np.inf) - min_delta:
                best, waited = (monitored, epoch, model.state_dict()), 0
                history.best_epoch = epoch
            else:
                waited += 1
            if scheduler is not None:
                scheduler.step()
            if progress:
                _report(history, epoch, epochs)
            if on_epoch is not None:
                on_epoch(epoch, history)
            if patience is not None and waited >= patience:
                history.stopped_early = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
        history.drop_unfinished_epoch()
        if progress:
            print("training interrupted; keeping the best weights so far")
    finally:
        history.best_epoch = best[1] if best is not None else None
        if restore_best and best is not None:
            model.load_state_dict(best[2])
    _warn_if_diverged(history)
    return history


def _warn_if_diverged(history: History) -> None:
    last = [v for v in (history.train_loss[-1:] + history.val_loss[-1:]) if v is not None]
    if any(not np.isfinite(v) for v in last):
        kept = ("" if history.best_epoch is None
                else f"; the model keeps the weights of epoch {history.best_epoch + 1}")
        warnings.warn(f"fit: training ended with a non-finite loss ({last}); the learning "
                      f"rate may be too large or the data hold inf or nan{kept}",
                      RuntimeWarning, stacklevel=3)


def _report(history: History, epoch: int, epochs: int) -> None:
    parts = [f"epoch {epoch + 1}/{epochs}", f"loss {history.train_loss[-1]:.4f}"]
    if history.train_accuracy[-1] is not None:
        parts.append(f"acc {history.train_accuracy[-1]:.3f}")
    if history.val_loss[-1] is not None:
        parts.append(f"val_loss {history.val_loss[-1]:.4f}")
    if history.val_accuracy[-1] is not None:
        parts.append(f"val_acc {history.val_accuracy[-1]:.3f}")
    parts.append(f"{history.epoch_time[-1]:.2f}s")
    print("  ".join(parts))
