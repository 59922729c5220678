"""The layers as plain functions, in the manner of `torch.nn.functional`.

    >>> import nn.functional as F
    >>> y = F.max_pool2d(F.relu(F.conv2d(x, weight, bias, padding=2)), 2)

Each function takes its parameters as arguments instead of owning them; the layer
classes (`nn.Conv2d`, `nn.Linear`, ...) call these very functions. All work on Tensors;
the losses also accept Values (see `nn.losses`).
"""

from __future__ import annotations

from autograd import Tensor, linear, log_softmax, softmax
from autograd.cnn_ops import avg_pool2d, conv1d, conv2d, max_pool2d
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
