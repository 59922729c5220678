"""Recurrent nets: nn.RNN / nn.LSTM and their cells, the scalar RNN cell.

Gradients are checked against central differences (first and second order) in float64;
the fused layers against the composed cells and, where installed, against PyTorch. The
step ops they are built on are tested in tests/autograd/ops/test_recurrent.py.
"""

import re

import numpy as np
import pytest
from tensors import flat_gradient, leaf

import autograd as ag
import nn
from autograd import Tensor, draw_graph, gradcheck, trace_backward


# -- the cells ----------------------------------------------------------------------------
@pytest.mark.parametrize("cell_type", ["RNNCell", "RNNCell-relu", "LSTMCell"])
def test_cells_over_several_steps_gradcheck_first_and_second_order(cell_type):
    name, _, nonlinearity = cell_type.partition("-")
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    cell = getattr(nn, name)(3, 2, dtype="float64", seed=0, **kwargs)
    rng = np.random.default_rng(2)
    xs = leaf(rng.standard_normal((4, 2, 3)))
    h0 = leaf(rng.standard_normal((2, 2)))
    params = cell.parameters()

    def unrolled(xs, h0, *weights):  # the weights are the cell's own parameters
        state = h0 if name == "RNNCell" else (h0, h0 * 0.5)
        outputs = []
        for t in range(xs.shape[0]):
            state = cell(xs[t], state)
            outputs.append(state if name == "RNNCell" else state[0] + state[1])
        return ag.stack(outputs)

    inputs = [xs, h0, *params]
    if nonlinearity == "relu":
        with ag.no_grad():
            state, pre = h0, []
            for t in range(4):
                pre.append(ag.linear(xs[t], cell.weight_ih, cell.bias_ih).data
                           + ag.linear(state, cell.weight_hh, cell.bias_hh).data)
                state = cell(xs[t], state)
        assert np.min(np.abs(pre)) > 1e-3  # the seed keeps clear of relu's kink
    gradcheck(unrolled, inputs)
    gradcheck(flat_gradient(unrolled), inputs)


def test_cell_shapes_and_errors():
    cell = nn.LSTMCell(3, 4)
    h, c = cell(np.zeros((5, 3)))
    assert h.shape == c.shape == (5, 4)
    h, c = cell(np.zeros(3), (np.zeros(4), np.zeros(4)))  # unbatched
    assert h.shape == c.shape == (4,)
    assert nn.RNNCell(3, 4, bias=False)(np.zeros((2, 3))).shape == (2, 4)
    assert [name for name, _ in cell.named_parameters()] == [
        "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    with pytest.raises(ValueError, match=re.escape(
            "LSTMCell: expected input of shape (N, 3) or (3,), got (5, 2)")):
        cell(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=re.escape(
            "RNNCell: expected state of shape (5, 4), got (4, 5)")):
        nn.RNNCell(3, 4)(np.zeros((5, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="LSTMCell: the state must be a pair"):
        cell(np.zeros((5, 3)), np.zeros((5, 4)))


# -- nn.RNN and nn.LSTM -------------------------------------------------------------------
def test_parameters_are_named_and_shaped_as_pytorch():
    lstm = nn.LSTM(3, 5, num_layers=2)
    assert {k: v.shape for k, v in lstm.state_dict().items()} == {
        "weight_ih_l0": (20, 3), "weight_hh_l0": (20, 5), "bias_ih_l0": (20,),
        "bias_hh_l0": (20,), "weight_ih_l1": (20, 5), "weight_hh_l1": (20, 5),
        "bias_ih_l1": (20,), "bias_hh_l1": (20,)}
    rnn = nn.RNN(3, 5, bias=False)
    assert list(rnn.state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    bound = 1 / np.sqrt(5)  # PyTorch's U(-1/√H, 1/√H)
    assert all(np.abs(p.data).max() <= bound for p in lstm.parameters())
    assert all(p.data.dtype == np.float32 for p in lstm.parameters())


@pytest.mark.parametrize("batch_first", [False, True])
def test_shapes_batch_first_and_unbatched(batch_first):
    lstm = nn.LSTM(3, 4, num_layers=2, batch_first=batch_first, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 6, 3)).astype(np.float32)  # T=5, N=6
    outputs, (h_n, c_n) = lstm(x.swapaxes(0, 1) if batch_first else x)
    assert outputs.shape == ((6, 5, 4) if batch_first else (5, 6, 4))
    assert h_n.shape == c_n.shape == (2, 6, 4)
    time_major = outputs.data.swapaxes(0, 1) if batch_first else outputs.data
    np.testing.assert_array_equal(time_major[-1], h_n.data[-1])
    # unbatched (T, input_size) is one sequence: the same numbers without the batch axis
    single, (h1, c1) = lstm(x[:, 2])
    assert single.shape == (5, 4) and h1.shape == c1.shape == (2, 4)
    np.testing.assert_allclose(single.data, time_major[:, 2], rtol=1e-6)
    rnn = nn.RNN(3, 4, nonlinearity="relu", batch_first=batch_first, seed=0)
    outputs, h_n = rnn(x.swapaxes(0, 1) if batch_first else x)
    assert h_n.shape == (1, 6, 4)


def test_initial_states_are_used_and_get_gradients():
    rng = np.random.default_rng(3)
    lstm = nn.LSTM(2, 3, num_layers=2, dtype="float64", seed=0)
    x = rng.standard_normal((4, 5, 2))
    h0, c0 = leaf(rng.standard_normal((2, 5, 3))), leaf(rng.standard_normal((2, 5, 3)))
    zero_start, _ = lstm(x)
    outputs, (h_n, c_n) = lstm(x, (h0, c0))
    assert not np.allclose(outputs.data, zero_start.data)
    gradcheck(lambda h, c: lstm(x, (h, c))[0], [h0, c0])
    rnn = nn.RNN(2, 3, dtype="float64", seed=0)
    h0 = leaf(rng.standard_normal((1, 5, 3)))
    gradcheck(lambda h: rnn(x, h)[1], [h0])


def test_wrong_shapes_say_what_was_expected():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=re.escape(
            "LSTM: expected input of shape (T, N, input_size) or (T, input_size) with "
            "input_size 3 and T, N > 0, got (5, 6, 2)")):
        lstm(np.zeros((5, 6, 2)))
    with pytest.raises(ValueError, match=re.escape("(N, T, input_size)")):
        nn.RNN(3, 4, batch_first=True)(np.zeros((2, 3, 4, 3)))
    with pytest.raises(ValueError, match=re.escape("got (0, 6, 3)")):
        lstm(np.zeros((0, 6, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "LSTM: expected initial state of shape (2, 6, 4), got (1, 6, 4)")):
        lstm(np.zeros((5, 6, 3)), (np.zeros((1, 6, 4)), np.zeros((2, 6, 4))))
    with pytest.raises(ValueError, match="LSTM: the initial state must be a pair"):
        lstm(np.zeros((5, 6, 3)), np.zeros((2, 6, 4)))
    with pytest.raises(ValueError, match="RNN: nonlinearity must be one of"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match="LSTM: input has dtype float64, the module's "
                                        "parameters float32"):
        lstm(Tensor(np.zeros((5, 6, 3)), dtype="float64"))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM])
