"""Gradient norms per layer and activation statistics make vanishing gradients visible."""

import numpy as np
import pytest

import nn
from autograd import Tensor


def test_vanishing_gradient_in_deep_sigmoid_network():
    model = nn.mlp(10, [30] * 6 + [1], activation="sigmoid", init="gaussian_fan_in",
                   dtype="float64", seed=0)
    x = np.random.default_rng(0).normal(size=(64, 10))
    nn.mse_loss(model(x), np.zeros((64, 1))).backward()
    norms = nn.gradient_norms(model)
    assert list(norms) == ["0", "2", "4", "6", "8", "10", "12"]
    values = list(norms.values())
    assert values == sorted(values)  # each layer learns slower than the one after it
    assert values[0] < values[-1] / 100


def test_gradient_norms_per_parameter_match_numpy():
    model = nn.mlp(3, [2], seed=0)
    (model(np.ones((4, 3), dtype=np.float32)) ** 2).sum().backward()
    norms = nn.gradient_norms(model, per="parameter")
    assert norms["0.weight"] == pytest.approx(np.linalg.norm(model[0].weight.grad))
    layer = nn.gradient_norms(model)["0"]
    assert layer == pytest.approx(np.hypot(norms["0.weight"], norms["0.bias"]))
    model.zero_grad()
    assert nn.gradient_norms(model) == {"0": 0.0}


def test_activation_stats_saturation_and_dead_units():
    model = nn.Sequential(nn.Linear(4, 6, init="normal", seed=0), nn.Sigmoid(),
                          nn.Linear(6, 5, seed=1), nn.ReLU(), nn.Tanh())
    model[0].weight.data *= 100.0  # drive the sigmoid into saturation
    model[2].bias.data[:2] = -1000.0  # two ReLU units can never fire
    x = np.random.default_rng(0).normal(size=(50, 4))
    rows = nn.activation_stats(model, x)
    assert [(r.name, r.kind) for r in rows] == [
        ("0", "Linear"), ("1", "Sigmoid"), ("2", "Linear"), ("3", "ReLU"), ("4", "Tanh")]
    assert rows[1].saturated > 0.9 and rows[3].dead >= 2 / 5
    assert rows[0].saturated is None and rows[0].dead is None
    out = model(Tensor(x, dtype="float32")).data
    assert rows[4].mean == pytest.approx(out.mean(), rel=1e-6)
    assert rows[4].std == pytest.approx(out.std(), rel=1e-5)
    table = nn.diagnostics.table(rows)
    assert "Sigmoid" in table and "%" in table
    model[0](x)  # the hooks are gone: nothing more is recorded
    assert len(rows) == 5
