"""The step (threshold) activation: 1 where x > 0, else 0, with a zero derivative.

The op table (tests/op_table.py) checks it against central differences away from 0, to
first and second order; these tests pin what the table cannot: the value at 0 itself, the
zero gradient at and around the jump, and the dtype kept.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OPS, Tensor, Value, gradients

finite = st.floats(-1e6, 1e6, allow_nan=False)


@pytest.mark.parametrize("x, expected", [(-2.0, 0.0), (-1e-300, 0.0), (0.0, 0.0), (-0.0, 0.0),
                                         (1e-300, 1.0), (3.5, 1.0)])
def test_value_step_is_1_above_0_and_0_at_or_below(x, expected):
    out = Value(x).step()
    assert out.data == expected and isinstance(out.data, float)


@given(finite)
def test_value_step_has_zero_gradient_everywhere_at_0_included(x):
    leaf = Value(x)
    (derivative,) = gradients(leaf.step() * 3.0, [leaf])
    assert derivative == 0.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tensor_step_values_gradient_and_dtype(dtype):
    x = Tensor([-2.0, -0.0, 0.0, 1e-30, 0.5, 7.0], dtype, requires_grad=True)
    y = x.step()
    assert y.dtype == np.dtype(dtype) and y.op is OPS["step"]
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    (y * Tensor(np.arange(1.0, 7.0), dtype)).sum().backward()
    # a gradient that is there and zero, not a missing one
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.grad, np.zeros(6))


def test_no_gradient_passes_through_a_step_to_what_came_before():
    w = Tensor([[0.5, -1.5]], "float64", requires_grad=True)
    b = Tensor([0.25], "float64", requires_grad=True)
    x = Tensor([[1.0, 2.0], [3.0, -1.0]], "float64")
    ((x @ w.T + b).step().sum()).backward()
    np.testing.assert_array_equal(w.grad, [[0.0, 0.0]])
    np.testing.assert_array_equal(b.grad, [0.0])


def test_second_derivative_of_a_step_is_zero_too():
    x = Tensor([-1.0, 0.0, 2.0], "float64", requires_grad=True)
    (first,) = gradients(x.step().sum(), [x], create_graph=True)
    np.testing.assert_array_equal(first.data, 0.0)
    (second,) = gradients((first * first + first).sum(), [x])
    np.testing.assert_array_equal(second, 0.0)


def test_step_is_not_fused_into_linear():
    assert not OPS["step"].fusable
