"""Buffers in state_dict, the standardising layer's mean and std among them, and torch's
key names accepted by load_state_dict."""

import json

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.io import FORMAT, architecture
from nn.torch_keys import torch_key_map


class Scaled(nn.Module):
    def __init__(self):
        self.linear = nn.Linear(2, 2, seed=0)
        self.register_buffer("scale", np.array([2.0, 3.0], dtype=np.float32))

    def forward(self, x):
        return self.linear(x) * self.scale


def test_a_buffer_is_state_but_not_a_parameter():
    model = nn.Sequential(Scaled())
    assert [name for name, _ in model.named_buffers()] == ["0.scale"]
    assert "0.scale" in model.state_dict()
    assert all(p is not model[0].scale for p in model.parameters())
    assert model.num_parameters() == 6


def test_loading_replaces_a_buffer_keeping_its_dtype():
    model = nn.Sequential(Scaled())
    state = model.state_dict()
    state["0.scale"] = np.array([5.0, 7.0])  # float64 in, the buffer stays float32
    model.load_state_dict(state)
    assert model[0].scale.dtype == np.float32
    np.testing.assert_array_equal(model[0].scale, [5.0, 7.0])
    state["0.scale"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"'0.scale' has shape \(3,\), the model expects"):
        model.load_state_dict(state)


def test_standardize_keeps_mean_and_std_as_buffers():
    layer = nn.Standardize(np.arange(4.0), 2.0)
    assert layer.parameters() == []
    state = layer.state_dict()
    assert state.keys() == {"mean", "std"}
    assert state["mean"].dtype == state["std"].dtype == np.float64
    assert state["std"].shape == ()
    layer.load_state_dict({"mean": np.ones(4), "std": np.array(4.0)})
    np.testing.assert_array_equal(layer(Tensor(np.full((1, 4), 5.0))).data, [[1.0] * 4])
    assert layer.config() == {"mean": [1.0] * 4, "std": 4.0}


def test_a_file_from_before_buffers_still_loads(tmp_path):
    model = nn.Sequential(nn.Standardize(np.arange(3.0), 2.0), nn.Linear(3, 2, seed=0))
    arrays = {k: v for k, v in model.state_dict().items() if k not in ("0.mean", "0.std")}
    text = json.dumps(architecture(model))
    arrays["__architecture__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    arrays["__format__"] = np.frombuffer(FORMAT.encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    loaded = nn.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(loaded[0].mean, [0.0, 1.0, 2.0])
    assert float(loaded[0].std) == 2.0


def test_a_file_with_other_buffers_uses_the_files_values(tmp_path):
    model = nn.Sequential(nn.Standardize(np.arange(3.0), 2.0), nn.Linear(3, 2, seed=0))
    model.load_state_dict({**model.state_dict(), "0.mean": np.full(3, 9.0)})
    nn.save(model, tmp_path / "m.npz")
    np.testing.assert_array_equal(nn.load(tmp_path / "m.npz")[0].mean, [9.0] * 3)


# -- torch's key names ------------------------------------------------------------------------
def test_the_torch_names_of_the_cli_models(digits):
    mlp = nn.Sequential(nn.Standardize.fit(digits), *nn.mlp(784, [16, 16, 10], fuse=True))
    assert torch_key_map(mlp) == {
        "0.mean": "0.mean", "0.std": "0.std", "1.weight": "1.weight", "1.bias": "1.bias",
        "2.weight": "3.weight", "2.bias": "3.bias", "3.weight": "5.weight",
        "3.bias": "5.bias"}
    lenet = nn.Sequential(nn.Standardize.fit(digits.reshape(-1, 1, 28, 28)), nn.LeNet5())
    assert all(key == value for key, value in torch_key_map(lenet).items())


def test_unfused_layers_and_nested_containers_keep_or_shift_their_indices():
    model = nn.Sequential(nn.Linear(2, 2, activation="tanh"), nn.Sequential(
        nn.Linear(2, 2, activation="relu"), nn.ReLU(), nn.Linear(2, 2)), nn.Linear(2, 1))
    assert torch_key_map(model) == {
        "0.weight": "0.weight", "0.bias": "0.bias", "1.0.weight": "2.0.weight",
        "1.0.bias": "2.0.bias", "1.2.weight": "2.3.weight", "1.2.bias": "2.3.bias",
        "2.weight": "3.weight", "2.bias": "3.bias"}
    assert torch_key_map(nn.Linear(2, 2, activation="relu")) == {"weight": "0.weight",
                                                                  "bias": "0.bias"}


def test_load_state_dict_takes_torch_names():
    source = nn.mlp(4, [3, 3, 2], fuse=True, seed=0)
    target = nn.mlp(4, [3, 3, 2], fuse=True, seed=1)
    names = torch_key_map(source)
    target.load_state_dict({names[k]: v for k, v in source.state_dict().items()})
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value)


def test_torch_names_load_partially_without_strict():
    source = nn.mlp(4, [3, 2], fuse=True, seed=0)
    target = nn.mlp(4, [3, 2], fuse=True, seed=1)
    target.load_state_dict({"2.weight": source[1].weight.data}, strict=False)
    np.testing.assert_array_equal(target[1].weight.data, source[1].weight.data)


def test_a_mix_of_namings_is_refused_naming_the_keys():
    model = nn.mlp(4, [3, 3, 2], fuse=True, seed=0)
    state = model.state_dict()
    state["4.weight"] = state.pop("2.weight")  # torch's name for one, ours for the rest
    with pytest.raises(ValueError, match=r"missing keys \['2.weight'\].*unexpected keys "
                                         r"\['4.weight'\]"):
        model.load_state_dict(state)
