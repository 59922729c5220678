"""Module structure, state dicts, reprs, parameter counts, and one model on two engines."""

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, gradcheck


def test_parameter_count_784_16_16_10():
    model = nn.mlp(784, [16, 16, 10], activation="sigmoid", seed=0)
    weights = sum(p.size for n, p in model.named_parameters() if n.endswith("weight"))
    biases = sum(p.size for n, p in model.named_parameters() if n.endswith("bias"))
    assert (weights, biases, model.num_parameters()) == (12_960, 42, 13_002)
    assert nn.MLP(784, [16, 16, 10], seed=0).num_parameters() == 13_002


def test_named_parameters_order_and_names():
    model = nn.mlp(2, [3, 1], seed=0)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    scalar = nn.MLP(2, [3, 1], seed=0)
    names = [n for n, _ in scalar.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b"]
    assert len(names) == len(scalar.parameters()) == 13


def test_custom_module_discovers_attributes():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Linear(2, 3, seed=0)
            self.scale = Tensor([1.0], requires_grad=True)
            self.constant = Tensor([2.0])  # needs no grad: not a parameter
            self.heads = [nn.Linear(3, 1, seed=1), nn.Linear(3, 1, seed=2)]

        def forward(self, x):
            h = self.body(x) * self.scale
            return self.heads[0](h) + self.heads[1](h)

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "body.weight", "body.bias", "scale", "heads.0.weight", "heads.0.bias",
        "heads.1.weight", "heads.1.bias"]
    net(np.ones((4, 2), dtype=np.float32)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_shared_parameter_counted_once():
    layer = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(model.parameters()) == 2


def test_train_eval_reach_every_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_on_values():
    model = nn.MLP(2, [2, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip_is_a_copy():
    model = nn.mlp(3, [4, 2], seed=0)
    state = model.state_dict()
    state["0.weight"] += 1.0  # editing the copy leaves the model alone
    assert not np.array_equal(state["0.weight"], model[0].weight.data)
    other = nn.mlp(3, [4, 2], seed=1)
    other.load_state_dict(model.state_dict())
    for (_, a), (_, b) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("2.bias"), "missing keys \\['2.bias'\\]"),
    (lambda s: s.update(extra=np.zeros(1)), "unexpected keys \\['extra'\\]"),
    (lambda s: s.update({"0.weight": np.zeros((3, 4))}), "'0.weight' has shape \\(3, 4\\)"),
])
def test_load_state_dict_is_strict(change, message):
    model = nn.mlp(3, [4, 2], seed=0)
    before = model.state_dict()
    state = nn.mlp(3, [4, 2], seed=1).state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    for name, array in model.state_dict().items():  # nothing was half-loaded
        np.testing.assert_array_equal(array, before[name])


def test_load_state_dict_non_strict_loads_what_fits():
    model = nn.mlp(3, [4, 2], seed=0)
    source = nn.mlp(3, [4, 2], seed=1).state_dict()
    state = {"0.weight": source["0.weight"], "0.bias": np.zeros(7), "junk": np.ones(2)}
    model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[0].weight.data, source["0.weight"])


def test_scalar_state_dict_round_trip():
    a, b = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert a([0.3, -0.2]).data == b([0.3, -0.2]).data


def test_repr_shows_tree_and_counts():
    text = repr(nn.mlp(784, [16, 10], activation="relu", seed=0))
    assert text.splitlines() == [
        "Sequential(  # 12,730 parameters",
        "  (0): Linear(784 -> 16)  # 12,560 parameters",
        "  (1): ReLU()",
        "  (2): Linear(16 -> 10)  # 170 parameters",
        ")",
    ]
    assert "Layer(nin=2, nout=16, activation='relu', init='uniform')  # 48 parameters" in repr(
        nn.MLP(2, [16, 1], seed=0))


def test_forward_hook_called_and_removable():
    layer = nn.ReLU()
    seen = []
    remove = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    layer(Tensor(np.zeros((2, 3))))
    remove()
    layer(Tensor(np.zeros((2, 3))))
    assert seen == [(2, 3)]


