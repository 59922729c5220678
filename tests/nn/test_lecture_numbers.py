"""The lecture notes' own numbers and identities, checked against chainrule.

The notes (3Blue1Brown's MNIST network, Nielsen's book, a university MLP/CNN course, Li
Hongyi's notes) quote sizes and derivatives; each test states one of them and checks it
against the engine. The four BP equations are rewritten here in numpy, compactly; the
notebook 08_four_equations_of_backprop derives them step by step.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value

moderate = st.floats(-3.0, 3.0, allow_nan=False)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


# -- sizes -------------------------------------------------------------------------------
def test_784_16_16_10_has_12960_weights_and_42_biases():
    model = nn.mlp(784, [16, 16, 10], "sigmoid", seed=0)
    weights = sum(p.size for name, p in model.named_parameters() if name.endswith("weight"))
    biases = sum(p.size for name, p in model.named_parameters() if name.endswith("bias"))
    assert (weights, biases, model.num_parameters()) == (12_960, 42, 13_002)


def test_nielsens_784_30_10_network():
    model = nn.mlp(784, [30, 10], "sigmoid", output_activation="sigmoid", seed=0)
    assert model.num_parameters() == 784 * 30 + 30 + 30 * 10 + 10 == 23_860


def test_2560000_samples_in_batches_of_256_are_10000_iterations_an_epoch():
    samples = np.zeros((2_560_000, 1), dtype=np.uint8)
    assert len(nn.DataLoader(samples, batch_size=256)) == 10_000


@pytest.mark.parametrize("size, padding, out", [(7, 0, 5), (7, 1, 7)])
def test_7x7_with_a_3x3_filter(size, padding, out):
    layer = nn.Conv2d(1, 1, 3, padding=padding, seed=0)
    assert layer(np.zeros((1, 1, size, size))).shape == (1, 1, out, out)


def test_32x32x3_with_ten_5x5_filters_stride_1_padding_2():
    layer = nn.Conv2d(3, 10, 5, stride=1, padding=2, seed=0)
    assert layer(np.zeros((1, 3, 32, 32))).shape == (1, 10, 32, 32)
    assert layer.num_parameters() == 10 * (5 * 5 * 3 + 1) == 760


def test_2x2_pooling_with_stride_2_halves_the_size_keeps_the_depth_and_learns_nothing():
    for pool in (nn.MaxPool2d(2, stride=2), nn.AvgPool2d(2, stride=2)):
        assert pool(Tensor(np.zeros((1, 6, 28, 28)))).shape == (1, 6, 14, 14)
        assert pool.num_parameters() == 0


# -- activations -------------------------------------------------------------------------
def test_leaky_relu_with_slope_0_1_at_minus_2():
    assert Value(-2.0).leaky_relu(0.1).data == pytest.approx(-0.2, abs=1e-15)
    assert nn.LeakyReLU(0.1)(Tensor([-2.0], "float64")).data[0] == pytest.approx(-0.2)


def test_elu_with_alpha_0_4_at_minus_1():
    expected = 0.4 * (math.exp(-1.0) - 1.0)
    assert Value(-1.0).elu(0.4).data == pytest.approx(expected, rel=1e-15)
    assert nn.ELU(0.4)(Tensor([-1.0], "float64")).data[0] == pytest.approx(expected)


def test_the_sigmoids_slope_is_largest_at_0_where_it_is_a_quarter():
    z = Tensor(np.linspace(-10.0, 10.0, 2001), "float64", requires_grad=True)
    z.sigmoid().sum().backward()
    assert z.grad[1000] == 0.25 and z.grad.max() == 0.25
    assert np.argmax(z.grad) == 1000  # z = 0


# -- the chain rule along one neuron per layer ----------------------------------------------
@given(st.lists(moderate, min_size=4, max_size=4), st.lists(moderate, min_size=4, max_size=4),
       moderate, st.floats(0.0, 1.0))
def test_four_neuron_chain(weights, biases, x, y):
    w = [Value(v) for v in weights]
    b = [Value(v) for v in biases]
    a, zs, activations = Value(x), [], [x]
    for wk, bk in zip(w, b):
        z = wk * a + bk
        a = z.sigmoid()
        zs.append(z.data)
        activations.append(a.data)
    cost = (a - y) ** 2  # 3Blue1Brown's C0 = (a(L) - y)²
    cost.backward()
    dc_da4 = 2.0 * (activations[4] - y)
    s = [sigmoid_prime(z) for z in zs]
    by_hand = s[0] * weights[1] * s[1] * weights[2] * s[2] * weights[3] * s[3] * dc_da4
    assert b[0].grad == pytest.approx(by_hand, rel=1e-12, abs=1e-15)
    # the last layer's weight: dC0/dw(L) = a(L-1) σ'(z(L)) 2(a(L) - y)
    assert w[3].grad == pytest.approx(activations[3] * s[3] * dc_da4, rel=1e-12, abs=1e-15)


# -- the costs of one sigmoid neuron ----------------------------------------------------------
@given(moderate, moderate, moderate, st.floats(0.0, 1.0))
def test_quadratic_cost_gradient_is_a_minus_y_times_sigma_prime_times_x(w0, b0, x, y):
    w, b = Value(w0), Value(b0)
    z = w * x + b
    (0.5 * (z.sigmoid() - y) ** 2).backward()
    a = sigmoid(z.data)
    assert w.grad == pytest.approx((a - y) * sigmoid_prime(z.data) * x, rel=1e-12, abs=1e-15)
    assert b.grad == pytest.approx((a - y) * sigmoid_prime(z.data), rel=1e-12, abs=1e-15)


@given(moderate, moderate, moderate, st.floats(0.0, 1.0))
def test_cross_entropy_gradient_is_x_times_sigma_minus_y(w0, b0, x, y):
    # no σ'(z) factor: the neuron learns fast however wrong it is
    weight = Tensor([w0], "float64", requires_grad=True)
    bias = Tensor([b0], "float64", requires_grad=True)
    z = weight * x + bias
    nn.binary_cross_entropy_with_logits(z, [y]).backward()
    error = sigmoid(w0 * x + b0) - y
    assert weight.grad[0] == pytest.approx(x * error, rel=1e-12, abs=1e-15)
    assert bias.grad[0] == pytest.approx(error, rel=1e-12, abs=1e-15)
    # the same cost on the probability a = σ(z), where its clip (by dtype) is idle
    weight.grad = None
    nn.binary_cross_entropy((weight * x + bias).sigmoid(), [y]).backward()
    assert weight.grad[0] == pytest.approx(x * error, rel=1e-9, abs=1e-12)


@given(st.lists(moderate, min_size=10, max_size=10), st.integers(0, 9))
def test_softmax_with_log_likelihood_gradient_is_softmax_minus_one_hot(logits, label):
    z = Tensor([logits], "float64", requires_grad=True)
    nn.cross_entropy(z, [label]).backward()
    probabilities = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(z.grad[0], probabilities - np.eye(10)[label],
                               rtol=1e-12, atol=1e-15)


# -- the four equations of backpropagation ----------------------------------------------------
def four_equations(weights, biases, x, y):
    """Nielsen's BP1-BP4 for a sigmoid network and C = 1/(2n) Σ‖a - y‖², rows as examples."""
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(activations[-1] @ w.T + b)
        activations.append(sigmoid(zs[-1]))
    delta = (activations[-1] - y) / len(x) * sigmoid_prime(zs[-1])  # BP1
    grads = []
    for layer in range(len(weights) - 1, -1, -1):
        grads.append((delta.T @ activations[layer], delta.sum(axis=0)))  # BP4, BP3
        if layer:
            delta = (delta @ weights[layer]) * sigmoid_prime(zs[layer - 1])  # BP2
    return grads[::-1]


