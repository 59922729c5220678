"""The convolution and pooling layers: dtypes, the scalar view, errors that state the
size formula, output sizes, parameter counts, seeding, saving."""

from __future__ import annotations

import numpy as np
import pytest
from conv_cases import out_size

import nn
from autograd import Tensor
from nn.functional import conv2d
from nn.scalar_conv import scalar_conv2d


def test_float32_stays_float32():
    x = Tensor(np.ones((2, 1, 6, 6)), dtype="float32", requires_grad=True)
    layer = nn.Conv2d(1, 2, 3, padding=1, seed=0)
    y = nn.MaxPool2d(2)(layer(x))
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32
    assert nn.AvgPool2d(2)(x).dtype == np.float32


def test_to_scalar_runs_a_cnn_one_value_at_a_time():
    rng = np.random.default_rng(3)
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, dtype="float64", seed=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 2, (2, 3), stride=(1, 2), dilation=(2, 1), dtype="float64", seed=2),
        nn.AvgPool2d(1), nn.Flatten(), nn.Linear(2, 2, dtype="float64", seed=3))
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            layer.bias.data = rng.standard_normal(layer.bias.shape)
    x = rng.standard_normal((1, 2, 6, 7))
    out = model(Tensor(x, dtype="float64"))
    (out * np.array([[1.0, -2.0]])).sum().backward()
    view = model.to_scalar()
    values = view(x[0])
    np.testing.assert_allclose([v.data for v in values], out.data[0], rtol=1e-10, atol=1e-12)
    (values[0] - 2.0 * values[1]).backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(view.grads()[name], p.grad, rtol=1e-10, atol=1e-12)


def test_conv1d_to_scalar():
    layer = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, dtype="float64", seed=0)
    x = np.random.default_rng(0).standard_normal((1, 2, 9))
    out = layer(Tensor(x, dtype="float64"))
    values = layer.to_scalar()(x[0])
    assert values.shape == out.shape[1:]
    np.testing.assert_allclose(np.vectorize(float)(values), out.data[0], rtol=1e-10)


