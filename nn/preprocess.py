"""Input scaling, two ways: `Standardize`, a layer, and `FeatureScaler`, for arrays.

`Standardize` is the model's first layer, so a saved model carries it. A model trained
on standardised inputs needs the very same shift and scale whenever it is used again.
Kept in a layer as buffers, they are saved by `nn.save` with the weights (and as plain
numbers in the architecture) and applied by every later call: `chainrule evaluate`,
`chainrule predict`, or a notebook after `nn.load`. One std for all features.

`FeatureScaler` transforms numpy arrays before they reach a model (one std per feature,
or PCA whitening); the model does not carry it, so the caller applies it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.module import Module, register_module

# the smallest std Standardize takes: float32's smallest normal number; 1/std stays finite
_SMALLEST_STD = float(np.finfo(np.float32).tiny)


@register_module
class Standardize(Module):
    """y = (x - mean) / std: `mean` per feature, one `std` for all; constants, never trained.

    `Standardize.fit(train_inputs)` takes the mean of each feature and the standard
    deviation of all centred values together. One std for all pixels, rather than one per
    pixel (as `nn.FeatureScaler` does), keeps the MNIST border pixels, which are almost
    always 0, from being blown up by a tiny std.
    """

    def __init__(self, mean: Any, std: float = 1.0) -> None:
        mean, std = np.asarray(mean, dtype=np.float64), np.float64(std)
        self.check_buffer("mean", mean)
        self.check_buffer("std", std)
        # buffers: in state_dict (so torch and safetensors see them), never trained
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def check_buffer(self, name: str, array: np.ndarray) -> None:
        """Refuse a mean with a non-finite entry, and a std that is not finite or so
        small (below float32's smallest normal number, ~1.2e-38) that dividing by it turns
        ordinary inputs into inf: checked on construction and by `load_state_dict`."""
        if name == "mean" and not np.all(np.isfinite(array)):
            raise ValueError(f"Standardize: the mean has {np.sum(~np.isfinite(array))} "
                             "non-finite entries")
        if name == "std" and not (_SMALLEST_STD <= array < np.inf):
            raise ValueError(f"Standardize: std must be finite and at least {_SMALLEST_STD:.3g}"
                             f", got {float(array)!r}")

    @classmethod
    def fit(cls, x: Any) -> Standardize:
        """Fit on training inputs of shape (n, *features)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 2 or len(x) < 2:
            raise ValueError(f"Standardize.fit: need at least 2 examples with features, "
                             f"got shape {x.shape}")
        mean = x.mean(axis=0)
        std = float((x - mean).std())
        return cls(mean, std if std > 0 else 1.0)  # constant inputs: only centre them

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x, dtype="float32")
        self._check_input(x.shape)
        dtype = np.dtype(x.dtype)
        return (x - self.mean.astype(dtype)) / dtype.type(self.std)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        self._check_input(x.shape)
        return (x - self.mean) / float(self.std)

    def _check_input(self, shape: tuple[int, ...]) -> None:
        """Inputs (n, *features) or one example must end in the mean's shape: numpy would
        broadcast some mismatches silently (a mean of shape (1,)), or fail from deep inside."""
        features = self.mean.shape
        if features and shape[len(shape) - len(features):] != features:
            raise ValueError(f"Standardize: inputs of shape {shape} do not match the mean's "
                             f"shape {features}")

    def config(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "std": float(self.std)}

    def extra_repr(self) -> str:  # not the default: it would print every mean
        return f"mean of shape {self.mean.shape}, std={float(self.std):.4g}"


class FeatureScaler:
    """Scale numpy arrays before training: fit on the training inputs, then `transform`
    any data with the same shift and scale. Not a layer: a saved model does not carry it.

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

    def fit(self, x: Any) -> FeatureScaler:
        x = np.asarray(x)
        if x.ndim < 2 or len(x) < 2:
            raise ValueError(f"FeatureScaler.fit: need at least 2 examples with features, "
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
            raise RuntimeError("FeatureScaler: call fit(train_inputs) before transform")
        x = np.asarray(x)
        if x.shape[1:] != self.feature_shape:
            raise ValueError(f"FeatureScaler: fitted on examples of shape {self.feature_shape}, "
                             f"got {x.shape[1:]}")
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
        centred = x.reshape(len(x), -1) - self.mean
        if self.whiten:
            return (centred @ self.scale).astype(dtype)
        return (centred / self.scale).reshape(x.shape).astype(dtype)

    def fit_transform(self, x: Any) -> np.ndarray:
        """`fit(x)`, then `transform(x)`."""
        return self.fit(x).transform(x)
