"""Networks of scalar `Value`s, in micrograd's style: every weight is its own graph node.

    >>> from nn import MLP
    >>> model = MLP(2, [16, 16, 1], seed=0)   # ReLU hidden layers, linear output
    >>> score = model([0.5, -1.0])            # one Value; draw its graph, step through it
    >>> len(model.parameters())
    337

Slow (a Python object per multiply-add) but transparent. To train on a batch, use the
Tensor layers (`nn.mlp`, `nn.Sequential`), whose `to_scalar()` shows the same network
one scalar at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Value
from nn.activations import ACTIVATIONS
from nn.init import initialize, make_rng
from nn.module import Module, register_module


def activate(v: Value, activation: str | None) -> Value:
    """Apply the named activation to a Value (None: the identity)."""
    return v if activation is None else getattr(v, activation)()


def _check_activation(activation: str | None) -> None:
    if activation is not None and not (activation in ACTIVATIONS
                                       and ACTIVATIONS[activation].scalar):
        choices = sorted(name for name, entry in ACTIVATIONS.items() if entry.scalar)
        raise ValueError(f"unknown activation {activation!r}; choose one of {choices} "
                         "or None")


@register_module
class Neuron(Module):
    """activation(w · x + b), with `nin` weight Values and one bias Value (starting at 0)."""

    def __init__(self, nin: int, activation: str | None = "relu", init: str = "uniform",
                 seed: int | None = None, rng: np.random.Generator | None = None) -> None:
        _check_activation(activation)
        self.nin, self.activation, self.init = nin, activation, init
        weights = initialize(init, (1, nin), make_rng(seed, rng))[0]
        self.w = [Value(float(w)) for w in weights]
        self.b = Value(0.0)

    def forward(self, x: Sequence[Any]) -> Value:
        if len(x) != self.nin:
            raise ValueError(f"Neuron expects {self.nin} inputs, got {len(x)}")
        return activate(Value.dot(self.w, x) + self.b, self.activation)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation, "init": self.init}


@register_module
class Layer(Module):
    """`nout` neurons reading the same inputs; returns a list (one Value if nout == 1)."""

    _expand_repr = False

    def __init__(self, nin: int, nout: int, activation: str | None = "relu",
                 init: str = "uniform", seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        rng = make_rng(seed, rng)
        self.nin, self.nout, self.activation, self.init = nin, nout, activation, init
        self.neurons = [Neuron(nin, activation, init, rng=rng) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation,
                "init": self.init}


@register_module
class MLP(Module):
    """Layers of sizes `nouts`; hidden layers use `activation`, the last one none.

    Weights are drawn from `init` (default U(-1, 1), as micrograd does) with a generator
    seeded by `seed` (or the given `rng`), so the same seed gives the same network.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str | None = "relu",
                 init: str = "uniform", seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        rng = make_rng(seed, rng)
        self.nin, self.nouts, self.activation, self.init = nin, list(nouts), activation, init
        sizes = [nin] + self.nouts
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], activation if i < last else None, init,
                             rng=rng) for i in range(len(self.nouts))]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nouts": self.nouts, "activation": self.activation,
                "init": self.init}
