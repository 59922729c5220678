"""Reductions (sum, mean, max, min, logsumexp, argmax): values against numpy, first and
second derivatives against central differences, ties, stability and errors."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_checks import checks_op
from tensors import arrays, check_second_derivatives, leaf

from autograd import Tensor, gradcheck

SPACED = st.integers(-300, 300).map(lambda k: k / 100)  # distinct values differ by >= 0.01


@st.composite
def array_and_axis(draw, unique=False):
    """An array, an axis argument (None, an int or a tuple, maybe negative), keepdims."""
    a = draw(arrays(elements=SPACED, unique=True) if unique else arrays())
    axis = None
    if a.ndim and draw(st.booleans()):
        axes = draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True))
        axes = [k - a.ndim if draw(st.booleans()) else k for k in axes]
        axis = axes[0] if len(axes) == 1 and draw(st.booleans()) else tuple(axes)
    return a, axis, draw(st.booleans())


REFERENCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
             "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis,
                                                                  keepdims=keepdims))}


@checks_op(*REFERENCE, order=1)
@pytest.mark.parametrize("name", sorted(REFERENCE))
@given(case=array_and_axis(unique=True))  # distinct values: max/min differentiable
def test_reductions(name, case):
    a, axis, keepdims = case
    x = leaf(a)
    out = getattr(x, name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, REFERENCE[name](a, axis=axis, keepdims=keepdims),
                               rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])


def test_max_min_split_the_gradient_among_ties():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = leaf([4.0, 1.0, 1.0])
    y.min().backward()
    np.testing.assert_allclose(y.grad, [0, 0.5, 0.5])


def test_argmax_and_reduction_errors():
    x = Tensor([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(x.argmax(axis=1), [1, 0])
    assert x.argmax() == 2
    with pytest.raises(ValueError, match=re.escape("sum: axis 2 is out of range for shape "
                                                   "(2, 2)")):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        x.mean(axis=(0, -2))
    with pytest.raises(ValueError, match=re.escape("max: cannot reduce an empty axis of shape "
                                                   "(0, 3)")):
        Tensor(np.ones((0, 3))).max(axis=0)


def test_logsumexp_is_stable():
    x = leaf([[1e4, 0.0, -1e4], [-np.inf, 5.0, 5.0]])
    out = x.logsumexp(axis=1)
    np.testing.assert_allclose(out.data, [1e4, 5.0 + np.log(2.0)])
    out.sum().backward()
    assert np.isfinite(x.grad).all()


SECOND_ORDER = {
    "sum": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(axis=1, keepdims=True),
    "max": lambda x: x.max(axis=0),
    "min": lambda x: x.min(axis=1),
    "logsumexp": lambda x: x.logsumexp(axis=1),
}


@checks_op(*SECOND_ORDER, order=2)
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_central_differences(name):
    """The gradient of each reduction is itself differentiable (create_graph), and right."""
    check_second_derivatives(SECOND_ORDER[name])