def test_fused_layers_equal_their_cells_step_by_step(cls):
    rng = np.random.default_rng(4)
    layer = cls(3, 4, dtype="float64", seed=1)
    cell = (nn.LSTMCell if cls is nn.LSTM else nn.RNNCell)(3, 4, dtype="float64")
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # drop "_l0"
    x = leaf(rng.standard_normal((5, 2, 3)))
    outputs, _ = layer(x)
    (outputs ** 2).sum().backward()
    fused_grads = [x.grad] + [p.grad for p in layer.parameters()]
    x.grad = None
    state, hs = None, []
    for t in range(5):
        state = cell(x[t], state)
        hs.append(state[0] if cls is nn.LSTM else state)
    stepped = ag.stack(hs)
    np.testing.assert_allclose(outputs.data, stepped.data, rtol=1e-12, atol=1e-12)
    (stepped ** 2).sum().backward()
    for fused, cell_grad in zip(fused_grads, [x.grad] + [p.grad for p in cell.parameters()]):
        np.testing.assert_allclose(fused, cell_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM])
def test_save_and_load_round_trip(cls, tmp_path):
    model = cls(3, 4, num_layers=2, batch_first=True, seed=0)
    nn.save(model, tmp_path / "rnn.npz")
    loaded = nn.load(tmp_path / "rnn.npz")
    assert type(loaded) is cls and loaded.config() == model.config()
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    np.testing.assert_array_equal(loaded(x)[0].data, model(x)[0].data)


