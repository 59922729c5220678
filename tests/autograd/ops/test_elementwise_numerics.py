"""The cheap forms of the elementwise ops stay accurate: the sigmoid in five in-place calls
keeps its relative accuracy where it is tiny and never warns; x ** 2 is x·x; and a binary
op's rule computes no gradient for an operand that needs none."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor, gradcheck


@pytest.mark.parametrize("dtype, ulps", [("float64", 2), ("float32", 3)])
def test_sigmoid_is_accurate_relative_to_its_value_down_to_tiny_values(dtype, ulps):
    # down to where σ ≈ e^x underflows: the relative error stays within the ulps the former
    # exp(-|x|) formula reached too (numpy's exp, then two roundings); a form such as
    # 0.5·tanh(x/2) + 0.5 would lose every digit of the small values
    low = -700.0 if dtype == "float64" else -85.0
    x = np.linspace(low, 40.0, 20001).astype(dtype)
    got = Tensor(x, dtype=dtype).sigmoid().data
    wide = x.astype(np.longdouble)
    reference = (1 / (1 + np.exp(-wide))).astype(dtype)  # rounded once, from extra digits
    assert got.dtype == np.dtype(dtype)
    assert np.all(np.abs(got - reference) <= ulps * np.spacing(reference))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturated_sigmoid_gives_its_limits_without_warnings(dtype):
    x = Tensor([-np.inf, -1e4, -1000.0, 0.0, 1000.0, 1e4, np.inf], dtype=dtype,
               requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from e^-x
        y = x.sigmoid()
        y.sum().backward()
    # below the smallest normal number (e^-x is capped short of overflow, so not 0)
    assert np.all((y.data[:3] >= 0) & (y.data[:3] < np.finfo(dtype).tiny))
    assert list(y.data[3:]) == [0.5, 1.0, 1.0, 1.0]
    assert np.all(np.isfinite(x.grad)) and x.grad[3] == 0.25
    assert np.isnan(Tensor([np.nan], dtype=dtype).sigmoid().data[0])


@given(st.lists(st.floats(-1e150, 1e150), min_size=1, max_size=20))
def test_square_is_the_product_of_x_with_itself(values):
    x = Tensor(values, dtype="float64", requires_grad=True)
    y = x ** 2
    assert np.array_equal(y.data, x.data * x.data)
    y.sum().backward()
    assert np.array_equal(x.grad, 2.0 * x.data)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
@pytest.mark.parametrize("constant_side", [0, 1])
def test_binary_rules_skip_the_gradient_of_a_constant_operand(op, constant_side):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 2.0, (3, 2)), rng.uniform(0.5, 2.0, (2,))]
    tensors = [Tensor(a, dtype="float64", requires_grad=i != constant_side)
               for i, a in enumerate(arrays)]
    operation = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
                 "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
                 "pow": lambda a, b: a ** b}[op]
    out = operation(*tensors)
    grads = out.op.grad(np.ones(out.shape), out.data, out.ctx, *arrays)
    assert grads[constant_side] is None
    assert grads[1 - constant_side] is not None
    gradcheck(lambda t: operation(*(t if i != constant_side else tensors[i]
                                    for i in range(2))), [tensors[1 - constant_side]])