# -- the scalar MLP (micrograd's API) ----------------------------------------------------

def test_scalar_mlp_micrograd_api():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([2.0, -1.0])
    assert isinstance(out, Value)
    assert len(model.parameters()) == 337
    out.backward()
    assert all(isinstance(p.grad, float) for p in model.parameters())
    assert isinstance(nn.MLP(2, [3], seed=0)([1.0, 1.0]), list)


def test_neuron_matches_formula():
    neuron = nn.Neuron(3, activation="tanh", seed=0)
    x = [0.5, -1.0, 2.0]
    expected = np.tanh(sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data)
    assert neuron(x).data == pytest.approx(expected, abs=1e-15)
    with pytest.raises(ValueError, match="expects 3 inputs"):
        neuron([1.0])
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Neuron(2, activation="swish")


def test_scalar_mlp_gradcheck():
    model = nn.MLP(3, [4, 2], activation="tanh", seed=0)
    x = [Value(0.3), Value(-1.2), Value(0.8)]
    gradcheck(lambda *args: Value.sum(model(list(args[:3]))), [*x, *model.parameters()])


def test_scalar_mlp_seeded():
    a, b = nn.MLP(2, [4, 1], seed=3), nn.MLP(2, [4, 1], seed=3)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


# -- one model, two engines ----------------------------------------------------------------

@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu"])
def test_two_engines_agree_on_outputs_and_gradients(activation):
    model = nn.mlp(4, [5, 3, 3], activation=activation, dtype="float64", seed=0)
    x = np.random.default_rng(1).normal(size=(6, 4))
    labels = np.array([0, 2, 1, 1, 0, 2])

    view = model.to_scalar()
    for row in range(len(x)):
        scalar_out = np.array([v.data for v in view(x[row])])
        np.testing.assert_allclose(scalar_out, model(x[row:row + 1]).data[0], atol=1e-10)

    # gradients of the loss on one example, through both engines
    model.zero_grad()
    nn.cross_entropy(model(x[2:3]), labels[2:3]).backward()
    nn.cross_entropy(view(x[2]), labels[2]).backward()
    scalar_grads = view.grads()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(scalar_grads[name], p.grad, atol=1e-10, rtol=0)


def test_two_engines_with_flatten_softmax_maxout():
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 4, dtype="float64", seed=0),
                          nn.Maxout(2), nn.Softmax(), nn.Dropout(0.5))
    model.eval()
    x = np.random.default_rng(2).normal(size=(1, 2, 3))
    view = model.to_scalar()
    out = view(x[0])
    np.testing.assert_allclose([v.data for v in out], model(x).data[0], atol=1e-12)
    out[0].backward()
    model(x)[0, 0].backward()
    np.testing.assert_allclose(view.grads()["1.weight"], model[1].weight.grad, atol=1e-12)


def test_scalar_view_labels_leaves_and_refuses_training_dropout():
    model = nn.Sequential(nn.Linear(2, 2, dtype="float64", seed=0), nn.Dropout(0.5))
    view = model.to_scalar()
    assert view.values["0.weight"][1, 0].label == "0.weight[1,0]"
    with pytest.raises(ValueError, match="model.eval"):
        view([1.0, 2.0])


def test_scalar_view_softmax_axes():
    x = np.random.default_rng(0).normal(size=(1, 2, 3))
    for axis in (1, 2, -1):
        model = nn.Softmax(axis=axis)
        out = model.to_scalar()(x[0])
        np.testing.assert_allclose([[v.data for v in row] for row in out], model(
            Tensor(x, dtype="float64")).data[0], atol=1e-15)
    with pytest.raises(ValueError, match="no one-example"):
        nn.Softmax(axis=0).to_scalar()(x[0])


def test_scalar_view_of_unsupported_module():
    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="Custom has no scalar"):
        Custom().to_scalar()([1.0])
