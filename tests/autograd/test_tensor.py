"""The Tensor class itself: construction, dtypes, backward, errors, create_graph, versions."""

import re

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, gradients, no_grad


# -- construction ------------------------------------------------------------------------
@pytest.mark.parametrize("data", [1.5, 3, [1, 2], [[1.0, 2.0]], np.arange(4),
                                  np.ones(3, dtype=np.float16), np.array([True, False])])
def test_float32_by_default(data):  # a float64 array keeps its dtype: test_engine_hardening
    t = Tensor(data)
    assert t.dtype == np.float32 and isinstance(t.data, np.ndarray)
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float32))


def test_float64_on_request_and_from_tensor():
    assert Tensor([1.0], dtype="float64").dtype == np.float64
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64
    assert Tensor(Tensor([1.0], dtype="float64")).dtype == np.float64


def test_the_tensor_owns_a_copy():
    a = np.zeros(3, dtype=np.float32)
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 0.0


def test_bad_construction():
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        Tensor([1], dtype="int64")
    for bad in ("abc", None, np.array(["1.5"]), np.array([1 + 2j]), np.array([None, 1.0])):
        with pytest.raises(TypeError, match="Tensor: expected real numbers, got"):
            Tensor(bad)  # numpy would parse, give a nan or drop the imaginary part
    with pytest.raises(TypeError, match="cannot make a float32 array"):
        Tensor([[1, 2], [3]])


def test_properties_and_conversions():
    t = Tensor(np.arange(6).reshape(2, 3), requires_grad=True, label="t")
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.T.shape == (3, 2)
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert Tensor([[2.5]]).item() == 2.5
    d = t.detach()
    assert d.data is t.data and not d.requires_grad and d.op is None
    assert "requires_grad=True" in repr(t) and "label='t'" in repr(t)
    assert "op='mul'" in repr(t * 2)
    with pytest.raises(ValueError, match=r"item: tensor has shape \(2, 3\)"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_requires_grad_propagates_and_constants_record_nothing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    assert (x * c).requires_grad and (x * c).parents == (x, c)
    y = c * c
    assert not y.requires_grad and y.parents == () and y.op is None
    with no_grad():
        z = x * x
    assert not z.requires_grad and z.parents == ()


# -- mixing types ------------------------------------------------------------------------
def test_numbers_and_arrays_on_either_side():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = 2 * x + np.array([1.0, 1.0]) - x / 2.0 + 1 / x - 3 ** x + x ** 2 + np.ones(2) * x
    assert isinstance(y, Tensor) and y.dtype == np.float32
    y.sum().backward()
    expected = 2 - 0.5 - 1 / np.array([1, 4]) - 3 ** np.array([1, 2]) * np.log(3) \
        + 2 * np.array([1, 2]) + 1
    np.testing.assert_allclose(x.grad, expected, rtol=1e-5)


def test_mixing_float32_and_float64_raises():
    a, b = Tensor([1.0]), Tensor([1.0], dtype="float64")
    with pytest.raises(TypeError, match=re.escape(
            "mul: dtype mismatch float32 vs float64; use .astype(...)")):
        a * b
    with pytest.raises(TypeError, match="add: dtype mismatch float64 vs float32"):
        b + a
    with pytest.raises(TypeError, match="matmul: dtype mismatch"):
        a @ b
    assert (a.astype("float64") * b).dtype == np.float64


def test_broadcast_error_names_the_op():
    with pytest.raises(ValueError, match=re.escape("add: shapes (2, 3) and (4,) do not "
                                                   "broadcast")):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


@pytest.mark.parametrize("other, message", [
    (np.array(["a", "b"]), "add: expected real numbers, got ndarray of dtype <U1"),
    (np.array([1 + 2j, 3]), "add: expected real numbers, got ndarray of dtype complex128"),
    (np.array([1.0, None]), "add: expected real numbers, got ndarray of dtype object"),
    ([None, 1.0], "add: data must be numbers, got NoneType None"),  # numpy: a silent nan
    ([[1.0, 2.0], [3.0]], "add: cannot make a float32 array from list"),
])
def test_a_constant_that_is_not_real_numbers_is_refused_naming_the_op(other, message):
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=re.escape(message)):
        t + other
    with pytest.raises(TypeError, match=re.escape(message.replace("add", "mul"))):
        other * t  # the reflected form too
    assert t + np.array([1, 2]) is not None and (t + [True, False]).data.tolist() == [2.0, 2.0]


# -- backward ----------------------------------------------------------------------------
def test_backward_needs_a_gradient_for_non_scalars():
    y = Tensor(np.ones((3, 2)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=re.escape(
            "backward: output has shape (3, 2); pass gradient= of that shape or reduce to a "
            "scalar")):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\)"):
        y.backward(np.ones(2))


@pytest.mark.parametrize("wrap", [np.asarray, Tensor])
def test_backward_with_explicit_gradient(wrap):
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    (x * 3).backward(wrap(np.full((3, 2), 2.0, dtype=np.float32)))
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, np.full((3, 2), 6.0))


