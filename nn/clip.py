"""Gradient clipping by the total norm, as `torch.nn.utils.clip_grad_norm_`.

Backpropagation through time multiplies the gradient by the recurrent Jacobian once per
step, so a long sequence can make it explode; rescaling the whole gradient when its norm
exceeds a threshold keeps its direction and bounds the step (Pascanu et al., 2013).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Node
from autograd.tape import recorded


def _grad_arrays(parameters: Iterable[Node] | Node) -> list[tuple[Node, Any]]:
    """(parameter, gradient as an array) for each parameter that has a gradient."""
    if isinstance(parameters, Node):
        parameters = [parameters]
    found = []
    for p in parameters:
        if not isinstance(p, Node):
            raise TypeError(f"clip_grad_norm: parameters must be Values or Tensors, got "
                            f"{type(p).__name__}")
        g = p.grad
        if g is None:
            continue
        found.append((p, np.asarray(g.data if isinstance(g, Node) else g)))
    return found


def _norm(array: np.ndarray, norm_type: float) -> float:
    magnitudes = np.abs(array.astype(np.float64, copy=False)).ravel()
    if norm_type == math.inf:
        return float(magnitudes.max()) if magnitudes.size else 0.0
    return float(np.sum(magnitudes ** norm_type) ** (1.0 / norm_type))


@recorded  # a compiled step clips again (its return value is the capture's)
def clip_grad_norm(parameters: Iterable[Node] | Node, max_norm: float,
                   norm_type: float | str = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale every gradient in place so that their total norm is at most `max_norm`.

    The total norm is that of all gradients joined into one vector (`norm_type` p, or
    "inf" / math.inf for the largest magnitude). When it exceeds `max_norm`, each
    gradient is multiplied by max_norm / (total + 1e-6), as PyTorch does. Parameters
    (Values or Tensors) without a gradient are skipped. Returns the total norm before
    clipping. A nan or infinite total makes the gradients nan, as in PyTorch, unless
    `error_if_nonfinite`, which raises RuntimeError instead.
    """
    if norm_type in ("inf", "Inf"):
        norm_type = math.inf
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be positive, got {norm_type}")
    pairs = _grad_arrays(parameters)
    if not pairs:
        return 0.0
    # the norm of the per-parameter norms: the order of summation PyTorch uses
    total = _norm(np.array([_norm(g, norm_type) for _, g in pairs]), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm: the total norm of order {norm_type} of the "
                           f"gradients is {total}; set error_if_nonfinite=False to go on")
    coefficient = float(np.minimum(max_norm / (total + 1e-6), 1.0))  # nan stays nan
    if coefficient == 1.0:
        return total
    with np.errstate(invalid="ignore"):  # inf·0 is nan, silently, as in PyTorch
        for p, _ in pairs:
            g = p.grad
            if isinstance(g, np.ndarray) and g.flags.writeable:
                g *= coefficient  # in place, as torch's mul_
            else:  # a Value's float, a create_graph Tensor, a read-only array
                p.grad = g * coefficient
    return total
