"""Reductions over axes: sum, mean, max, min, logsumexp, and argmax (no gradient).

`axis` is None (every axis), an int or a tuple of ints, negative counting from the end;
`keepdims` keeps the reduced axes with length 1, as numpy does. The gradient of a
reduction spreads the output's gradient back over the reduced axes (`expand`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import mathfn as m
from autograd import shape_ops
from autograd.op import register
from autograd.tensor import Tensor, result


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """`shape` with each reduced axis set to 1 (what keepdims=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand(g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None,
           keepdims: bool) -> Any:
    """Spread a reduction's gradient `g` (array or Tensor) back to the input's `shape`."""
    if not keepdims:
        g = g.reshape(kept_shape(shape, axes))
    if g.__class__ is Tensor:
        return shape_ops.broadcast_to(g, shape)
    return np.broadcast_to(g, shape)


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return int(np.prod(shape))
    return int(np.prod([shape[i] for i in axes]))


def _reduce(op: Any, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    a = x._array
    axes = shape_ops.normalize_axes(op.name, axis, a.shape)
    keepdims = bool(keepdims)
    if a.size == 0 and op.name in ("max", "min", "logsumexp") and (
            axes is None or any(a.shape[i] == 0 for i in axes)):
        raise ValueError(f"{op.name}: cannot reduce an empty axis of shape {a.shape}")
    return result(op.forward(a, axes, keepdims), (x,), op, (axes, keepdims))


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return _reduce(SUM, x, axis, keepdims)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return _reduce(MEAN, x, axis, keepdims)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest element along `axis`; ties share the gradient equally."""
    return _reduce(MAX, x, axis, keepdims)


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The smallest element along `axis`; ties share the gradient equally."""
    return _reduce(MIN, x, axis, keepdims)


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) along `axis`, computed without overflow."""
    return _reduce(LOGSUMEXP, x, axis, keepdims)


def argmax(x: Tensor, axis: int | None = None) -> np.ndarray:
    """Indices of the largest elements (an int array; not differentiable)."""
    axes = shape_ops.normalize_axes("argmax", axis, x.shape)
    if x.size == 0:
        raise ValueError(f"argmax: cannot reduce an empty tensor of shape {x.shape}")
    return np.argmax(x._array, axis=None if axes is None else axes[0])


def _sum_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.sum(axis=axes, keepdims=keepdims)


def _mean_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.mean(axis=axes, keepdims=keepdims)


def _max_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.max(axis=axes, keepdims=keepdims)


def _min_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    return a.min(axis=axes, keepdims=keepdims)


def _logsumexp_forward(a: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    top = a.max(axis=axes, keepdims=True)
    top = np.where(np.isfinite(top), top, 0).astype(a.dtype)  # rows of -inf stay -inf
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(a - top).sum(axis=axes, keepdims=True)) + top
    return out if keepdims else out.reshape(_dropped(a.shape, axes))


def _dropped(shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _sum_grad(g, out, ctx, a):
    axes, keepdims = ctx
    return (expand(g, a.shape, axes, keepdims),)


def _mean_grad(g, out, ctx, a):
    axes, keepdims = ctx
    return (expand(g, a.shape, axes, keepdims) * (1.0 / _count(a.shape, axes)),)


def _extreme_grad(g, out, ctx, a):
    axes, keepdims = ctx
    a_raw, out_raw = m.raw(a), m.raw(out)
    if not keepdims:
        out_raw = out_raw.reshape(kept_shape(a_raw.shape, axes))
    hits = (a_raw == out_raw).astype(a_raw.dtype)
    share = hits / hits.sum(axis=axes, keepdims=True)  # ties split the gradient equally
    return (expand(g, a_raw.shape, axes, keepdims) * share,)


def _logsumexp_grad(g, out, ctx, a):
    axes, keepdims = ctx
    if not keepdims:
        out = out.reshape(kept_shape(a.shape, axes))
    return (expand(g, a.shape, axes, keepdims) * m.exp(a - out),)


SUM = register("sum", "∂(Σa)/∂aᵢ = 1", engines=("Tensor",), grad=_sum_grad,
               forward=_sum_forward)
MEAN = register("mean", "∂mean(a)/∂aᵢ = 1/n", engines=("Tensor",), grad=_mean_grad,
                forward=_mean_forward)
MAX = register("max", "∂max(a)/∂aᵢ = 1/k at the k tied maxima, else 0", engines=("Tensor",),
               grad=_extreme_grad, forward=_max_forward)
MIN = register("min", "∂min(a)/∂aᵢ = 1/k at the k tied minima, else 0", engines=("Tensor",),
               grad=_extreme_grad, forward=_min_forward)
LOGSUMEXP = register("logsumexp", "∂ln(Σeᵃ)/∂aᵢ = eᵃⁱ / Σeᵃ = softmax(a)ᵢ",
                     engines=("Tensor",), grad=_logsumexp_grad, forward=_logsumexp_forward)
