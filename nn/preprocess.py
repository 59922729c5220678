"""`Standardize`: input scaling as the model's first layer, so a saved model carries it.

A model trained on standardised inputs needs the very same shift and scale whenever it is
used again. Kept in a layer as buffers, they are saved by `nn.save` with the weights (and
as plain numbers in the architecture) and applied by every later call: `chainrule
evaluate`, `chainrule predict`, or a notebook after `nn.load`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.module import Module, register_module


@register_module
class Standardize(Module):
    """y = (x - mean) / std: `mean` per feature, one `std` for all; constants, never trained.

    `Standardize.fit(train_inputs)` takes the mean of each feature and the standard
    deviation of all centred values together. One std for all pixels, rather than one per
    pixel (as `nn.Standardizer` does), keeps the MNIST border pixels, which are almost
    always 0, from being blown up by a tiny std.
    """

    def __init__(self, mean: Any, std: float = 1.0) -> None:
        # buffers: in state_dict (so torch and safetensors see them), never trained
        self.register_buffer("mean", np.asarray(mean, dtype=np.float64))
        self.register_buffer("std", np.float64(std))
        if not np.all(np.isfinite(self.mean)) or not (np.isfinite(self.std) and self.std > 0):
            raise ValueError(f"Standardize: need a finite mean and a finite std > 0, got "
                             f"std={std} and a mean with {np.sum(~np.isfinite(self.mean))} "
                             "non-finite entries")

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
        dtype = np.dtype(x.dtype)
        return (x - self.mean.astype(dtype)) / dtype.type(self.std)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        return (x - self.mean.reshape(x.shape)) / float(self.std)

    def config(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "std": float(self.std)}

    def extra_repr(self) -> str:  # not the default: it would print every mean
        return f"mean of shape {self.mean.shape}, std={float(self.std):.4g}"
