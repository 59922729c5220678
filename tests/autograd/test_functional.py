"""The functional API (autograd.functional): grad(f) as a function transform, argnums,
nesting for higher derivatives, and what it refuses."""

import math

import pytest

from autograd import Value, grad


def test_grad_of_one_argument_returns_a_float():
    assert grad(lambda x: x * x * x)(2.0) == 12.0


def test_grad_of_several_arguments_returns_a_tuple():
    dfdx, dfdy = grad(lambda x, y: x * y + y)(3.0, 4.0)
    assert (dfdx, dfdy) == (4.0, 4.0)


def test_grad_argnums():
    f = lambda x, y, z: x * y * z  # noqa: E731
    assert grad(f, argnums=1)(2.0, 3.0, 5.0) == 10.0
    assert grad(f, argnums=(0, 2))(2.0, 3.0, 5.0) == (15.0, 6.0)


def test_grad_of_unused_argument_is_zero():
    assert grad(lambda x, y: x * 2)(1.0, 7.0) == (2.0, 0.0)


def test_grad_on_nodes_returns_nodes_that_differentiate_again():
    x = Value(2.0)
    dx = grad(lambda x: x ** 3)(x)
    assert isinstance(dx, Value) and dx.data == 12.0
    assert grad(grad(grad(lambda x: x ** 3)))(2.0) == pytest.approx(6.0)


def test_mixed_partial_through_nested_grad():
    # d/db of d/da a^b = a^(b-1) (1 + b ln a)
    mixed = grad(grad(lambda a, b: a ** b, argnums=0), argnums=1)(2.0, 3.0)
    assert mixed == pytest.approx(4.0 * (1.0 + 3.0 * math.log(2.0)), rel=1e-12)


def test_grad_leaves_grad_attributes_alone():
    x = Value(3.0)
    grad(lambda x: x * x)(x)
    assert x.grad == 0.0


def test_grad_needs_a_node_output():
    with pytest.raises(TypeError, match="must return a Value or Tensor"):
        grad(lambda x: 3.0)(1.0)


def test_grad_argnums_counts_from_the_end_and_refuses_a_missing_argument():
    f = lambda x, y: x * y * y  # noqa: E731
    assert grad(f, argnums=-1)(2.0, 3.0) == 12.0  # d/dy = 2xy
    with pytest.raises(IndexError, match=r"argnums 2 is out of range for 2 argument"):
        grad(f, argnums=2)(2.0, 3.0)
