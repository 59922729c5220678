"""Tensor-only ops: matmul, astype, clip, maximum, minimum, where, softmax, log_softmax.

Masks that pick where a gradient goes (clip, maximum, where) are constants computed
from the data: no gradient flows through a comparison.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autograd import mathfn as m
from autograd import reduce_ops, shape_ops
from autograd.op import register
from autograd.tensor import Tensor, _float_dtype, check_dtypes, constant_input, result


def _pair(name: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of one dtype (a number or array takes the Tensor's)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{name}: needs at least one Tensor operand")
        a = constant_input(name, a, b)
    elif not isinstance(b, Tensor):
        b = constant_input(name, b, a)
    check_dtypes(name, a, b)
    return a, b


# -- matmul -----------------------------------------------------------------------------
def matmul(a: Any, b: Any) -> Tensor:
    """a @ b with numpy's rules: 1-D, 2-D and batched (broadcast leading axes) operands."""
    a, b = _pair("matmul", a, b)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise ValueError(f"matmul: shapes {sa} and {sb}: operands must have at least 1 axis")
    dim_b = max(len(sb) - 2, 0)
    if sa[-1] != sb[dim_b]:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {sa[-1]} (dim "
                         f"{len(sa) - 1} of a) != {sb[dim_b]} (dim {dim_b} of b)")
    try:
        # np.dot, the same product for up to 2 axes, skips the matmul ufunc's dispatch
        # (see nn_ops._linear_grad)
        data = (np.dot(a._array, b._array) if len(sa) <= 2 and len(sb) <= 2
                else np.matmul(a._array, b._array))
    except ValueError:
        raise ValueError(f"matmul: the batch axes of shapes {sa} and {sb} do not broadcast"
                         ) from None
    return result(data, (a, b), MATMUL, (a.requires_grad, b.requires_grad))


def _matmul_grad(g, out, needs, a, b):
    need_a, need_b = needs  # recorded at forward: skip the product nobody needs
    ga = gb = None
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if need_a else None, g * a if need_b else None)
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m): a acts as (1, k)
        g2 = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        if need_a:
            ga = (g2 @ b.swapaxes(-1, -2)).reshape(g.shape[:-1] + (a.shape[0],))
        if need_b:
            gb = a.reshape(a.shape[0], 1) @ g2
    elif b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n): b acts as (k, 1)
        g2 = g.reshape(g.shape + (1,))
        if need_a:
            ga = g2 @ b.reshape(1, b.shape[0])
        if need_b:
            gb = (a.swapaxes(-1, -2) @ g2).reshape(g.shape[:-1] + (b.shape[0],))
    else:
        dot = np.dot if g.__class__ is np.ndarray and g.ndim == 2 else operator.matmul
        if need_a:
            ga = dot(g, b.swapaxes(-1, -2))
        if need_b:
            gb = dot(a.swapaxes(-1, -2), g)
    return ga, gb


# -- dtype ------------------------------------------------------------------------------
def astype(x: Tensor, dtype: Any) -> Tensor:
    """`x` converted to float32 or float64 (the gradient converts back)."""
    dtype = _float_dtype(dtype)
    if dtype == x.dtype:
        return x
    return result(x._array.astype(dtype), (x,), ASTYPE)