def test_error_messages():
    formula = "out = (N + 2P - D(F-1) - 1)/S + 1"
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 6, 5)(Tensor(np.zeros((8, 1, 3, 3)), dtype="float32"))
    assert str(error.value) == (
        "Conv2d: kernel 5x5 is larger than the padded input 3x3 (H + 2P = 3 + 2*0); "
        f"{formula} needs D(F-1) + 1 <= N + 2P")
    with pytest.raises(ValueError) as error:
        nn.Conv2d(3, 6, 5)(Tensor(np.zeros((8, 1, 28, 28)), dtype="float32"))
    assert str(error.value) == "Conv2d expects 3 input channels, got a tensor of shape " \
        "(8, 1, 28, 28)"
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 6, 5, stride=0)
    assert str(error.value) == f"Conv2d: stride must be >= 1, got 0 ({formula})"
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 1, 3, padding=(1, 0), dilation=2)(
            Tensor(np.zeros((1, 1, 9, 4)), dtype="float32"))
    assert str(error.value).startswith(
        "Conv2d: kernel 3x3 with dilation 2x2 spans 5x5 and is larger than the padded input "
        "11x4 (W + 2P = 4 + 2*0)")
    with pytest.raises(ValueError, match=r"^Conv1d: kernel 4 is larger than the padded "
                       r"input 3 \(L \+ 2P = 3 \+ 2\*0\)"):
        nn.Conv1d(2, 2, 4)(Tensor(np.zeros((1, 2, 3)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^MaxPool2d: kernel 3x3 is larger than the padded "
                       r"input 2x2 \(H \+ 2P = 2 \+ 2\*0\)"):
        nn.MaxPool2d(3)(Tensor(np.zeros((1, 1, 2, 2)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^AvgPool2d: stride must be >= 1, got 0"):
        nn.AvgPool2d(2, stride=0)
    with pytest.raises(ValueError, match=r"^Conv2d: input must have shape \(N, C, H, W\), "
                       r"got a tensor of shape \(1, 28, 28\)"):
        nn.Conv2d(1, 6, 5)(Tensor(np.zeros((1, 28, 28)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^conv2d: bias must be a Tensor of shape \(2,\)"):
        conv2d(Tensor(np.zeros((1, 1, 3, 3)), dtype="float32"),
               Tensor(np.zeros((2, 1, 2, 2)), dtype="float32"),
               Tensor(np.zeros(3), dtype="float32"))
    with pytest.raises(TypeError, match="dtype mismatch"):
        conv2d(Tensor(np.zeros((1, 1, 3, 3)), dtype="float64"),
               Tensor(np.zeros((2, 1, 2, 2)), dtype="float32"))
    with pytest.raises(ValueError, match=r"^Conv2d: one example must have shape \(C, H, W\)"):
        nn.Conv2d(1, 2, 2).to_scalar()(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="kernel has 2 channels but the image has 1"):
        scalar_conv2d(np.zeros((4, 4)), np.zeros((2, 2, 2)))


@pytest.mark.parametrize("n, f, s, p, d", [(28, 5, 1, 2, 1), (32, 5, 1, 0, 1), (7, 3, 2, 1, 1),
                                           (227, 11, 4, 0, 1), (10, 3, 3, 0, 2), (5, 5, 1, 0, 1)])
def test_output_size_follows_the_formula(n, f, s, p, d):
    layer = nn.Conv2d(3, 4, f, stride=s, padding=p, dilation=d, seed=0)
    y = layer(Tensor(np.zeros((1, 3, n, n + 1)), dtype="float32"))
    assert y.shape == (1, 4, out_size(n, f, s, p, d), out_size(n + 1, f, s, p, d))
    if min(y.shape[2:]) >= 2:
        assert nn.MaxPool2d(2)(y).shape[2:] == (y.shape[2] // 2, y.shape[3] // 2)


def test_parameter_counts():
    assert nn.Conv2d(3, 8, 3).num_parameters() == 8 * (3 * 3 * 3) + 8  # F·F·D_in + 1 each
    assert nn.Conv2d(3, 8, (3, 5), bias=False).num_parameters() == 8 * 3 * 3 * 5
    assert nn.Conv1d(4, 2, 5).num_parameters() == 2 * (5 * 4) + 2
    model = nn.models.LeNet5()
    counts = [layer.num_parameters() for layer in model if layer.num_parameters()]
    assert counts == [156, 2_416, 48_120, 10_164, 850]
    assert model.num_parameters() == 61_706
    assert nn.models.LeNet5(pooling="avg", activation="tanh").num_parameters() == 61_706
    assert model(Tensor(np.zeros((2, 1, 28, 28)), dtype="float32")).shape == (2, 10)


def test_seeded_initialisation_is_reproducible():
    a, b = nn.Conv2d(2, 3, 3, seed=5), nn.Conv2d(2, 3, 3, seed=5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.shape == (3, 2, 3, 3)
    c = nn.Conv2d(2, 3, 3, init="he_normal", rng=np.random.default_rng(5))
    assert not np.array_equal(a.weight.data, c.weight.data)


def test_save_and_load_round_trip(tmp_path):
    model = nn.models.LeNet5(pooling="avg", activation="tanh", seed=1)
    x = Tensor(np.random.default_rng(0).standard_normal((3, 1, 28, 28)), dtype="float32")
    path = tmp_path / "lenet.npz"
    nn.save(model, path)
    loaded = nn.load(path)
    assert type(loaded) is nn.models.LeNet5 and loaded.config() == model.config()
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    other = nn.Sequential(nn.Conv1d(2, 3, (3,), stride=2, padding=1, dilation=2, bias=False),
                          nn.Tanh())
    nn.save(other, tmp_path / "conv1d.npz")
    again = nn.load(tmp_path / "conv1d.npz")
    signal = Tensor(np.ones((1, 2, 9)), dtype="float32")
    np.testing.assert_array_equal(again(signal).data, other(signal).data)
    assert again[0].config() == other[0].config()
