"""Helpers shared by the Tensor op tests: float64 leaves, hypothesis arrays, and the two
ways of checking second derivatives against central differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, gradcheck

ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)

# distinct values well away from every kink of the ops checked at it (0, ±0.5, 0.1) and
# from each other, so that max, min, clip and maximum are smooth around it
SECOND_ORDER_POINT = np.array([[0.31, -1.2, 0.83, 1.7], [-0.27, 2.2, -0.74, 0.62],
                               [1.15, -0.38, 0.21, -1.55]])


def leaf(a, label: str = "") -> Tensor:
    """A float64 Tensor that requires grad (gradcheck needs float64)."""
    return Tensor(a, dtype="float64", requires_grad=True, label=label)


def arrays(shape=SHAPES, elements=ELEMENTS, unique: bool = False) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


def check_second_derivatives(f: Callable[[Tensor], Tensor]) -> None:
    """The gradient of sum(tanh(f(x))²), built with create_graph at SECOND_ORDER_POINT,
    differentiated again and compared with central differences. The tanh² makes the
    gradient arriving at f's output depend on x, so f's own rule is differentiated."""
    x = leaf(SECOND_ORDER_POINT)
    gradient = ag.grad(lambda y: (f(y).tanh() ** 2).sum())
    gradcheck(lambda y: gradient(y), [x])


def flat_gradient(f: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """x ↦ the gradient of sum(f(x)²) with create_graph, flattened into one Tensor: its
    gradcheck compares the second derivatives with central differences of the first."""
    first = ag.grad(lambda *xs: (f(*xs) ** 2).sum())

    def flattened(*xs):
        grads = first(*xs)
        grads = grads if isinstance(grads, tuple) else (grads,)
        return ag.concatenate([g.reshape(-1) for g in grads])
    return flattened