def test_gradients_accumulate_and_leaf_grads_are_independent():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10  # must not touch b.grad
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad, [11.0, 11.0])
    a.zero_grad()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0])


def test_broadcast_gradients_are_summed_back():
    x = Tensor(np.ones((1, 3)), dtype="float64", requires_grad=True)
    b = Tensor(2.0, dtype="float64", requires_grad=True)
    (x * Tensor(np.ones((4, 1)), dtype="float64") + b).sum().backward()
    np.testing.assert_array_equal(x.grad, [[4.0, 4.0, 4.0]])
    assert b.grad.shape == () and b.grad == 12.0


def test_grad_of_a_function_of_arrays():
    g = grad(lambda x: (x * x).sum())(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])
    dx, dy = grad(lambda x, y: (x @ y).sum())(np.ones((2, 3)), np.ones((3, 4)))
    assert dx.shape == (2, 3) and dy.shape == (3, 4)


def test_hessian_vector_product_through_create_graph():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    x = Tensor(rng.standard_normal(4), dtype="float64", requires_grad=True)
    v = rng.standard_normal(4)

    def f(x):  # tanh(x)ᵀ A x + sum(exp(x))
        return (x.tanh() * (Tensor(a, dtype="float64") @ x)).sum() + x.exp().sum()

    (g,) = gradients(f(x), [x], create_graph=True)
    assert isinstance(g, Tensor) and g.requires_grad
    (hv,) = gradients((g * v).sum(), [x])
    # the exact Hessian: d²/dx² of tᵀAx with t = tanh(x), plus diag(exp(x))
    xv = x.data
    t, dt, ddt = np.tanh(xv), 1 - np.tanh(xv) ** 2, -2 * np.tanh(xv) * (1 - np.tanh(xv) ** 2)
    hessian = (np.diag(dt) @ a + a.T @ np.diag(dt) + np.diag(ddt * (a @ xv))
               + np.diag(np.exp(xv)))
    np.testing.assert_allclose(hv, hessian @ v, rtol=1e-10)
    assert t.shape == (4,)


def test_backward_create_graph_gives_tensor_grads():
    x = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and isinstance(y.grad, Tensor)
    gradcheck(lambda x: grad(lambda z: (z ** 3).sum())(x), [x])


# -- in-place changes and versions -------------------------------------------------------
def test_version_counter_catches_a_changed_input():
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    y = (x * x).sum()
    assert x._version == 0
    x.data -= 1.0  # what an optimizer step does
    assert x._version == 1
    with pytest.raises(RuntimeError, match=re.escape(
            "a tensor used by 'mul' was modified in place after it was used (version 0 -> 1)"
    )) as info:
        y.backward()
    assert "'x'" in str(info.value)


@pytest.mark.parametrize("update", ["+=", "-=", "*=", "/=", "data="])
def test_in_place_updates_bump_the_version(update):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    if update == "data=":
        x.data = np.array([5.0, 6.0])
        assert x.dtype == np.float32
    else:
        exec(f"x {update} 2.0")
    assert x._version == 1
    with pytest.raises(RuntimeError, match="used by 'exp'"):
        y.backward()


def test_in_place_only_on_leaves_or_without_recording():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only leaves may be changed in place"):
        y += 1
    with no_grad():
        y += 1
    np.testing.assert_array_equal(y.data, [3.0, 5.0])
    z = x * 2
    with pytest.raises(ValueError, match=r"\+=: cannot update shape \(2,\)"):
        x += np.ones(3)
    x += 1  # a leaf: fine; z's backward then refuses
    with pytest.raises(RuntimeError, match="used by 'mul'"):
        z.sum().backward()


def test_unchanged_graph_backpropagates_twice():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_deep_graph_needs_no_recursion():
    x = Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad[0] == 1.0


def test_a_leaf_seeded_with_an_array_gets_its_own_copy():
    t = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([3.0, 4.0], dtype=np.float32)
    t.backward(seed)
    assert t.grad is not seed and not np.shares_memory(t.grad, seed)
    np.testing.assert_array_equal(t.grad, [3.0, 4.0])


def test_leaves_never_share_one_gradient_array():
    a, b = (Tensor(np.ones(3), requires_grad=True) for _ in range(2))
    c = Tensor(np.full(3, 2.0), requires_grad=True)
    ((a + b) * c).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 0.5
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])


def test_an_in_place_change_through_detach_is_caught():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * x).sum()
    d = x.detach()
    d += 1
    with pytest.raises(RuntimeError, match=r"a tensor used by 'mul' was modified in place"):
        y.backward()


@pytest.mark.parametrize("data, name", [([None], "NoneType"), ([1.0, "a"], "str")])
def test_a_tensor_of_non_numbers_is_refused_not_turned_into_nan(data, name):
    with pytest.raises(TypeError, match=f"Tensor: data must be numbers, got {name}"):
        Tensor(data)
