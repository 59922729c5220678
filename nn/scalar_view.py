"""One model, two engines: run a Tensor model on one example through scalar `Value`s.

    >>> import nn
    >>> model = nn.mlp(4, [8, 3], seed=0)
    >>> view = model.to_scalar()        # a Value leaf for every weight, same numbers
    >>> out = view([0.5, -1.0, 2.0, 0.0])   # object array of Values: draw any of them
    >>> out[0].backward()
    >>> view.grads()["0.weight"].shape  # the Value grads, back as arrays
    (8, 4)

The Tensor forward trains fast on batches; the scalar one shows every neuron's graph.
Each layer implements `forward_values(x, values)`: `x` is an object array of Values for
one example (no batch axis) and `values(tensor)` gives the Value leaves standing for a
parameter tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import Value

if TYPE_CHECKING:  # (nn.module imports this module: Module.to_scalar)
    from nn.module import Module


def map_values(fn: Callable[[Value], Value], x: np.ndarray) -> np.ndarray:
    """Apply `fn` to every Value of an object array, keeping its shape."""
    out = np.empty(x.shape, dtype=object)
    out.flat = [fn(v) for v in x.flat]
    return out


def as_values(x: Any, label: str = "x") -> np.ndarray:
    """An object array of Values from numbers (labelled x[i]) or from Values (kept)."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return x
    data = np.asarray(x, dtype=np.float64)
    out = np.empty(data.shape, dtype=object)
    for index in np.ndindex(data.shape):
        out[index] = Value(float(data[index]), label=f"{label}[{','.join(map(str, index))}]")
    return out


class ScalarView:
    """The Value graph of a Tensor model, built from a copy of its current weights."""

    def __init__(self, model: Module) -> None:
        self.model = model
        self.values: dict[str, np.ndarray] = {}  # parameter name -> object array of leaves
        self._by_id: dict[int, np.ndarray] = {}
        for name, p in model.named_parameters():
            leaves = as_values(np.asarray(p.data, dtype=np.float64), label=name)
            self.values[name] = leaves
            self._by_id[id(p)] = leaves

    def lookup(self, parameter: Any) -> np.ndarray:
        """The Value leaves that stand for one of the model's parameter tensors."""
        try:
            return self._by_id[id(parameter)]
        except KeyError:
            raise ValueError("ScalarView: this tensor is not a parameter of the model") from None

    def __call__(self, x_row: Any) -> np.ndarray:
        """The model's output for one example (no batch axis) as an object array of Values."""
        return self.model.forward_values(as_values(x_row), self.lookup)

    def parameters(self) -> list[Value]:
        return [v for leaves in self.values.values() for v in leaves.flat]

    def zero_grad(self) -> None:
        for v in self.parameters():
            v.grad = 0.0

    def grads(self) -> dict[str, np.ndarray]:
        """Each parameter's Value gradients, as a float64 array of the parameter's shape."""
        return {name: np.array([float(v.grad) for v in leaves.flat]).reshape(leaves.shape)
                for name, leaves in self.values.items()}
