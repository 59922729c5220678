"""nn.to_torch / nn.from_torch: the same network in PyTorch, with torch's own key names."""

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.torch_keys import torch_key_map

torch = pytest.importorskip("torch", reason="the PyTorch bridge tests need torch "
                            "(pip install torch)")


def theirs(twin, x):
    with torch.no_grad():
        return twin.eval()(torch.from_numpy(x)).numpy()


def ours(model, x):
    return model.eval()(Tensor(x, dtype=x.dtype)).data


def numpy_state(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def test_every_layer_type_has_a_twin_with_torchs_keys(module_case):
    model, _, x = module_case
    twin = nn.to_torch(model)
    state = numpy_state(twin)
    key_map = torch_key_map(model)
    assert set(state) == set(key_map.values())
    for key, array in model.state_dict().items():
        assert state[key_map[key]].dtype == array.dtype, key
        np.testing.assert_array_equal(state[key_map[key]], array, err_msg=key)
    np.testing.assert_allclose(theirs(twin, x), ours(model, x), rtol=1e-5, atol=1e-5)


def test_every_layer_type_comes_back_the_same(module_case):
    model, _, x = module_case
    back = nn.from_torch(nn.to_torch(model))
    assert repr(back) == repr(model)
    for key, array in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], array, err_msg=key)
    np.testing.assert_array_equal(ours(back, x), ours(model, x))


def test_the_cli_models_agree_with_their_twins_on_real_digits(cli_model):
    model, _, x = cli_model
    twin = nn.to_torch(model)
    assert isinstance(twin, torch.nn.Sequential)
    assert twin[0].mean.dtype == torch.float64 and "0.std" in twin.state_dict()
    expected = ours(model, x)
    np.testing.assert_allclose(theirs(twin, x), expected, rtol=1e-5, atol=1e-5)
    back = nn.from_torch(twin)
    assert repr(back) == repr(model)
    np.testing.assert_allclose(ours(back, x), expected, rtol=1e-5, atol=1e-5)


def test_the_fused_mlps_twin_is_renumbered(digits):
    model = nn.Sequential(nn.Standardize.fit(digits), *nn.mlp(784, [16, 16, 10], fuse=True))
    twin = nn.to_torch(model)
    assert [type(layer).__name__ for layer in twin] == [
        "Standardize", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert list(twin.state_dict()) == ["0.mean", "0.std", "1.weight", "1.bias", "3.weight",
                                       "3.bias", "5.weight", "5.bias"]


def test_a_model_written_in_torch_comes_over_and_agrees(digits):
    torch.manual_seed(0)
    tnn = torch.nn
    net = tnn.Sequential(tnn.Linear(784, 32), tnn.ReLU(), tnn.Linear(32, 16), tnn.Tanh(),
                         tnn.Dropout(0.1), tnn.Linear(16, 10), tnn.Softmax(dim=1))
    model = nn.from_torch(net, fuse=True)
    assert [type(m).__name__ for m in model] == ["Linear", "Linear", "Dropout", "Linear",
                                                 "Softmax"]
    assert [layer.activation for layer in (model[0], model[1], model[3])] == ["relu", "tanh",
                                                                             None]
    np.testing.assert_allclose(ours(model, digits), theirs(net, digits), rtol=1e-5, atol=1e-6)
    for one_to_one in (nn.from_torch(net), nn.from_torch(net, fuse=False)):
        assert len(one_to_one) == len(net)
        assert numpy_state(net).keys() == one_to_one.state_dict().keys()


def test_a_torch_lenet5_becomes_ours():
    tnn = torch.nn
    net = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.AvgPool2d(2), tnn.Conv2d(6, 16, 5),
        tnn.Tanh(), tnn.AvgPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.Tanh(),
        tnn.Linear(120, 84), tnn.Tanh(), tnn.Linear(84, 10))
    model = nn.from_torch(net)
    assert isinstance(model, nn.LeNet5)
    assert (model.activation, model.pooling) == ("tanh", "avg")
    x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(ours(model, x), theirs(net, x), rtol=1e-5, atol=1e-6)


