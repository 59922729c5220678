"""softmax and log_softmax, and the one stable log-sum-exp that every op here builds on.

exp(x) overflows float32 past x ≈ 88, but softmax(x) = softmax(x - c) for any constant
c: shifting each slice by its max makes every exponent <= 0 (`shifted_by_max`), and
log Σ exp(x) = log Σ exp(x - c) + c. logsumexp (autograd.ops.reduce), log_softmax, softmax
and cross_entropy (autograd.ops.fused) all use that one helper on arrays; `softmax_values`
and `logsumexp_values` do the same for a list of scalar Values (the scalar view of a model,
the losses on Values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd.mathfn as m
from autograd.op import register
from autograd.ops.shape import axis_index
from autograd.tensor import Tensor, result, tensor_method
from autograd.value import Value


def shifted_by_max(a: np.ndarray, axis: Any, keep_infinite: bool = False
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(a - top, top), `top` the max over `axis` (an int, a tuple or None) kept as length-1
    axes, so that exp(a - top) <= 1 never overflows.

    A slice whose max is ±inf gives nan; with `keep_infinite` it is shifted by 0 instead,
    so that the log-sum-exp of a slice of -inf stays -inf (that check costs a pass over
    `top`, which the softmax ops skip).
    """
    top = np.maximum.reduce(a, axis=axis, keepdims=True)
    if keep_infinite and not np.isfinite(top).all():
        top = np.where(np.isfinite(top), top, 0).astype(a.dtype)
    return a - top, top


def _log_sum_exp_shifted(shifted: np.ndarray, axis: Any) -> np.ndarray:
    with np.errstate(divide="ignore"):  # a slice of -inf gives log(0) = -inf
        return np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def logsumexp_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    """log(sum(exp(a))) over `axes` (None: all), computed without overflow."""
    shifted, top = shifted_by_max(a, axes, keep_infinite=True)
    out = _log_sum_exp_shifted(shifted, axes) + top
    return out if keepdims else out.reshape(_dropped(a.shape, axes))


def _dropped(shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _shifted_exps(values: Sequence[Value]) -> tuple[list[Value], float]:
    """exp(v - max) for each Value, and the max (a constant, so no gradient flows to it)."""
    shift = max(v.data for v in values)
    return [(v - shift).exp() for v in values], shift


def softmax_values(values: Sequence[Value]) -> list[Value]:
    """softmax of a list of Values, stable for large values."""
    exps, _ = _shifted_exps(values)
    total = Value.sum(exps)
    return [e / total for e in exps]


def logsumexp_values(values: Sequence[Value]) -> Value:
    """log(sum(exp(v))) of a list of Values, stable for large values."""
    exps, shift = _shifted_exps(values)
    return Value.sum(exps).log() + shift


# -- softmax ----------------------------------------------------------------------------
@tensor_method()
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, stable for large |x|."""
    axis = axis_index("softmax", axis, x.ndim)
    return result(SOFTMAX.forward(x.data, axis), (x,), SOFTMAX, axis)


def softmax_forward(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(shifted_by_max(a, axis)[0])
    return e / e.sum(axis=axis, keepdims=True)


def softmax_grad(g, out, axis, a):
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


SOFTMAX = register(
    "softmax", "∂sᵢ/∂aⱼ = sᵢ(δᵢⱼ - sⱼ), so ∂ = s·(g - Σ g·s)", engines=("Tensor",),
    forward=softmax_forward, grad=softmax_grad)


# -- log_softmax ------------------------------------------------------------------------
@tensor_method()
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis`, stable for large |x|."""
    axis = axis_index("log_softmax", axis, x.ndim)
    return result(LOG_SOFTMAX.forward(x.data, axis), (x,), LOG_SOFTMAX, axis)


def log_softmax_forward(a: np.ndarray, axis: int) -> np.ndarray:
    shifted, _ = shifted_by_max(a, axis)
    return shifted - _log_sum_exp_shifted(shifted, axis)  # = a - logsumexp(a)


def log_softmax_grad(g, out, axis, a):
    return (g - m.exp(out) * g.sum(axis=axis, keepdims=True),)


LOG_SOFTMAX = register(
    "log_softmax", "∂(a - logΣeᵃ)ᵢ/∂aⱼ = δᵢⱼ - softmax(a)ⱼ, so ∂ = g - eᵒᵘᵗ·Σg",
    engines=("Tensor",), forward=log_softmax_forward, grad=log_softmax_grad)
