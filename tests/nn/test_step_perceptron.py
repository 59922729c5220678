"""The perceptron: `nn.Step` after a Linear layer, with the notes' numbers.

A perceptron outputs 1 when w·x > threshold; written with a bias b = -threshold it is
step(w·x + b). Nielsen's NAND perceptron (weights -2, -2, bias 3) and the AND, OR and NOT
gates of the course notes are checked here, and that no gradient passes a step.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value

moderate = st.floats(-5.0, 5.0, allow_nan=False)
INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def perceptron(weights, bias):
    layer = nn.Linear(len(weights), 1, dtype="float64", seed=0)
    layer.weight.data = np.array([weights], dtype=np.float64)
    layer.bias.data = np.array([bias], dtype=np.float64)
    return nn.Sequential(layer, nn.Step())


def test_step_is_a_registered_activation_with_its_module():
    entry = nn.ACTIVATIONS["step"]
    assert entry.module is nn.Step and entry.scalar and not entry.fusable


def test_linear_refuses_to_fuse_a_step():
    with pytest.raises(ValueError, match="unknown activation 'step'"):
        nn.Linear(2, 1, activation="step")


@given(st.lists(moderate, min_size=3, max_size=3), st.lists(moderate, min_size=3, max_size=3),
       moderate)
def test_the_threshold_is_minus_the_bias(w, x, b):
    """step(w·x + b) fires exactly when w·x > -b (the threshold)."""
    weighted = Value.dot(w, x)
    fires = (weighted + b).step().data
    if abs(weighted.data + b) > 1e-9:  # clear of rounding at the threshold itself
        assert fires == float(weighted.data > -b)


@pytest.mark.parametrize("name, weights, bias, truth", [
    ("NAND", [-2.0, -2.0], 3.0, [1, 1, 1, 0]),  # Nielsen, chapter 1
    ("AND", [1.0, 1.0], -1.5, [0, 0, 0, 1]),
    ("OR", [1.0, 1.0], -0.5, [0, 1, 1, 1]),
])
def test_one_perceptron_computes_each_gate(name, weights, bias, truth):
    out = perceptron(weights, bias)(INPUTS)
    np.testing.assert_array_equal(out.data[:, 0], truth, err_msg=name)


def test_not_is_one_perceptron_with_one_input():
    out = perceptron([-1.0], 0.5)(np.array([[0.0], [1.0]]))
    np.testing.assert_array_equal(out.data[:, 0], [1, 0])


def test_xor_by_a_hidden_layer_of_perceptrons():
    """XOR(a, b) = AND(OR(a, b), NAND(a, b)): no single line separates it, two layers do."""
    hidden = nn.Linear(2, 2, dtype="float64", seed=0)
    hidden.weight.data = np.array([[1.0, 1.0], [-2.0, -2.0]])  # OR, NAND
    hidden.bias.data = np.array([-0.5, 3.0])
    output = nn.Linear(2, 1, dtype="float64", seed=0)
    output.weight.data = np.array([[1.0, 1.0]])  # AND
    output.bias.data = np.array([-1.5])
    net = nn.Sequential(hidden, nn.Step(), output, nn.Step())
    np.testing.assert_array_equal(net(INPUTS).data[:, 0], [0, 1, 1, 0])


def test_a_perceptron_gets_zero_gradients_from_any_loss():
    net = perceptron([0.3, -0.7], 0.1)
    loss = nn.mse_loss(net(INPUTS), np.array([[0.0], [1.0], [1.0], [0.0]]))
    assert loss.item() > 0.0  # wrong on some inputs, and still:
    loss.backward()
    for p in net.parameters():
        np.testing.assert_array_equal(p.grad, 0.0)


def test_the_scalar_view_has_the_step_too():
    net = perceptron([-2.0, -2.0], 3.0)
    view = nn.ScalarView(net)
    np.testing.assert_array_equal([view(x)[0].data for x in INPUTS], [1, 1, 1, 0])


def test_step_module_on_a_float32_batch_keeps_float32():
    out = nn.Step()(Tensor(np.array([[-1.0, 0.0, 2.0]], dtype=np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [[0.0, 0.0, 1.0]])
