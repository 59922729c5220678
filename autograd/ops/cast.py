"""astype: a Tensor converted between float32 and float64 (the gradient converts back)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.op import register
from autograd.tensor import Tensor, float_dtype, result, tensor_method


@tensor_method()
def astype(x: Tensor, dtype: Any) -> Tensor:
    """`x` converted to float32 or float64 (`x` itself when it has that dtype already)."""
    dtype = float_dtype(dtype)
    if dtype == x.dtype:
        return x
    return result(ASTYPE.forward(x.data, dtype), (x,), ASTYPE)


def astype_forward(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return a.astype(dtype)


def astype_grad(g, out, ctx, a):
    return (g.astype(a.dtype),)


ASTYPE = register(
    "astype", "∂cast(a)/∂a = 1 (the gradient cast back)", engines=("Tensor",),
    forward=astype_forward, grad=astype_grad)
