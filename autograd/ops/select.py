"""Ops that pick elements: clip, maximum, minimum, where.

Masks that pick where a gradient goes are constants computed from the data: no gradient
flows through a comparison.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import autograd.mathfn as m
from autograd.op import Op, register
from autograd.tensor import Tensor, result, tensor_method, tensor_pair


# -- clip -------------------------------------------------------------------------------
class Bounds(NamedTuple):
    lo: float  # -inf when there is no lower bound
    hi: float  # inf when there is no upper bound


@tensor_method()
def clip(x: Tensor, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Limit to [lo, hi]; the gradient passes where lo <= x <= hi."""
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: lo {lo} is greater than hi {hi}")
    bounds = Bounds(-np.inf if lo is None else m.to_float("clip", lo),
                    np.inf if hi is None else m.to_float("clip", hi))
    return result(CLIP.forward(x.data, bounds), (x,), CLIP, bounds)


def clip_forward(a: np.ndarray, bounds: Bounds) -> np.ndarray:
    return np.minimum(np.maximum(a, bounds.lo), bounds.hi)


def clip_grad(g, out, bounds, a):
    a = m.raw(a)
    inside = (a >= bounds.lo) & (a <= bounds.hi)
    return (g * inside.astype(a.dtype),)


CLIP = register(
    "clip", "∂clip(a, lo, hi)/∂a = 1 if lo ≤ a ≤ hi else 0", engines=("Tensor",),
    forward=clip_forward, grad=clip_grad)


# -- maximum and minimum ----------------------------------------------------------------
@tensor_method()
def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise larger of a and b (broadcast); ties split the gradient equally.
    Also a method: `a.maximum(b)`."""
    return _select(MAXIMUM, *tensor_pair("maximum", a, b))


@tensor_method()
def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise smaller of a and b (broadcast); ties split the gradient equally.
    Also a method: `a.minimum(b)`."""
    return _select(MINIMUM, *tensor_pair("minimum", a, b))


def _select(op: Op, a: Tensor, b: Tensor) -> Tensor:
    try:
        data = op.forward(a.data, b.data)
    except ValueError:
        raise ValueError(f"{op.name}: shapes {a.shape} and {b.shape} do not broadcast"
                         ) from None
    return result(data, (a, b), op)


def _share_of_a(wins: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where a wins, ½ on a tie, else 0."""
    return wins.astype(a.dtype) + 0.5 * (a == b).astype(a.dtype)


def maximum_grad(g, out, ctx, a, b):
    a, b = m.raw(a), m.raw(b)
    share_a = _share_of_a(a > b, a, b)
    return g * share_a, g * (1.0 - share_a)


def minimum_grad(g, out, ctx, a, b):
    a, b = m.raw(a), m.raw(b)
    share_a = _share_of_a(a < b, a, b)
    return g * share_a, g * (1.0 - share_a)


MAXIMUM = register(
    "maximum", "∂max(a, b)/∂a = 1 if a > b, ½ if a = b, else 0", engines=("Tensor",),
    forward=np.maximum, grad=maximum_grad)
MINIMUM = register(
    "minimum", "∂min(a, b)/∂a = 1 if a < b, ½ if a = b, else 0", engines=("Tensor",),
    forward=np.minimum, grad=minimum_grad)


# -- where ------------------------------------------------------------------------------
def where(cond: Any, a: Any, b: Any) -> Tensor:
    """a where cond is true, else b (all three broadcast); no gradient through cond."""
    a, b = tensor_pair("where", a, b)
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond).astype(bool)
    try:
        data = WHERE.forward(cond, a.data, b.data)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not "
                         "broadcast") from None
    return result(data, (a, b), WHERE, cond.astype(data.dtype))


def where_forward(cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(cond, a, b)


def where_grad(g, out, mask, a, b):
    return (g * mask, g * (1.0 - mask))


WHERE = register(
    "where", "∂where(c, a, b)/∂a = c, ∂/∂b = 1 - c", engines=("Tensor",),
    forward=where_forward, grad=where_grad)
