"""Reductions over axes: sum, mean, max, min, logsumexp, and argmax (no gradient).

`axis` is None (every axis), an int or a tuple of ints, negative counting from the end;
`keepdims` keeps the reduced axes with length 1, as numpy does. The gradient of a
reduction spreads the output's gradient back over the reduced axes (`expand`).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

import autograd.mathfn as m
from autograd.op import Op, register
from autograd.ops.shape import broadcast_to, normalize_axes
from autograd.ops.softmax import logsumexp_forward
from autograd.tensor import Tensor, result, tensor_method


class ReduceCtx(NamedTuple):
    axes: tuple[int, ...] | None  # the reduced axes, sorted; None: all
    keepdims: bool


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """`shape` with each reduced axis set to 1 (what keepdims=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand(g: Any, shape: tuple[int, ...], ctx: ReduceCtx) -> Any:
    """Spread a reduction's gradient `g` (array or Tensor) back to the input's `shape`."""
    if not ctx.keepdims:
        g = g.reshape(kept_shape(shape, ctx.axes))
    if g.__class__ is Tensor:
        return broadcast_to(g, shape)
    if g.size * 4096 >= math.prod(shape):  # small: a filled array costs less than a view
        return np.full(shape, g)
    return np.broadcast_to(g, shape)


def _reduce(op: Op, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    a = x.data
    axes = normalize_axes(op.name, axis, a.shape)
    keepdims = bool(keepdims)
    if a.size == 0 and op.name in ("max", "min", "logsumexp") and (
            axes is None or any(a.shape[i] == 0 for i in axes)):
        raise ValueError(f"{op.name}: cannot reduce an empty axis of shape {a.shape}")
    ctx = tuple.__new__(ReduceCtx, (axes, keepdims))  # as ReduceCtx(...), without its call
    return result(op.forward(a, axes, keepdims), (x,), op, ctx)


# -- sum --------------------------------------------------------------------------------
@tensor_method()
def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The sum of the elements along `axis`."""
    return _reduce(SUM, x, axis, keepdims)


def sum_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    # what a.sum() calls, without its Python-level wrapper
    return np.add.reduce(a, axis=axes, keepdims=keepdims)


def sum_grad(g, out, ctx, a):
    return (expand(g, a.shape, ctx),)


SUM = register("sum", "∂(Σa)/∂aᵢ = 1", engines=("Tensor",),
               forward=sum_forward, grad=sum_grad)


# -- mean -------------------------------------------------------------------------------
@tensor_method()
def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The mean of the elements along `axis`."""
    return _reduce(MEAN, x, axis, keepdims)


def mean_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.mean(axis=axes, keepdims=keepdims)


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return int(np.prod(shape))
    return int(np.prod([shape[i] for i in axes]))


def mean_grad(g, out, ctx, a):
    return (expand(g, a.shape, ctx) * (1.0 / _count(a.shape, ctx.axes)),)


MEAN = register("mean", "∂mean(a)/∂aᵢ = 1/n", engines=("Tensor",),
                forward=mean_forward, grad=mean_grad)


# -- max and min ------------------------------------------------------------------------
@tensor_method()
def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest element along `axis`; ties share the gradient equally."""
    return _reduce(MAX, x, axis, keepdims)


@tensor_method()
def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The smallest element along `axis`; ties share the gradient equally."""
    return _reduce(MIN, x, axis, keepdims)


def max_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.max(axis=axes, keepdims=keepdims)


def min_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.min(axis=axes, keepdims=keepdims)


def extreme_grad(g, out, ctx, a):
    """max's and min's rule: the gradient goes to the elements equal to the output."""
    a_raw, out_raw = m.raw(a), m.raw(out)
    if not ctx.keepdims:
        out_raw = out_raw.reshape(kept_shape(a_raw.shape, ctx.axes))
    hits = (a_raw == out_raw).astype(a_raw.dtype)
    share = hits / hits.sum(axis=ctx.axes, keepdims=True)  # ties split the gradient equally
    return (expand(g, a_raw.shape, ctx) * share,)


MAX = register("max", "∂max(a)/∂aᵢ = 1/k at the k tied maxima, else 0", engines=("Tensor",),
               forward=max_forward, grad=extreme_grad)
MIN = register("min", "∂min(a)/∂aᵢ = 1/k at the k tied minima, else 0", engines=("Tensor",),
               forward=min_forward, grad=extreme_grad)


# -- logsumexp --------------------------------------------------------------------------
@tensor_method()
def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) along `axis`, computed without overflow."""
    return _reduce(LOGSUMEXP, x, axis, keepdims)


def logsumexp_grad(g, out, ctx, a):
    if not ctx.keepdims:
        out = out.reshape(kept_shape(a.shape, ctx.axes))
    return (expand(g, a.shape, ctx) * m.exp(a - out),)


LOGSUMEXP = register("logsumexp", "∂ln(Σeᵃ)/∂aᵢ = eᵃⁱ / Σeᵃ = softmax(a)ᵢ",
                     engines=("Tensor",), forward=logsumexp_forward, grad=logsumexp_grad)


# -- argmax (no gradient) ---------------------------------------------------------------
@tensor_method()
def argmax(x: Tensor, axis: int | None = None) -> np.ndarray:
    """Indices of the largest elements (an int array; not differentiable)."""
    axes = normalize_axes("argmax", axis, x.shape)
    if x.size == 0:
        raise ValueError(f"argmax: cannot reduce an empty tensor of shape {x.shape}")
    return np.argmax(x.data, axis=None if axes is None else axes[0])