def test_a_small_task_learns_the_next_value_of_a_noisy_sine():
    rng = np.random.default_rng(0)
    phase = rng.uniform(0, 2 * np.pi, size=(1, 64))
    t = np.arange(21)[:, None] * 0.3
    series = np.sin(t + phase) + 0.05 * rng.standard_normal((21, 64))
    x, y = series[:-1, :, None], series[1:, :, None]  # (T, N, 1): predict the next value
    lstm, head = nn.LSTM(1, 16, seed=0), nn.Linear(16, 1, seed=0)
    optimizer = nn.Adam(lstm.parameters() + head.parameters(), lr=0.02)
    losses = []
    for _ in range(150):
        outputs, _ = lstm(x.astype(np.float32))
        loss = nn.mse_loss(head(outputs.reshape(-1, 16)), y.reshape(-1, 1).astype(np.float32))
        optimizer.zero_grad()
        loss.backward()
        nn.clip_grad_norm(lstm.parameters() + head.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    # the variance of y is 0.5; repeating the last value scores mean((y - x)²) ≈ 0.05
    repeat_last = float(np.mean((y - x) ** 2))
    assert losses[0] > 0.3
    assert losses[-1] < 0.5 * repeat_last


# -- against PyTorch ------------------------------------------------------------------------
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", ["RNN-tanh", "RNN-relu", "LSTM"])
def test_a_pytorch_state_dict_gives_pytorchs_outputs_and_gradients(kind, num_layers,
                                                                   batch_first):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference (pip install torch)")
    name, _, nonlinearity = kind.partition("-")
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 5, num_layers=num_layers, batch_first=batch_first,
                                     dtype=torch.float64, **kwargs)
    ours = getattr(nn, name)(3, 5, num_layers=num_layers, batch_first=batch_first,
                             dtype="float64", **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6, 3))
    initial = [rng.standard_normal((num_layers, 4 if batch_first else 6, 5))
               for _ in range(2 if name == "LSTM" else 1)]
    x_t = torch.tensor(x, requires_grad=True)
    init_t = [torch.tensor(s, requires_grad=True) for s in initial]
    x_o = leaf(x)
    init_o = [leaf(s) for s in initial]
    out_t, final_t = theirs(x_t, tuple(init_t) if name == "LSTM" else init_t[0])
    out_o, final_o = ours(x_o, tuple(init_o) if name == "LSTM" else init_o[0])
    finals_t = final_t if name == "LSTM" else (final_t,)
    finals_o = final_o if name == "LSTM" else (final_o,)
    weights = rng.standard_normal(out_o.shape)
    loss_t = (out_t * torch.tensor(weights)).sum() + sum((f ** 2).sum() for f in finals_t)
    loss_o = (out_o * weights).sum() + sum((f ** 2).sum() for f in finals_o)
    loss_t.backward()
    loss_o.backward()
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=0, atol=1e-9)
    for f_o, f_t in zip(finals_o, finals_t):
        np.testing.assert_allclose(f_o.data, f_t.detach().numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(x_o.grad, x_t.grad.numpy(), rtol=0, atol=1e-9)
    for s_o, s_t in zip(init_o, init_t):
        np.testing.assert_allclose(s_o.grad, s_t.grad.numpy(), rtol=0, atol=1e-9)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=0, atol=1e-9, err_msg=key)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell"])
def test_cells_match_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference (pip install torch)")
    torch.manual_seed(1)
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64)
    ours = getattr(nn, name)(3, 4, dtype="float64")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((2, 3))
    x_t, x_o = torch.tensor(x, requires_grad=True), leaf(x)
    out_t, out_o = theirs(x_t), ours(x_o)
    out_t = out_t if name == "RNNCell" else out_t[0] * out_t[1]
    out_o = out_o if name == "RNNCell" else out_o[0] * out_o[1]
    out_t.sum().backward()
    out_o.sum().backward()
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x_o.grad, x_t.grad.numpy(), rtol=0, atol=1e-12)


# -- the scalar Value cell ----------------------------------------------------------------
def test_scalar_cell_equals_the_tensor_rnn_and_its_graph_can_be_drawn_and_traced():
    cell = nn.ScalarRNNCell(2, 2, seed=0)
    xs = [[0.5, -1.0], [0.25, 0.0], [-0.75, 1.0]]
    states = cell.unroll(xs)
    loss = states[-1][0] * states[-1][0] + states[-1][1]
    loss.backward()
    # the same weights in an nn.RNN: W_ih and W_hh side by side in each neuron, one bias
    rnn = nn.RNN(2, 2, dtype="float64")
    neurons = cell.units.neurons
    rnn.load_state_dict({
        "weight_ih_l0": [[w.data for w in n.w[:2]] for n in neurons],
        "weight_hh_l0": [[w.data for w in n.w[2:]] for n in neurons],
        "bias_ih_l0": [n.b.data for n in neurons], "bias_hh_l0": [0.0, 0.0]})
    outputs, _ = rnn(np.array(xs)[:, None, :])
    np.testing.assert_allclose([[v.data for v in s] for s in states], outputs.data[:, 0],
                               rtol=1e-12)
    (outputs[-1, 0, 0] ** 2 + outputs[-1, 0, 1]).backward()
    np.testing.assert_allclose([[w.grad for w in n.w[2:]] for n in neurons],
                               rnn.weight_hh_l0.grad, rtol=1e-10)
    names = cell.weight_names()
    assert names["W_hh[0,1]"] is neurons[0].w[3] and names["b[1]"] is neurons[1].b
    source = draw_graph(loss, names).source
    assert source.count("tanh") == 6  # two units, three steps
    assert "W_hh[0,1]" in source
    trace = trace_backward(loss)
    # a recurrent weight passes through each step, and collects a gradient from each
    w = neurons[0].w[2]
    steps_reaching_w = [f for f in trace if any(p is w for p in f.node.parents)]
    assert len(steps_reaching_w) == 3
    assert trace[-1].known[w] == pytest.approx(w.grad)


def test_scalar_cell_errors():
    cell = nn.ScalarRNNCell(2, 3)
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        cell([1.0])
    with pytest.raises(ValueError, match="expected a hidden state of 3 values, got 2"):
        cell([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError,
                       match=r"ScalarRNNCell: nonlinearity must be one of \(.tanh., .relu.\)"):
        nn.ScalarRNNCell(2, 3, nonlinearity="sigmoid")
