"""Activation modules. Each runs on a Tensor batch and, for the scalar view, on Values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor, Value
from nn.module import Module, register_module
from nn.scalar_view import map_values


class _Elementwise(Module):
    """An activation applied elementwise through the node method `method`."""

    method = ""

    def _args(self) -> tuple:
        return ()

    def forward(self, x: Tensor) -> Tensor:
        return getattr(x, self.method)(*self._args())

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        args = self._args()
        return map_values(lambda v: getattr(v, self.method)(*args), x)


@register_module
class ReLU(_Elementwise):
    """max(0, x)."""

    method = "relu"


@register_module
class Sigmoid(_Elementwise):
    """1 / (1 + e⁻ˣ); saturates (gradient near 0) for large |x|."""

    method = "sigmoid"


@register_module
class Tanh(_Elementwise):
    """tanh x, a sigmoid rescaled to (-1, 1)."""

    method = "tanh"


@register_module
class LeakyReLU(_Elementwise):
    """x for x > 0, slope·x otherwise: no dead units."""

    method = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = float(slope)

    def _args(self) -> tuple:
        return (self.slope,)

    def config(self) -> dict[str, Any]:
        return {"slope": self.slope}


@register_module
class ELU(_Elementwise):
    """x for x > 0, alpha·(eˣ - 1) otherwise."""

    method = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def _args(self) -> tuple:
        return (self.alpha,)

    def config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


@register_module
class Softmax(Module):
    """exp(x) / sum(exp(x)) along `axis`: each slice becomes a probability vector."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = int(axis)

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(axis=self.axis)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        # the scalar view has no batch axis: an axis counted from 0 shifts by one
        if self.axis == 0:
            raise ValueError("Softmax(axis=0) mixes the examples of a batch; it has no "
                             "one-example (scalar) version")
        axis = self.axis if self.axis < 0 else self.axis - 1
        rows = np.moveaxis(x, axis, -1)
        out = np.empty(rows.shape, dtype=object)
        for index in np.ndindex(rows.shape[:-1]):
            row = rows[index]
            # subtracting the (constant) max keeps exp from overflowing; the result is equal
            shift = max(v.data for v in row)
            exps = [(v - shift).exp() for v in row]
            total = Value.sum(exps)
            out[index] = [e / total for e in exps]
        return np.moveaxis(out, -1, axis)

    def config(self) -> dict[str, Any]:
        return {"axis": self.axis}


@register_module
class Maxout(Module):
    """The max over each group of `pieces` consecutive features: (..., m) -> (..., m/pieces).

    Put after a Linear layer with pieces × units outputs to get maxout units (Goodfellow
    et al.): each unit learns a piecewise-linear convex activation.
    """

    def __init__(self, pieces: int = 2) -> None:
        if pieces < 1:
            raise ValueError(f"Maxout: pieces must be >= 1, got {pieces}")
        self.pieces = int(pieces)

    def _grouped_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if shape[-1] % self.pieces:
            raise ValueError(f"Maxout({self.pieces}): the last axis of shape {shape} is "
                             f"not a multiple of {self.pieces}")
        return (*shape[:-1], shape[-1] // self.pieces, self.pieces)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(self._grouped_shape(x.shape)).max(axis=-1)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        groups = x.reshape(self._grouped_shape(x.shape))
        out = np.empty(groups.shape[:-1], dtype=object)
        for index in np.ndindex(out.shape):
            # the max passes its gradient to the winning input (the first one on a tie)
            out[index] = max(groups[index], key=lambda v: v.data)
        return out

    def config(self) -> dict[str, Any]:
        return {"pieces": self.pieces}


ACTIVATION_MODULES: dict[str, type[Module]] = {
    "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU, "elu": ELU,
}