# -- selections -------------------------------------------------------------------------
def clip(x: Tensor, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Limit to [lo, hi]; the gradient passes where lo <= x <= hi."""
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: lo {lo} is greater than hi {hi}")
    a = x._array
    lo_, hi_ = (-np.inf if lo is None else float(lo)), (np.inf if hi is None else float(hi))
    return result(np.minimum(np.maximum(a, lo_), hi_), (x,), CLIP, (lo_, hi_))


def _clip_grad(g, out, bounds, a):
    a = m.raw(a)
    inside = (a >= bounds[0]) & (a <= bounds[1])
    return (g * inside.astype(a.dtype),)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise larger of a and b (broadcast); ties split the gradient equally."""
    a, b = _pair("maximum", a, b)
    return _select(MAXIMUM, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise smaller of a and b (broadcast); ties split the gradient equally."""
    a, b = _pair("minimum", a, b)
    return _select(MINIMUM, a, b)


def _select(op: Any, a: Tensor, b: Tensor) -> Tensor:
    try:
        data = op.forward(a._array, b._array)
    except ValueError:
        raise ValueError(f"{op.name}: shapes {a.shape} and {b.shape} do not broadcast"
                         ) from None
    return result(data, (a, b), op)


def _extreme_grad(larger: bool):
    def grad(g, out, ctx, a, b):
        a, b = m.raw(a), m.raw(b)
        wins = (a > b) if larger else (a < b)
        share_a = wins.astype(a.dtype) + 0.5 * (a == b).astype(a.dtype)
        return g * share_a, g * (1.0 - share_a)
    return grad


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """a where cond is true, else b (all three broadcast); no gradient through cond."""
    a, b = _pair("where", a, b)
    cond = np.asarray(cond._array if isinstance(cond, Tensor) else cond).astype(bool)
    try:
        data = np.where(cond, a._array, b._array)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not "
                         "broadcast") from None
    return result(data, (a, b), WHERE, cond.astype(data.dtype))


# -- softmax ----------------------------------------------------------------------------
def _shifted(a: np.ndarray, axis: int) -> np.ndarray:
    return a - a.max(axis=axis, keepdims=True)  # exp of this never overflows


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, stable for large |x|."""
    axis = shape_ops._axis("softmax", axis, x.ndim)
    e = np.exp(_shifted(x._array, axis))
    return result(e / e.sum(axis=axis, keepdims=True), (x,), SOFTMAX, axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis`, stable for large |x|."""
    axis = shape_ops._axis("log_softmax", axis, x.ndim)
    a = x._array
    return result(a - reduce_ops._logsumexp_forward(a, (axis,), True), (x,), LOG_SOFTMAX, axis)


MATMUL = register(
    "matmul", "∂(AB)/∂A = G·Bᵀ, ∂(AB)/∂B = Aᵀ·G", engines=("Tensor",), grad=_matmul_grad)
ASTYPE = register(
    "astype", "∂cast(a)/∂a = 1 (the gradient cast back)", engines=("Tensor",),
    grad=lambda g, out, ctx, a: (g.astype(a.dtype),))
CLIP = register(
    "clip", "∂clip(a, lo, hi)/∂a = 1 if lo ≤ a ≤ hi else 0", engines=("Tensor",),
    grad=_clip_grad)
MAXIMUM = register(
    "maximum", "∂max(a, b)/∂a = 1 if a > b, ½ if a = b, else 0", engines=("Tensor",),
    grad=_extreme_grad(larger=True), forward=np.maximum)
MINIMUM = register(
    "minimum", "∂min(a, b)/∂a = 1 if a < b, ½ if a = b, else 0", engines=("Tensor",),
    grad=_extreme_grad(larger=False), forward=np.minimum)
WHERE = register(
    "where", "∂where(c, a, b)/∂a = c, ∂/∂b = 1 - c", engines=("Tensor",),
    grad=lambda g, out, mask, a, b: (g * mask, g * (1.0 - mask)))
SOFTMAX = register(
    "softmax", "∂sᵢ/∂aⱼ = sᵢ(δᵢⱼ - sⱼ), so ∂ = s·(g - Σ g·s)", engines=("Tensor",),
    grad=lambda g, out, axis, a: (out * (g - (g * out).sum(axis=axis, keepdims=True)),))
LOG_SOFTMAX = register(
    "log_softmax", "∂(a - logΣeᵃ)ᵢ/∂aⱼ = δᵢⱼ - softmax(a)ⱼ, so ∂ = g - eᵒᵘᵗ·Σg",
    engines=("Tensor",),
    grad=lambda g, out, axis, a: (g - m.exp(out) * g.sum(axis=axis, keepdims=True),))
