"""Feeding data to a model: mini-batches, augmentation and a train/validation split.

Everything random takes a seed, so a run can be repeated exactly. Arrays stay numpy
arrays here; the training loop turns each batch into Tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn.init import make_rng, whole_number


def _check_lengths(name: str, x: np.ndarray, y: np.ndarray | None) -> None:
    if x.ndim == 0:
        raise ValueError(f"{name}: inputs need a first (example) axis, got a scalar")
    if y is not None and len(y) != len(x):
        raise ValueError(f"{name}: {len(x)} inputs but {len(y)} targets")


class DataLoader:
    """Mini-batches of (inputs, targets) — or of inputs alone when `y` is None.

    With `shuffle`, each pass draws a new order from a generator seeded once with `seed`:
    two loaders with the same seed give the same batches, epoch after epoch. `drop_last`
    skips a final batch smaller than `batch_size`. Batch, stochastic and mini-batch
    gradient descent are batch_size = len(x), 1 and anything between.
    """

    def __init__(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None,
                 rng: np.random.Generator | None = None,
                 transform: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
                 ) -> None:
        self.transform = transform  # applied to each batch of inputs (data augmentation)
        self.x = np.asarray(x)
        self.y = None if y is None else np.asarray(y)
        _check_lengths("DataLoader", self.x, self.y)
        self.batch_size = whole_number("DataLoader", "batch_size", batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self._rng = make_rng(seed, rng)

    def check_targets(self, name: str, role: str) -> None:
        """Raise ValueError (naming `name` and the loader's `role`) if this loader gives
        inputs alone, where (inputs, targets) pairs are needed."""
        if self.y is None:
            raise ValueError(f"{name}: the {role} loader gives inputs without targets; "
                             "build it as DataLoader(x, y)")

    def __len__(self) -> int:
        n = len(self.x)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.x)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            x = self.x[index]
            if self.transform is not None:
                x = self.transform(x, self._rng)
            yield x if self.y is None else (x, self.y[index])


class RandomShift:
    """Data augmentation: move each image by up to `max_shift` pixels in x and y.

    The pixels that come in from outside are 0 (MNIST's black background). Images may be
    flat (N, H*W), (N, H, W) or (N, 1, H, W); `image_shape` = (H, W) says how to read a
    flat row. Use it as a DataLoader `transform`; it draws from the loader's generator.
    """

    def __init__(self, max_shift: int = 1, image_shape: tuple[int, int] = (28, 28)) -> None:
        self.max_shift = whole_number("RandomShift", "max_shift", max_shift, low=0)
        self.image_shape = tuple(image_shape)
        if self.max_shift >= min(self.image_shape):  # every image could leave the frame
            raise ValueError(f"RandomShift: max_shift {max_shift} must be smaller than the "
                             f"images, {self.image_shape[0]}x{self.image_shape[1]}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.max_shift == 0:
            return x
        height, width = self.image_shape
        if x.size != len(x) * height * width:
            raise ValueError(f"RandomShift: a batch of shape {x.shape} does not hold "
                             f"{height}x{width} images")
        k, n = self.max_shift, len(x)
        padded = np.pad(x.reshape(n, height, width), ((0, 0), (k, k), (k, k)))
        dy, dx = rng.integers(-k, k + 1, (2, n))
        rows = np.arange(height) + k + dy[:, None]  # (n, H): the source row of each row
        cols = np.arange(width) + k + dx[:, None]
        moved = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
        return moved.reshape(x.shape)


def train_val_split(x: Any, y: Any = None, val_fraction: float = 0.2, seed: int = 0
                    ) -> tuple[np.ndarray, ...]:
    """Shuffle (seeded) and split: (x_train, x_val, y_train, y_val), or (x_train, x_val)."""
    x = np.asarray(x)
    y = None if y is None else np.asarray(y)
    _check_lengths("train_val_split", x, y)
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = int(round(len(x) * val_fraction))
    if n_val == 0 or n_val == len(x):
        raise ValueError(f"train_val_split: {len(x)} examples cannot be split "
                         f"{1 - val_fraction:g}/{val_fraction:g}")
    train, val = order[n_val:], order[:n_val]
    if y is None:
        return x[train], x[val]
    return x[train], x[val], y[train], y[val]