@given(st.lists(st.integers(1, 6), min_size=2, max_size=4), st.integers(1, 5),
       st.integers(0, 2**32 - 1))
def test_the_four_equations_give_the_engines_gradients(sizes, batch, seed):
    model = nn.mlp(sizes[0], sizes[1:], "sigmoid", output_activation="sigmoid",
                   init="normal", bias_init="normal", dtype="float64", seed=seed)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(batch, sizes[0])), rng.uniform(size=(batch, sizes[-1]))
    nn.quadratic_cost(model(x), y).backward()
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    by_hand = four_equations([m.weight.data for m in linears], [m.bias.data for m in linears],
                             x, y)
    for layer, (dw, db) in zip(linears, by_hand):
        np.testing.assert_allclose(layer.weight.grad, dw, rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.bias.grad, db, rtol=0, atol=1e-12)


# -- biases drawn as Nielsen draws them -------------------------------------------------------
def test_biases_start_at_zero_unless_asked_for_n01():
    assert not nn.Linear(30, 50, seed=0).bias.data.any()
    normal = nn.Linear(300, 4000, bias_init="normal", dtype="float64", seed=0).bias.data
    assert abs(normal.mean()) < 0.05 and normal.var() == pytest.approx(1.0, rel=0.1)
    conv = nn.Conv2d(3, 2000, 3, bias_init="normal", dtype="float64", seed=0).bias.data
    assert conv.var() == pytest.approx(1.0, rel=0.1)


def test_the_bias_draw_leaves_the_weights_of_a_seed_alone():
    zero = nn.mlp(4, [5, 3], seed=7)
    drawn = nn.mlp(4, [5, 3], bias_init="normal", seed=7)
    np.testing.assert_array_equal(zero[0].weight.data, drawn[0].weight.data)
    assert drawn[0].bias.data.any() and drawn[2].bias.data.any()


def test_bias_init_survives_save_and_load(tmp_path):
    model = nn.mlp(4, [5, 3], "sigmoid", bias_init="normal", seed=0)
    nn.save(model, tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz")
    assert loaded[0].config()["bias_init"] == "normal"
    np.testing.assert_array_equal(loaded[0].bias.data, model[0].bias.data)


@pytest.mark.parametrize("name", ["xavier_uniform", "he_normal", "ones"])
def test_a_bias_initialiser_that_needs_a_fan_in_is_refused(name):
    with pytest.raises(ValueError, match=rf"unknown bias initialiser '{name}'.*'normal'"):
        nn.Linear(3, 2, bias_init=name)
