"""gradcheck itself: it passes correct gradients, and it catches wrong ones."""

import contextlib
import math

import numpy as np
import pytest

import autograd as ag
from autograd import OPS, GradcheckError, Tensor, Value, gradcheck, linear


@contextlib.contextmanager
def replaced_grad(op_name, wrong_grad):
    """Swap an op's gradient rule for the duration of a block (Op is a frozen dataclass)."""
    op = OPS[op_name]
    original = op.grad
    object.__setattr__(op, "grad", wrong_grad)
    try:
        yield
    finally:
        object.__setattr__(op, "grad", original)


def test_passes_a_correct_gradient():
    x, y = Value(0.3, label="x"), Value(-1.2, label="y")
    result = gradcheck(lambda x, y: (x * y).tanh() + x.exp() / (1.0 + y * y), [x, y])
    assert result.ok
    assert [r.name for r in result.inputs] == ["x", "y"]
    assert all(r.max_abs_error < 1e-8 for r in result.inputs)


def test_leaves_inputs_as_they_were():
    x = Value(0.3)
    gradcheck(lambda x: x.sin(), [x])
    assert x.data == 0.3 and x.grad == 0.0


def test_catches_a_wrong_gradient_and_shows_the_table():
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    # the b-gradient of mul given as g * b instead of g * a
    with replaced_grad("mul", lambda g, out, ctx, a, b: (g * b, g * b)), \
            pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: x * y, [x, y])
    message = str(caught.value)
    assert "max abs err" in message and "numerical" in message
    lines = message.splitlines()
    x_row = next(line for line in lines if line.startswith("x "))
    y_row = next(line for line in lines if line.startswith("y "))
    assert x_row.rstrip().endswith("yes")
    assert y_row.rstrip().endswith("NO")
    assert "-0.5" in y_row and "1.5" in y_row  # the engine's and the numerical value


def test_catches_a_sign_error():
    with replaced_grad("sin", lambda g, out, ctx, a: (-g * math.cos(a),)):
        result = gradcheck(lambda x: x.sin(), [Value(0.4)], raise_on_failure=False)
    assert not result.ok
    assert result.inputs[0].analytic == pytest.approx(-math.cos(0.4))
    assert result.inputs[0].numerical == pytest.approx(math.cos(0.4))


def test_the_op_is_restored_after_the_swap():
    original = OPS["mul"].grad
    with replaced_grad("mul", lambda g, out, ctx, a, b: (g * b, g * b)):
        assert OPS["mul"].grad is not original
    assert OPS["mul"].grad is original
    assert gradcheck(lambda x, y: x * y, [Value(1.5), Value(-0.5)]).ok


def test_a_gradient_of_the_wrong_shape_fails_instead_of_being_broadcast():
    x = Tensor(np.ones((2, 3)), dtype="float64")
    w = Tensor(np.ones((4, 3)), dtype="float64", requires_grad=True, label="w")
    # linear promises exact gradients, so nothing reshapes this 0-d one on the way
    with replaced_grad("linear", lambda g, out, needs, x, w: (None, g.sum())), \
            pytest.raises(GradcheckError, match=r"gradient for w has shape \(\), the input "
                                                r"has shape \(4, 3\)"):
        gradcheck(lambda w: linear(x, w), [w])


def test_raise_on_failure_false_returns_the_result():
    with replaced_grad("exp", lambda g, out, ctx, a: (g,)):
        result = gradcheck(lambda x: x.exp(), [Value(1.0)], raise_on_failure=False)
    assert not result.ok
    assert "NO" in str(result)


def test_catches_nan_against_a_finite_numerical_gradient():
    with replaced_grad("tanh", lambda g, out, ctx, a: (g * math.nan,)):
        result = gradcheck(lambda x: x.tanh(), [Value(0.2)], raise_on_failure=False)
    assert not result.ok


def test_refuses_float32_data():
    x = Value(1.0)
    x.data = np.ones(3, dtype=np.float32)  # as a float32 Tensor would hold
    with pytest.raises(TypeError, match="float32"):
        gradcheck(lambda x: x, [x])


def test_refuses_float32_tensor():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x * x, [x])


def test_refuses_a_plain_number():
    with pytest.raises(TypeError, match="input 0 is a float"):
        gradcheck(lambda x: x, [1.0])


def test_gradcheck_checks_a_function_that_differentiates_inside():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)), dtype="float64")
    w = Tensor(rng.standard_normal((3, 4)), dtype="float64", requires_grad=True)

    def gradient_penalty(w):
        (g,) = ag.gradients(ag.cross_entropy(x @ w, [0, 1, 2, 3, 0]), [w], create_graph=True)
        return (g * g).sum()

    assert ag.gradcheck(gradient_penalty, [w]).ok
