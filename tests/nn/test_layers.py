"""Every layer gradient-checked in float64; dropout, maxout, softmax and mlp behaviour."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Tensor, gradcheck


def _x(shape, seed=0):
    return Tensor(np.random.default_rng(seed).normal(size=shape), dtype="float64",
                  requires_grad=True, label="x")


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 4), nin=st.integers(1, 5), nout=st.integers(1, 4),
       bias=st.booleans(), seed=st.integers(0, 1000))
def test_linear_gradcheck(batch, nin, nout, bias, seed):
    layer = nn.Linear(nin, nout, bias=bias, dtype="float64", seed=seed)
    x = _x((batch, nin), seed)
    params = [layer.weight] + ([layer.bias] if bias else [])
    gradcheck(lambda x, *p: layer(x), [x, *params])


def test_linear_matches_formula_and_layout():
    layer = nn.Linear(3, 2, dtype="float64", seed=1)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    layer.bias.data = np.array([0.5, -1.0])
    x = np.random.default_rng(0).normal(size=(4, 3))
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12)


def test_linear_rejects_wrong_width():
    with pytest.raises(ValueError, match="does not end in 3 features"):
        nn.Linear(3, 2)(np.zeros((4, 5), dtype=np.float32))


def test_linear_seed_reproducible_and_float32_default():
    a, b = nn.Linear(5, 4, seed=7), nn.Linear(5, 4, seed=7)
    assert a.weight.dtype == np.float32
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, nn.Linear(5, 4, seed=8).weight.data)


@pytest.mark.parametrize("module", [
    nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.1), nn.ELU(0.7), nn.Softmax(),
    nn.Softmax(axis=0), nn.Maxout(2), nn.Flatten(),
])
def test_activation_gradcheck(module):
    x = _x((3, 4), seed=3)
    gradcheck(lambda x: module(x), [x])


def test_activations_match_numpy():
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    t = Tensor(x, dtype="float64")
    np.testing.assert_allclose(nn.ReLU()(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(t).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(t).data, np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(nn.ELU(0.5)(t).data, np.where(x > 0, x, 0.5 * np.expm1(x)))
    e = np.exp(x)
    np.testing.assert_allclose(nn.Softmax()(t).data, e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.Maxout(2)(t).data, x.reshape(3, 2, 2).max(axis=-1))


def test_maxout_rejects_indivisible_width():
    with pytest.raises(ValueError, match="not a multiple of 3"):
        nn.Maxout(3)(Tensor(np.zeros((2, 4))))


def test_flatten_keeps_batch_axis():
    assert nn.Flatten()(Tensor(np.zeros((5, 2, 3, 4)))).shape == (5, 24)


def test_dropout_inverted_seeded_and_off_in_eval():
    x = Tensor(np.ones((200, 50)), dtype="float64")
    drop = nn.Dropout(0.25, seed=0)
    out = drop(x).data
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(out, nn.Dropout(0.25, seed=0)(x).data)
    drop.eval()
    assert drop(x) is x


def test_dropout_gradcheck_with_fixed_mask():
    x = _x((3, 4))
    drop = nn.Dropout(0.5, seed=1)
    state = drop._rng.bit_generator.state

    def f(x):
        drop._rng.bit_generator.state = state  # the same mask on every evaluation
        return drop(x)

    gradcheck(f, [x])


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.0)


def test_sequential_and_mlp_gradcheck():
    model = nn.mlp(3, [4, 4, 2], activation="tanh", dtype="float64", seed=0)
    x = _x((5, 3))
    gradcheck(lambda x, *p: model(x), [x, *model.parameters()])


def test_mlp_builds_expected_layers():
    model = nn.mlp(784, [16, 16, 10], activation="sigmoid", seed=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    with pytest.raises(ValueError, match="unknown activation"):
        nn.mlp(2, [3], activation="swish")


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="item 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)
