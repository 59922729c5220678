"""An Elman RNN cell of scalar `Value`s, small enough to draw unrolled through time.

    >>> from nn import ScalarRNNCell
    >>> cell = ScalarRNNCell(input_size=1, hidden_size=2, seed=0)
    >>> states = cell.unroll([[0.5], [-1.0], [0.25]])   # three steps
    >>> len(states), len(states[-1])
    (3, 2)

Each hidden unit is a `Neuron` reading the input and the previous hidden state side by
side, h_t = tanh(W_ih x_t + W_hh h_{t-1} + b): the same weights serve every step, so in
the unrolled graph each weight has one edge per step, and backward adds up the gradient
they bring (backpropagation through time). `nn.RNN` computes the same on Tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Value
from nn.init import whole_number
from nn.module import Module, register_module
from nn.rnn import checked_nonlinearity
from nn.scalar import Layer


@register_module
class ScalarRNNCell(Module):
    """h' = nonlinearity(W_ih x + W_hh h + b), one Value per weight (U(-1, 1) by default)."""

    _expand_repr = False

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 init: str = "uniform", seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        self.input_size = whole_number("ScalarRNNCell", "input_size", input_size)
        self.hidden_size = whole_number("ScalarRNNCell", "hidden_size", hidden_size)
        self.nonlinearity = checked_nonlinearity("ScalarRNNCell", nonlinearity)
        self.init = init
        # unit j's weights: input_size for x, then hidden_size for h (W_ih and W_hh, row j)
        self.units = Layer(self.input_size + self.hidden_size, self.hidden_size, nonlinearity,
                           init, seed=seed, rng=rng)

    def forward(self, x: Sequence[Any], h: Sequence[Any] | None = None) -> list[Value]:
        """One step: `x` has input_size numbers or Values, `h` hidden_size (zeros if None)."""
        if len(x) != self.input_size:
            raise ValueError(f"ScalarRNNCell: expected {self.input_size} inputs, got {len(x)}")
        if h is None:
            h = [0.0] * self.hidden_size
        elif len(h) != self.hidden_size:
            raise ValueError(f"ScalarRNNCell: expected a hidden state of {self.hidden_size} "
                             f"values, got {len(h)}")
        out = self.units(list(x) + list(h))
        return [out] if isinstance(out, Value) else out

    def unroll(self, xs: Sequence[Sequence[Any]], h0: Sequence[Any] | None = None
               ) -> list[list[Value]]:
        """The hidden state after each step of the sequence `xs` (one list per step)."""
        states, h = [], h0
        for x in xs:
            h = self(x, h)
            states.append(h)
        return states

    def weight_names(self) -> dict[str, Value]:
        """{"W_ih[j,k]": Value, "W_hh[j,k]": ..., "b[j]": ...}: names for `draw_graph`."""
        names = {}
        for j, neuron in enumerate(self.units.neurons):
            for k, w in enumerate(neuron.w):
                if k < self.input_size:
                    names[f"W_ih[{j},{k}]"] = w
                else:
                    names[f"W_hh[{j},{k - self.input_size}]"] = w
            names[f"b[{j}]"] = neuron.b
        return names

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "nonlinearity": self.nonlinearity, "init": self.init}
