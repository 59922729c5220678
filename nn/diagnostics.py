"""Look inside a network: gradient norms and activation statistics, layer by layer.

    >>> import numpy as np, nn
    >>> model = nn.mlp(4, [8, 8, 3], "sigmoid", seed=0)
    >>> x = np.random.default_rng(0).normal(size=(16, 4))
    >>> nn.cross_entropy(model(x), np.arange(16) % 3).backward()
    >>> sorted(gradient_norms(model))  # one norm per Linear layer: compare them
    ['0', '2', '4']
    >>> print(table(activation_stats(model, x)))  # doctest: +ELLIPSIS
    layer   kind      shape               mean       std  saturated    dead
    0       Linear    (16, 8)      ...

Early layers of a deep sigmoid network get far smaller gradients than late ones; the
statistics show why: units pinned near 0 or 1 (saturated) pass almost no gradient, and
ReLU units that never fire (dead) pass none at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Node, Tensor, no_grad
from nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from nn.module import Module

SATURATION = 0.99  # sigmoid outside [0.01, 0.99] or |tanh| > 0.99 counts as saturated


def _grad_array(p: Node) -> np.ndarray:
    g = p.grad
    if g is None:
        return np.zeros(1)
    return np.asarray(g.data if isinstance(g, Node) else g, dtype=np.float64)


def gradient_norms(model: Module, per: str = "layer") -> dict[str, float]:
    """The L2 norm of the gradient of each layer's parameters (or of each parameter).

    Call after `backward()`. A layer is the module owning the parameters, named as in
    `named_parameters` ("0" for "0.weight" and "0.bias"). Missing gradients count as 0.
    """
    if per not in ("layer", "parameter"):
        raise ValueError(f"gradient_norms: per must be 'layer' or 'parameter', got {per!r}")
    squares: dict[str, float] = {}
    for name, p in model.named_parameters():
        key = name if per == "parameter" else name.rpartition(".")[0] or name
        squares[key] = squares.get(key, 0.0) + float(np.sum(_grad_array(p) ** 2))
    return {key: float(np.sqrt(total)) for key, total in squares.items()}


@dataclass(frozen=True)
class LayerStats:
    name: str
    kind: str  # the module's class name
    shape: tuple[int, ...]
    mean: float
    std: float
    saturated: float | None  # fraction of saturated outputs (sigmoid, tanh)
    dead: float | None  # fraction of units zero for every example (ReLU)


def _stats(name: str, module: Module, out: np.ndarray) -> LayerStats:
    out = out.astype(np.float64)
    saturated = dead = None
    if isinstance(module, Sigmoid):
        saturated = float(np.mean((out < 1 - SATURATION) | (out > SATURATION)))
    elif isinstance(module, Tanh):
        saturated = float(np.mean(np.abs(out) > SATURATION))
    elif isinstance(module, (ReLU, LeakyReLU)) and out.ndim >= 1:
        dead = float(np.mean(np.all(out <= 0, axis=0)))
    return LayerStats(name, type(module).__name__, out.shape, float(out.mean()),
                      float(out.std()), saturated, dead)


def activation_stats(model: Module, x: Any) -> list[LayerStats]:
    """Run `model(x)` once (no graph) and describe each innermost layer's output.

    Uses forward hooks, so it works for any model built from modules; outputs that are
    not Tensors (the scalar Value modules) are skipped.
    """
    rows: list[LayerStats] = []
    removers = []
    for name, module in model.named_modules():
        if not any(isinstance(c, Module) for _, c in module._children()):
            def hook(mod: Module, inputs: tuple, out: Any, name: str = name) -> None:
                if isinstance(out, Tensor):
                    rows.append(_stats(name, mod, out.data))
            removers.append(module.register_forward_hook(hook))
    try:
        with no_grad():
            model(x if isinstance(x, Tensor) else Tensor(x, dtype=model.parameters()[0].dtype))
    finally:
        for remove in removers:
            remove()
    return rows


def table(rows: list[LayerStats]) -> str:
    """The statistics as an aligned text table."""
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    lines = [f"{'layer':<8}{'kind':<10}{'shape':<14}{'mean':>10}{'std':>10}"
             f"{'saturated':>11}{'dead':>8}"]
    for r in rows:
        lines.append(f"{r.name:<8}{r.kind:<10}{str(r.shape):<14}{r.mean:>10.4f}{r.std:>10.4f}"
                     f"{pct(r.saturated):>11}{pct(r.dead):>8}")
    return "\n".join(lines)
