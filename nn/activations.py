"""Activation modules, and `ACTIVATIONS`, the one registry of activations by name.

Each module runs on a Tensor batch and, for the scalar view, on Values. An elementwise
activation is registered with `@activation("name")` on its module class: the entry ties
the name to its op in `autograd.OPS` (which says whether `Linear(..., activation=name)`
can fuse it and whether scalar Values have it) and to the class. Given the op (in
`autograd.ops.elementwise`), adding an activation is this one decorated class; every
list of activation names (`nn.mlp`, `nn.Linear`, `nn.MLP`, `conv_net`, the command line)
reads the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from autograd import OPS, Op, Tensor, Value
from autograd.ops.softmax import softmax_values
from nn.module import Module, register_module
from nn.scalar_view import map_values


class Activation(NamedTuple):
    """One activation: its name, its elementwise op, its module class, and the weight
    initialiser (a name of `nn.init`) that keeps its layers' signals at a steady scale."""

    name: str
    op: Op
    module: type[Module]
    init: str

    @property
    def fusable(self) -> bool:
        """Whether `nn.Linear(..., activation=name)` can apply it inside its own node."""
        return self.op.fusable

    @property
    def scalar(self) -> bool:
        """Whether scalar Values have it (`Value.relu()`, ...), for `nn.MLP` and the view."""
        return "Value" in self.op.engines


ACTIVATIONS: dict[str, Activation] = {}


def activation(name: str, init: str = "xavier_uniform"
               ) -> Callable[[type[Module]], type[Module]]:
    """Register the decorated module class as the activation `name` (an op of
    `autograd.OPS`, applied through the node method of that name). `init`: He for the
    relu family, which zeroes about half its inputs; Glorot (Xavier) for the rest."""
    def register(cls: type[Module]) -> type[Module]:
        ACTIVATIONS[name] = Activation(name, OPS[name], cls, init)
        cls.method = name
        return register_module(cls)
    return register


def choose(where: str, name: str, fusable: bool = False) -> Activation:
    """The registered activation `name`; a ValueError from `where` listing the choices
    (only the fusable ones if `fusable`) when there is none."""
    entry = ACTIVATIONS.get(name)
    if entry is None or (fusable and not entry.fusable):
        choices = sorted(n for n, a in ACTIVATIONS.items() if a.fusable or not fusable)
        raise ValueError(f"{where}: unknown activation {name!r}; choose one of {choices}")
    return entry


class _Elementwise(Module):
    """An activation applied elementwise through the node method `method`."""

    method = ""  # set by @activation

    def _args(self) -> tuple:
        return ()

    def forward(self, x: Tensor) -> Tensor:
        return getattr(x, self.method)(*self._args())

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        args = self._args()
        return map_values(lambda v: getattr(v, self.method)(*args), x)


@activation("relu", init="he_normal")
class ReLU(_Elementwise):
    """max(0, x)."""


@activation("sigmoid")
class Sigmoid(_Elementwise):
    """1 / (1 + e⁻ˣ); saturates (gradient near 0) for large |x|."""


@activation("tanh")
class Tanh(_Elementwise):
    """tanh x, a sigmoid rescaled to (-1, 1)."""


@activation("leaky_relu", init="he_normal")
class LeakyReLU(_Elementwise):
    """x for x > 0, slope·x otherwise: no dead units."""

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = float(slope)

    def _args(self) -> tuple:
        return (self.slope,)

    def config(self) -> dict[str, Any]:
        return {"slope": self.slope}


@activation("elu", init="he_normal")
class ELU(_Elementwise):
    """x for x > 0, alpha·(eˣ - 1) otherwise."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def _args(self) -> tuple:
        return (self.alpha,)

    def config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


@activation("softplus")
class Softplus(_Elementwise):
    """log(1 + eˣ), a smooth relu."""


@activation("step")
class Step(_Elementwise):
    """1 where x > 0, else 0: the perceptron's threshold unit (with a bias b, it fires
    when w·x > -b, so the threshold is -b). Its derivative is 0 everywhere, so no
    gradient reaches the layers before it: the reason the smooth sigmoid replaced it."""


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
            out[index] = softmax_values(rows[index])
        return np.moveaxis(out, -1, axis)

    def config(self) -> dict[str, Any]:
        return {"axis": self.axis}


@register_module
class Maxout(Module):
    """The max over each group of `pieces` consecutive features: (..., m) -> (..., m/pieces).

    Put after a Linear layer with pieces × units outputs to get maxout units (Goodfellow
    et al.): each unit learns a piecewise-linear convex activation. Pieces that tie for
    the maximum share its gradient equally, in both engines (as `Tensor.max`).
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
            # the winning input, or the mean of tied ones (the gradient split, as Tensor.max)
            out[index] = Value.max(groups[index])
        return out

    def config(self) -> dict[str, Any]:
        return {"pieces": self.pieces}

