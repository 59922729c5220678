"""LeNet-5's C3 connected by LeCun's table: the counts, and weights that stay unlinked."""

import numpy as np
import pytest

import nn
from autograd import Tensor, conv2d
from nn.models import LENET5_C3_TABLE

TABLE = np.array(LENET5_C3_TABLE, dtype=bool)  # (16 C3 maps, 6 S2 maps)


def test_the_table_is_lecuns():
    # Table I of the paper: 6 maps see 3 neighbouring S2 maps, 6 see 4 neighbouring,
    # 3 see 4 non-neighbouring, 1 sees all six
    assert TABLE.shape == (16, 6) and TABLE.sum() == 60
    assert TABLE.sum(axis=1).tolist() == [3] * 6 + [4] * 9 + [6]
    for o in range(6):
        assert np.flatnonzero(TABLE[o]).tolist() == sorted((o + k) % 6 for k in range(3))
        assert np.flatnonzero(TABLE[6 + o]).tolist() == sorted((o + k) % 6 for k in range(4))
    assert [np.flatnonzero(row).tolist() for row in TABLE[12:15]] == [
        [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5]]


def test_parameter_counts():
    model = nn.LeNet5(c3_table=True, seed=0)
    assert model[3].num_parameters() == 60 * 25 + 16 == 1_516
    assert model.num_parameters() == 60_806
    assert nn.LeNet5(seed=0).num_parameters() == 61_706  # fully connected C3: 2,416
    assert "connections=60 of 96" in repr(model)


def test_same_seed_same_weights_with_the_unlinked_ones_zeroed():
    table, full = nn.LeNet5(c3_table=True, seed=3), nn.LeNet5(seed=3)
    for (name, p), q in zip(table.named_parameters(), full.parameters()):
        expected = q.data * TABLE[:, :, None, None] if name == "3.weight" else q.data
        np.testing.assert_array_equal(p.data, expected, err_msg=name)


def _train(model, optimizer, steps=3):
    rng = np.random.default_rng(1)
    for _ in range(steps):
        x = rng.normal(size=(4, 1, 28, 28))
        optimizer.zero_grad()
        nn.cross_entropy(model(x), rng.integers(0, 10, 4)).backward()
        grad = model[3].weight.grad
        assert not grad[~TABLE].any(), "an unlinked weight got a gradient"
        assert np.abs(grad[TABLE]).max() > 0
        optimizer.step()


@pytest.mark.parametrize("make_optimizer", [
    lambda p: nn.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda p: nn.Adam(p, lr=0.01, weight_decay=0.01),
    lambda p: nn.Adam(p, lr=0.01, weight_decay=0.01, decoupled=True),
], ids=["sgd-momentum-decay", "adam-l2", "adamw"])
def test_unlinked_weights_get_no_gradient_and_stay_zero(make_optimizer):
    model = nn.LeNet5(c3_table=True, dtype="float64", seed=0)
    before = model[3].weight.data.copy()
    _train(model, make_optimizer(model.parameters()))
    after = model[3].weight.data
    assert not after[~TABLE].any()
    assert (after[TABLE] != before[TABLE]).mean() > 0.99  # the linked ones did train


def test_save_and_load_keep_the_table(tmp_path):
    model = nn.LeNet5(c3_table=True, seed=0)
    nn.save(model, tmp_path / "lenet.npz")
    loaded = nn.load(tmp_path / "lenet.npz")
    assert loaded.c3_table and loaded.num_parameters() == 60_806
    x = np.random.default_rng(0).normal(size=(2, 1, 28, 28))
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert loaded[3].config()["connections"] == TABLE.astype(int).tolist()


def test_a_stray_value_in_an_unlinked_weight_does_not_reach_the_output():
    model = nn.LeNet5(c3_table=True, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 1, 28, 28))
    clean = model(x).data
    state = model.state_dict()
    state["3.weight"][~TABLE] = 5.0
    model.load_state_dict(state)
    np.testing.assert_array_equal(model(x).data, clean)


def test_each_output_sums_convolutions_of_its_linked_inputs_only():
    table = [[1, 0, 1], [0, 1, 0]]
    layer = nn.Conv2d(3, 2, 3, padding=1, connections=table, dtype="float64", seed=0,
                      bias_init="normal")
    x = np.random.default_rng(2).normal(size=(2, 3, 6, 6))
    out = layer(x).data
    w, b = layer.weight.data, layer.bias.data
    for o, row in enumerate(table):
        expected = b[o] + sum(
            conv2d(Tensor(x[:, i:i + 1], "float64"), Tensor(w[o:o + 1, i:i + 1], "float64"),
                   None, 1, 1).data[:, 0]
            for i in np.flatnonzero(row))
        np.testing.assert_allclose(out[:, o], expected, rtol=1e-12, atol=1e-12)


def test_the_scalar_view_follows_the_table():
    layer = nn.Conv2d(3, 2, 2, connections=[[1, 1, 0], [0, 0, 1]], dtype="float64", seed=0)
    x = np.random.default_rng(3).normal(size=(1, 3, 4, 4))
    scalar = layer.to_scalar()(x[0])
    values = np.vectorize(lambda v: v.data)(scalar)
    np.testing.assert_allclose(values, layer(x).data[0], rtol=1e-12)


@pytest.mark.parametrize("connections, message", [
    ([[1, 0]], r"shape \(out_channels, in_channels\) = \(2, 3\), got \(1, 2\)"),
    ([[1, 0, 2], [1, 1, 1]], "only 0/1"),
    ([[1, 0, 1], [0, 0, 0]], r"output channels \[1\] have no input channel"),
])
def test_a_bad_table_is_refused(connections, message):
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(3, 2, 3, connections=connections)
