"""Vectorised layers on `Tensor`s: Linear, Sequential, Flatten, Dropout, and `mlp`.

Every layer also has `forward_values`, its forward on one example through scalar Values,
so `model.to_scalar()` shows the very network that trains on batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, linear
from autograd.random import dropout_mask
from autograd.tape import depends_on
from nn.activations import choose
from nn.init import initialize, initialize_bias, make_rng, whole_number
from nn.module import Module, register_module


def as_tensor(x: Any, dtype: Any) -> Tensor:
    """`x` itself if it is a Tensor, else a constant Tensor of `dtype`."""
    return x if isinstance(x, Tensor) else Tensor(x, dtype=dtype)


@register_module
class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch.

    W is drawn with the initialiser `init` (see `nn.init`); b with `bias_init`: "zeros"
    (the default) or "normal", N(0, 1) as in Nielsen's book. Give `seed` or `rng` for a
    reproducible draw. With `activation` (a fusable one of `nn.ACTIVATIONS`: "relu",
    "sigmoid" or "tanh") the layer applies it too, in the same graph node (Keras'
    Dense(activation=...)): the same numbers as Linear then the activation module, with
    one node fewer to record and walk.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str = "xavier_uniform", dtype: str = "float32",
                 seed: int | None = None, rng: np.random.Generator | None = None,
                 activation: str | None = None, bias_init: str = "zeros") -> None:
        if activation is not None:
            choose("Linear", activation, fusable=True)
        self.in_features = whole_number("Linear", "in_features", in_features)
        self.out_features = whole_number("Linear", "out_features", out_features)
        self.init, self.dtype, self.activation = init, str(np.dtype(dtype)), activation
        self.bias_init = bias_init
        rng = make_rng(seed, rng)
        weight = initialize(init, (self.out_features, self.in_features), rng)
        self.weight = Tensor(weight, dtype=self.dtype, requires_grad=True, label="weight")
        self.bias = (Tensor(initialize_bias(bias_init, self.out_features, rng),
                            dtype=self.dtype, requires_grad=True, label="bias")
                     if bias else None)

    def forward(self, x: Any) -> Tensor:
        # an array input becomes a constant, uncopied
        return linear(x, self.weight, self.bias, self.activation)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        if x.shape != (self.in_features,):
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): one example "
                             f"must have shape ({self.in_features},), got {x.shape}")
        weight = values(self.weight)
        bias = values(self.bias) if self.bias is not None else None
        out = np.empty(self.out_features, dtype=object)
        for j in range(self.out_features):
            total = Value.dot(weight[j], x)
            out[j] = total if bias is None else total + bias[j]
            if self.activation is not None:
                out[j] = getattr(out[j], self.activation)()
        return out

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "init": self.init, "bias_init": self.bias_init,
                "dtype": self.dtype, "activation": self.activation}

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}" + (
            "" if self.bias is not None else ", bias=False") + (
            f", {self.activation}" if self.activation is not None else "")


@register_module
class Sequential(Module):
    """Layers applied one after the other; parameters are named "0.weight", "1.bias", ..."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, "
                                "not a Module")
        self.layers = list(layers)

    def _children(self) -> Iterator[tuple[str, Any]]:
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward_values(x, values)
        return x

    @classmethod
    def from_config(cls, config: dict[str, Any], children: list[Module]) -> Module:
        return cls(*children)

    def architecture_children(self) -> list[Module]:
        return list(self.layers)


@register_module
class Flatten(Module):
    """(n, d1, d2, ...) -> (n, d1·d2·...): keeps the batch axis, joins the rest."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        return x.reshape(-1)


@register_module
class Dropout(Module):
    """Zero each input with probability p while training, scaling the rest by 1/(1-p).

    This "inverted" dropout keeps the expected activation unchanged, so evaluation mode
    simply passes the input through. Masks come from a seedable generator.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self._rng = make_rng(seed, rng)

    def forward(self, x: Tensor) -> Tensor:
        depends_on(self, "training")  # a compiled step captures again after train()/eval()
        if not self.training or self.p == 0.0:
            return x
        # drawn through autograd.random, a compiled step draws a fresh mask at each replay
        return x * dropout_mask(self._rng, x.shape, self.p, x.dtype)

    def forward_values(self, x: np.ndarray, values: Callable) -> np.ndarray:
        if self.training and self.p > 0.0:
            raise ValueError("Dropout in training mode has no fixed scalar graph; "
                             "call model.eval() before to_scalar()")
        return x

    def config(self) -> dict[str, Any]:
        return {"p": self.p}


def mlp(nin: int, nouts: Sequence[int], activation: str = "relu",
        output_activation: str | None = None, init: str = "xavier_uniform",
        dtype: str = "float32", seed: int | None = None,
        rng: np.random.Generator | None = None, fuse: bool = False,
        bias_init: str = "zeros") -> Sequential:
    """A Tensor MLP: Linear layers of sizes `nouts`, `activation` between them.

    `mlp(784, [16, 16, 10], "sigmoid")` is 3Blue1Brown's network (13,002 parameters).
    Nielsen's book uses `mlp(784, [30, 10], "sigmoid", output_activation="sigmoid",
    init="normal", bias_init="normal")`, trained with `quadratic_cost`: sigmoid outputs,
    weights and biases drawn from N(0, 1). `bias_init` applies to every layer. The scalar
    `nn.MLP(nin, nouts)` is the same network one Value at a time; `to_scalar()` on this
    one builds that Value graph from these very weights. By default each activation is a
    layer of its own, so the graph shows it; `fuse=True` folds it into the Linear before
    it (relu, sigmoid and tanh), the same numbers with half the nodes: the fast path.
    """
    for name in (activation, output_activation):
        if name is not None:
            choose("mlp", name)
    rng = make_rng(seed, rng)
    sizes = [nin, *nouts]
    layers: list[Module] = []
    for i in range(len(nouts)):
        act = activation if i < len(nouts) - 1 else output_activation
        entry = None if act is None else choose("mlp", act)
        fused = act if fuse and entry is not None and entry.fusable else None
        layers.append(Linear(sizes[i], sizes[i + 1], init=init, dtype=dtype, rng=rng,
                             activation=fused, bias_init=bias_init))
        if entry is not None and fused is None:
            layers.append(entry.module())
    return Sequential(*layers)
