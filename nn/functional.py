"""The layers as plain functions, in the manner of `torch.nn.functional`.

    >>> import numpy as np
    >>> import nn.functional as F
    >>> from autograd import Tensor
    >>> x = Tensor(np.ones((1, 1, 8, 8)))                    # (N, C, H, W)
    >>> weight, bias = Tensor(np.ones((2, 1, 5, 5))), Tensor(np.zeros(2))
    >>> F.max_pool2d(F.relu(F.conv2d(x, weight, bias, padding=2)), 2).shape
    (1, 2, 4, 4)

Each function takes its parameters as arguments instead of owning them; the layer
classes (`nn.Conv2d`, `nn.Linear`, ...) call these very functions. All work on Tensors;
the losses also accept Values (see `nn.losses`).
"""

from __future__ import annotations

from autograd import Tensor, avg_pool2d, conv1d, conv2d, linear, log_softmax, max_pool2d, softmax
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
)

__all__ = [
    "avg_pool2d", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d",
    "conv2d", "cross_entropy", "flatten", "leaky_relu", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "relu", "sigmoid", "softmax", "tanh",
]


def relu(x: Tensor) -> Tensor:
    return x.relu()


def leaky_relu(x: Tensor, slope: float = 0.01) -> Tensor:
    return x.leaky_relu(slope)


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def flatten(x: Tensor, start_dim: int = 1) -> Tensor:
    """Join every axis from `start_dim` on (by default all but the batch axis)."""
    return x.flatten(start_dim)
