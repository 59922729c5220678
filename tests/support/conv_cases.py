"""Hypothesis strategies for convolutions and poolings whose settings fit together, shared
by the Tensor op tests and the scalar path's."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

SMALL = settings(max_examples=25)  # each example runs hundreds of tiny forwards


def out_size(n: int, f: int, s: int, p: int, d: int) -> int:
    return (n + 2 * p - d * (f - 1) - 1) // s + 1


@st.composite
def conv_cases(draw, dims: int = 2):
    """Small convolutions: sizes, strides, paddings and dilations that fit together."""
    pick = lambda lo, hi: tuple(draw(st.integers(lo, hi)) for _ in range(dims))  # noqa: E731
    kernel, stride, padding, dilation = pick(1, 3), pick(1, 3), pick(0, 2), pick(1, 2)
    size = tuple(
        draw(st.integers(max(1, d * (f - 1) + 1 - 2 * p), d * (f - 1) + 1 - 2 * p + 4))
        for f, p, d in zip(kernel, padding, dilation))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    bias = draw(st.booleans())
    return n, c_in, c_out, size, kernel, stride, padding, dilation, bias, seed


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    size = tuple(draw(st.integers(k, k + 4)) for k in kernel)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size
    return shape, kernel, stride, draw(st.integers(0, 2**32 - 1))
