"""Feeding data to a model: mini-batches, a train/validation split and standardisation.

Everything random takes a seed, so a run can be repeated exactly. Arrays stay numpy
arrays here; the training loop turns each batch into Tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn.init import make_rng


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
        if int(batch_size) < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self._rng = make_rng(seed, rng)

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
        if int(max_shift) < 0:
            raise ValueError(f"RandomShift: max_shift must be >= 0, got {max_shift}")
        self.max_shift, self.image_shape = int(max_shift), tuple(image_shape)

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


class Standardizer:
    """Fit on the training inputs, then apply the same shift and scale to any data.

    Each feature gets mean 0 and standard deviation 1 (a constant feature is only
    centred). With `whiten=True`, the centred data is instead rotated onto its principal
    axes and scaled to unit variance along each (PCA whitening): features become
    uncorrelated, and the output is (n, features) whatever the input's shape.
    """

    def __init__(self, whiten: bool = False, eps: float = 1e-8) -> None:
        self.whiten, self.eps = whiten, eps
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None  # per-feature std, or the whitening matrix
        self.feature_shape: tuple[int, ...] | None = None

    def fit(self, x: Any) -> Standardizer:
        x = np.asarray(x)
        if x.ndim < 2 or len(x) < 2:
            raise ValueError(f"Standardizer.fit: need at least 2 examples with features, "
                             f"got shape {x.shape}")
        self.feature_shape = x.shape[1:]
        flat = x.reshape(len(x), -1).astype(np.float64)
        self.mean = flat.mean(axis=0)
        centred = flat - self.mean
        if self.whiten:
            variances, axes = np.linalg.eigh(centred.T @ centred / len(x))
            self.scale = axes / np.sqrt(np.maximum(variances, 0.0) + self.eps)
        else:
            std = centred.std(axis=0)
            self.scale = np.where(std > self.eps, std, 1.0)
        return self

    def transform(self, x: Any) -> np.ndarray:
        if self.mean is None:
            raise RuntimeError("Standardizer: call fit(train_inputs) before transform")
        x = np.asarray(x)
        if x.shape[1:] != self.feature_shape:
            raise ValueError(f"Standardizer: fitted on examples of shape {self.feature_shape}, "
                             f"got {x.shape[1:]}")
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
        centred = x.reshape(len(x), -1) - self.mean
        if self.whiten:
            return (centred @ self.scale).astype(dtype)
        return (centred / self.scale).reshape(x.shape).astype(dtype)

    def fit_transform(self, x: Any) -> np.ndarray:
        return self.fit(x).transform(x)
