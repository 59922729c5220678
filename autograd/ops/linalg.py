"""matmul: a @ b with numpy's rules for 1-D, 2-D and batched operands."""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np

from autograd.op import register
from autograd.tensor import Tensor, result, tensor_method, tensor_pair


class MatmulCtx(NamedTuple):
    # recorded at forward: backward skips the product nobody needs
    a_needs_grad: bool
    b_needs_grad: bool


@tensor_method("matmul", "__matmul__")
def matmul(a: Any, b: Any) -> Tensor:
    """a @ b with numpy's rules: 1-D, 2-D and batched (broadcast leading axes) operands."""
    a, b = tensor_pair("matmul", a, b)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise ValueError(f"matmul: shapes {sa} and {sb}: operands must have at least 1 axis")
    dim_b = len(sb) - 2 if len(sb) > 2 else 0
    if sa[-1] != sb[dim_b]:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {sa[-1]} (dim "
                         f"{len(sa) - 1} of a) != {sb[dim_b]} (dim {dim_b} of b)")
    try:
        data = MATMUL.forward(a.data, b.data)
    except ValueError:
        raise ValueError(f"matmul: the batch axes of shapes {sa} and {sb} do not broadcast"
                         ) from None
    ctx = tuple.__new__(MatmulCtx, (a.requires_grad, b.requires_grad))  # no __new__ call
    return result(data, (a, b), MATMUL, ctx)


def _rmatmul(b: Tensor, a: Any) -> Tensor:
    return matmul(a, b)


Tensor.__rmatmul__ = _rmatmul  # array @ tensor


def matmul_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # np.dot, the same product for up to 2 axes, hands it straight to BLAS without the
    # matmul ufunc's dispatch
    if a.ndim <= 2 and b.ndim <= 2:
        return np.dot(a, b)
    return np.matmul(a, b)


def matmul_grad(g, out, ctx, a, b):
    need_a, need_b = ctx
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


MATMUL = register(
    "matmul", "∂(AB)/∂A = G·Bᵀ, ∂(AB)/∂B = Aᵀ·G", engines=("Tensor",),
    forward=matmul_forward, grad=matmul_grad)