def test_training_continues_in_torch_and_the_weights_come_back(digits):
    labels = nn.load_mnist_sample().test_labels[:len(digits)].astype(np.int64)
    model = nn.Sequential(nn.Standardize.fit(digits), *nn.mlp(784, [16, 10], fuse=True,
                                                               seed=0))
    twin = nn.to_torch(model).train()
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    x, y = torch.from_numpy(digits), torch.from_numpy(labels)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(twin(x), y).backward()
        optimizer.step()
    assert not np.array_equal(twin[1].weight.detach().numpy(), model[1].weight.data)
    model.load_state_dict(numpy_state(twin))  # torch's names, straight in
    np.testing.assert_array_equal(model[2].weight.data, twin[3].weight.detach().numpy())
    np.testing.assert_allclose(ours(model, digits), theirs(twin, digits), rtol=1e-5, atol=1e-5)


def test_a_float64_twin_keeps_float64():
    model = nn.mlp(3, [2], dtype="float64", seed=0)
    twin = nn.to_torch(model)
    assert twin[0].weight.dtype == torch.float64
    assert nn.from_torch(twin)[0].weight.dtype == np.float64


def test_the_twin_is_in_the_models_mode():
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(2, 2))
    assert nn.to_torch(model).training
    assert not nn.to_torch(model.eval()).training
    assert not nn.from_torch(nn.to_torch(model)).training


def test_what_torch_cannot_express_is_named():
    with pytest.raises(TypeError, match="no PyTorch equivalent for MLP"):
        nn.to_torch(nn.MLP(2, [2]))


@pytest.mark.parametrize("module, message", [
    (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GRU(2, 2)), r"GRU.*layer '1'"),
    (torch.nn.Conv2d(4, 4, 3, groups=2), "groups=1"),
    (torch.nn.Conv2d(1, 1, 3, padding="same"), "groups=1"),
    (torch.nn.MaxPool2d(2, padding=1), "padding"),
    (torch.nn.AvgPool2d(2, ceil_mode=True), "ceil_mode"),
    (torch.nn.Flatten(0), "start_dim=1"),
    (torch.nn.Softmax(), "dim"),
], ids=["gru", "grouped_conv", "same_padding", "padded_pool", "ceil_mode", "flatten_0",
        "softmax_without_dim"])
def test_a_torch_module_we_cannot_express_is_named(module, message):
    with pytest.raises(TypeError, match=message):
        nn.from_torch(module)


def test_the_export_writes_a_state_dict_torch_loads_safely(cli_model, tmp_path):
    model, _, x = cli_model
    nn.save(model, tmp_path / "model.npz")
    out = nn.export_model(tmp_path / "model.npz", "torch", tmp_path / "model.pt")
    state = torch.load(out, weights_only=True)
    twin = nn.to_torch(model)
    assert list(state) == list(twin.state_dict())
    twin.load_state_dict(state)
    np.testing.assert_allclose(theirs(twin, x), ours(model, x), rtol=1e-5, atol=1e-5)


def test_a_connection_table_holds_in_torch_too():
    """LeNet-5's C3 twin keeps its table: after torch trains it, the unconnected weights
    are still 0 (no gradient reaches them), and the weights come back into our table."""
    model = nn.LeNet5(c3_table=True, seed=0)
    twin = nn.to_torch(model)
    c3 = twin[3]
    unlinked = ~c3.connections[:, :, None, None].expand_as(c3.weight)
    assert (c3.weight[unlinked] == 0).all()
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1, weight_decay=1e-3)
    x = torch.randn(4, 1, 28, 28)
    for _ in range(3):
        optimizer.zero_grad()
        twin(x).pow(2).sum().backward()
        assert (c3.weight.grad[unlinked] == 0).all()
        optimizer.step()
    assert (c3.weight[unlinked] == 0).all() and (c3.weight[~unlinked] != 0).any()
    back = nn.from_torch(twin)
    assert back.c3_table and back.num_parameters() == 60_806
    np.testing.assert_allclose(ours(back, x.numpy()), twin(x).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
