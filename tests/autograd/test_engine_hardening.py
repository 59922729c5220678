"""The engine on bad or unusual input: NaN and inf, bad seeds, mixed dtypes, gradcheck
misuse, huge numbers, and the dtype a Tensor takes from its data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value, gradcheck
from autograd.gradcheck import GradcheckError

NAN, INF = float("nan"), float("inf")


# -- the two engines agree at NaN -------------------------------------------------------
def test_relu_of_nan_is_nan_in_both_engines():
    assert math.isnan(Value(NAN).relu().data)
    assert np.isnan(Tensor([NAN]).relu().data).all()


def test_the_gradient_of_abs_at_nan_is_nan_in_both_engines():
    v = Value(NAN)
    v.abs().backward()
    t = Tensor([NAN], requires_grad=True)
    t.abs().sum().backward()
    assert math.isnan(v.grad) and np.isnan(t.grad).all()


def test_relu_and_abs_still_agree_away_from_nan():
    for x in (-2.0, 0.0, 3.0):
        v, t = Value(x), Tensor([x], requires_grad=True)
        v.abs().backward()
        t.abs().sum().backward()
        assert Value(x).relu().data == Tensor([x]).relu().data[0]
        assert v.grad == t.grad[0]


@pytest.mark.parametrize("f", [lambda v: v.sin(), lambda v: v.cos()], ids=["sin", "cos"])
@pytest.mark.parametrize("x", [INF, -INF])
def test_sin_and_cos_of_inf_give_nan_as_numpy(f, x):
    assert math.isnan(f(Value(x)).data)
    assert np.isnan(f(Tensor([x])).data).all()


# -- gradcheck --------------------------------------------------------------------------
def test_gradcheck_fails_when_both_gradients_are_nan():
    result = gradcheck(lambda x: x * NAN, [Value(1.0)], raise_on_failure=False)
    assert not result.ok
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x * NAN, [Tensor([1.0, 2.0], dtype="float64")])


def test_gradcheck_fails_when_the_numerical_gradient_is_nan():
    # the engine says 1; the output is nan one step to the left of 0
    def f(x):
        return x + (NAN if x.data < 0.0 else 0.0)

    assert not gradcheck(f, [Value(0.0)], raise_on_failure=False).ok


def test_gradcheck_of_a_function_returning_a_float_is_a_clear_type_error():
    with pytest.raises(TypeError, match="gradcheck: f must return a Value or Tensor, got float"):
        gradcheck(lambda x: 1.0, [Value(1.0)])


# -- backward seeds ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [[1.0, None], [1.0, "a"], [1.0, object()]],
                         ids=["None", "str", "object"])
def test_a_gradient_with_non_numbers_is_a_type_error(seed):
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="backward: gradient"):
        (t * 2.0).backward(seed)
    assert t.grad is None


def test_a_value_gradient_must_be_a_number():
    v = Value(2.0)
    with pytest.raises(TypeError, match="backward: gradient"):
        (v * v).backward("1")


# -- in place: dtypes never mix ---------------------------------------------------------
@pytest.mark.parametrize("update", ["__iadd__", "__isub__", "__imul__", "__itruediv__"])
def test_in_place_refuses_another_dtype_as_binary_ops_do(update):
    t = Tensor([1.0, 2.0])
    other = Tensor([1.0, 2.0], dtype="float64")
    with pytest.raises(TypeError) as binary:
        t + other
    with pytest.raises(TypeError) as in_place:
        getattr(t, update)(other)
    assert str(in_place.value).split(":", 1)[1] == str(binary.value).split(":", 1)[1]
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    assert t._version == 0


def test_in_place_with_numbers_and_arrays_keeps_working():
    t = Tensor([1.0, 2.0])
    t += 1
    t *= np.array([2.0, 2.0])  # a float64 array is a constant: it takes t's dtype
    np.testing.assert_array_equal(t.data, [4.0, 6.0])
    assert t.dtype == np.float32


# -- huge numbers -----------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: Value(10 ** 400), lambda: Tensor([10 ** 400]),
                                  lambda: Tensor(10 ** 400), lambda: Value(1.0) + 10 ** 400,
                                  lambda: Tensor([1.0]) * 10 ** 400],
                         ids=["Value", "Tensor list", "Tensor int", "Value op", "Tensor op"])
def test_an_int_too_large_for_a_float_is_a_clear_error(make):
    with pytest.raises(ValueError, match="too large"):
        make()


# -- the dtype of a new Tensor ----------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_float_array_keeps_its_dtype(dtype):
    assert Tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    assert Tensor(np.float64(1.5) if dtype == "float64" else np.float32(1.5)).dtype == dtype


def test_numbers_lists_and_int_arrays_default_to_float32():
    for data in (1.5, 2, [1.0, 2.0], np.arange(3), np.array([True, False])):
        assert Tensor(data).dtype == np.float32


def test_dtype_still_overrides():
    assert Tensor(np.zeros(2), dtype="float32").dtype == np.float32
    assert Tensor([1.0], dtype="float64").dtype == np.float64


def test_a_float16_array_becomes_float32_which_holds_it_exactly():
    half = np.array([0.1, 65504.0, -2.5], dtype=np.float16)
    t = Tensor(half)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, half.astype(np.float32))


def test_a_wider_float_array_needs_a_dtype():
    wide = np.zeros(2, dtype=np.longdouble)
    if wide.dtype == np.float64:
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(TypeError, match="pass dtype="):
        Tensor(wide)
    assert Tensor(wide, dtype="float64").dtype == np.float64


def test_gradcheck_works_on_a_float64_array_given_as_the_readme_shows():
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    assert gradcheck(lambda t: (t * t).tanh(), [x]).ok


# -- maximum and minimum as methods -----------------------------------------------------
def test_maximum_and_minimum_are_methods_too():
    a = Tensor([1.0, 5.0], requires_grad=True)
    b = Tensor([3.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(a.maximum(b).data, [3.0, 5.0])
    np.testing.assert_array_equal(a.minimum(2.5).data, [1.0, 2.5])
    (a.maximum(b) + a.minimum(b)).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])


@pytest.mark.parametrize("call", [lambda: Value(1.0).leaky_relu(10 ** 400),
                                  lambda: Tensor([1.0]).elu(10 ** 400),
                                  lambda: Tensor([1.0]).clip(10 ** 400)],
                         ids=["leaky_relu", "elu", "clip"])
def test_op_settings_too_large_for_a_float_are_a_clear_error(call):
    with pytest.raises(ValueError, match="too large for a float"):
        call()


def test_a_deeply_nested_list_is_a_type_error_not_a_recursion_error():
    deep = 1.0
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(TypeError, match="Value needs a real number, got list"):
        Value.sum(deep)
    with pytest.raises(TypeError, match="Tensor: cannot make a float32 array"):
        Tensor(deep)
