"""The recurrent step ops (rnn_tanh_step, rnn_relu_step, lstm_step) and hidden_states:
the same numbers as the cells composed from elementwise ops, first and second derivatives
against central differences in float64, passes that start midway or stop midway, errors."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_checks import checks_op
from tensors import flat_gradient, leaf

import autograd as ag
from autograd import Tensor, gradcheck, gradients

ELEMENTS = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


SIZES = st.integers(1, 3)


def composed_sequence(kind, projections, state, weight_hh):
    """The step recurrence written with the engine's elementwise ops, step by step."""
    out = []
    for t in range(projections.shape[0]):
        z = projections[t] + ag.linear(state[0], weight_hh)
        if kind == "lstm":
            h, c = ag.lstm_cell(z, state[1])
            state = ag.stack([h, c])
        else:
            state = getattr(z, kind)().unsqueeze(0)
        out.append(state)
    return ag.concatenate(out)


def fused_sequence(kind, projections, state, weight_hh):
    if kind == "lstm":
        return ag.concatenate(ag.lstm_sequence(projections, state, weight_hh))
    return ag.concatenate(ag.rnn_sequence(projections, state, weight_hh, kind))


@st.composite
def sequence_inputs(draw, kind):
    steps, batch, hidden = draw(st.integers(1, 4)), draw(SIZES), draw(SIZES)
    gates = 4 if kind == "lstm" else 1
    projections = draw(hnp.arrays(np.float64, (steps, batch, gates * hidden), elements=ELEMENTS))
    state = draw(hnp.arrays(np.float64, (2 if kind == "lstm" else 1, batch, hidden),
                            elements=ELEMENTS))
    weight_hh = draw(hnp.arrays(np.float64, (gates * hidden, hidden), elements=ELEMENTS))
    return leaf(projections), leaf(state), leaf(weight_hh)


def away_from_relu_kink(projections, state, weight_hh):
    """Central differences are meaningless across relu's kink: keep every z away from 0."""
    h = state.data[0]
    for p_t in projections.data:
        z = p_t + h @ weight_hh.data.T
        if np.min(np.abs(z)) < 1e-2:
            return False
        h = np.maximum(z, 0.0)
    return True


@checks_op("input_projections", order=(1, 2))
@settings(max_examples=15)
@given(steps=st.integers(1, 3), batch=SIZES, n_in=SIZES, n_out=SIZES, use_bias=st.booleans(),
       data=st.data())
def test_input_projections_are_linear_laid_out_for_the_steps(steps, batch, n_in, n_out,
                                                             use_bias, data):
    x = leaf(data.draw(hnp.arrays(np.float64, (steps, batch, n_in), elements=ELEMENTS)))
    w = leaf(data.draw(hnp.arrays(np.float64, (n_out, n_in), elements=ELEMENTS)))
    b = leaf(data.draw(hnp.arrays(np.float64, (n_out,), elements=ELEMENTS)))
    bias = b if use_bias else None
    projections = ag.input_projections(x, w, bias)
    assert projections.op.name == "input_projections" and projections.shape == (
        steps, batch, n_out)
    assert projections.data.transpose(0, 2, 1).flags.c_contiguous  # (T, G, N) in memory
    np.testing.assert_allclose(projections.data, ag.linear(x, w, bias).data,
                               rtol=1e-12, atol=1e-12)
    inputs = [x, w, b] if use_bias else [x, w]
    gradcheck(lambda *t: ag.input_projections(t[0], t[1], t[2] if use_bias else None), inputs)
    hessian_path = ag.grad(lambda xx, ww: ag.input_projections(xx, ww, bias).tanh().sum())
    gradcheck(lambda xx, ww: hessian_path(xx, ww)[1], [x, w])


def test_input_projections_errors():
    x, w = Tensor(np.ones((2, 3, 4))), Tensor(np.ones((5, 4)))
    with pytest.raises(ValueError, match=re.escape("x must be a Tensor of shape (T, N, I), "
                                                   "got (3, 4)")):
        ag.input_projections(x[0], w)
    with pytest.raises(ValueError, match=re.escape("weight_ih must be a Tensor of shape "
                                                   "(G, 4), got (5, 3)")):
        ag.input_projections(x, Tensor(np.ones((5, 3))))
    with pytest.raises(ValueError, match=re.escape("bias must be a Tensor of shape (5,), "
                                                   "got (4,)")):
        ag.input_projections(x, w, Tensor(np.ones(4)))
    with pytest.raises(TypeError):
        ag.input_projections(x, Tensor(np.ones((5, 4)), dtype="float32"))


@checks_op("rnn_tanh_step", "rnn_relu_step", "lstm_step", order=(1, 2))
@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm"])
@settings(max_examples=15)
@given(data=st.data())
def test_step_ops_match_the_composed_cells_and_gradcheck(kind, data):
    inputs = data.draw(sequence_inputs(kind))
    if kind == "relu":
        assume(away_from_relu_kink(*inputs))
    fused = fused_sequence(kind, *inputs)
    np.testing.assert_allclose(fused.data, composed_sequence(kind, *inputs).data,
                               rtol=1e-12, atol=1e-12)
    assert {n.op.name for n in ag.topological_order(fused) if n.op is not None} >= {
        {"tanh": "rnn_tanh_step", "relu": "rnn_relu_step", "lstm": "lstm_step"}[kind]}
    gradcheck(lambda *xs: fused_sequence(kind, *xs), inputs)
    gradcheck(flat_gradient(lambda *xs: fused_sequence(kind, *xs)), inputs)


@checks_op("hidden_states", order=(1, 2))
@pytest.mark.parametrize("kind", ["tanh", "lstm"])
def test_hidden_states_view_the_sequence_and_gradcheck(kind):
    rng = np.random.default_rng(7)
    gates, rows = (4, 2) if kind == "lstm" else (1, 1)
    inputs = [leaf(rng.standard_normal((4, 2, 3 * gates))),
              leaf(rng.standard_normal((rows, 2, 3))), leaf(rng.standard_normal((3 * gates, 3)))]

    def states(*xs):
        return (ag.lstm_sequence(*xs) if kind == "lstm"
                else ag.rnn_sequence(*xs, nonlinearity=kind))

    whole = ag.hidden_states(states(*inputs))
    assert whole.op.name == "hidden_states" and whole.shape == (4, 2, 3)
    assert not whole.data.flags.owndata  # a view of the sequence's states
    some = states(*inputs)[1:3]  # not a whole sequence: a copy, the same numbers
    np.testing.assert_array_equal(ag.hidden_states(some).data, whole.data[1:3])
    gradcheck(lambda *xs: ag.hidden_states(states(*xs)), inputs)
    gradcheck(flat_gradient(lambda *xs: ag.hidden_states(states(*xs))), inputs)
    with pytest.raises(ValueError, match="hidden_states: needs a non-empty list"):
        ag.hidden_states([])


@pytest.mark.parametrize("kind", ["tanh", "lstm"])
def test_a_pass_may_start_at_any_step_and_run_twice(kind):
    rng = np.random.default_rng(1)
    gates = 4 if kind == "lstm" else 1
    projections = leaf(rng.standard_normal((5, 2, 3 * gates)))
    state = leaf(rng.standard_normal((2 if kind == "lstm" else 1, 2, 3)))
    weight_hh = leaf(rng.standard_normal((3 * gates, 3)))
    inputs = [projections, state, weight_hh]
    fused = (ag.lstm_sequence(*inputs) if kind == "lstm"
             else ag.rnn_sequence(*inputs, nonlinearity=kind))
    composed = composed_sequence(kind, *inputs)
    rows = fused[0].shape[0]
    for t in (2, 4, 0, 2):  # later steps get no gradient; a pass after a pass
        expected = gradients((composed[rows * t:rows * (t + 1)] ** 2).sum(), inputs)
        got = gradients((fused[t] ** 2).sum(), inputs)
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    # backward twice on one graph adds up, as for any graph
    loss = (ag.concatenate(fused) ** 2).sum()
    loss.backward()
    once = weight_hh.grad.copy()
    loss.backward()
    np.testing.assert_allclose(weight_hh.grad, 2 * once, rtol=1e-12)


@pytest.mark.parametrize("kind", ["tanh", "lstm"])
def test_a_pass_stopped_midway_leaves_nothing_behind(kind):
    """A backward that stops between steps (here raised from the step hook) must not leave
    rows that a later pass, starting at the very next step, would take as its own."""
    from autograd.engine import backpropagate

    rng = np.random.default_rng(2)
    gates = 4 if kind == "lstm" else 1
    inputs = [leaf(rng.standard_normal((5, 2, 3 * gates))),
              leaf(rng.standard_normal((2 if kind == "lstm" else 1, 2, 3))),
              leaf(rng.standard_normal((3 * gates, 3)))]
    fused = (ag.lstm_sequence(*inputs) if kind == "lstm"
             else ag.rnn_sequence(*inputs, nonlinearity=kind))

    class Stop(Exception):
        pass

    def stop_after_step_2(node, grad, input_grads):
        if node is fused[2]:
            raise Stop

    loss = (fused[4] ** 2).sum()
    with pytest.raises(Stop):
        backpropagate(loss, np.array(1.0), on_step=stop_after_step_2)
    # a new pass from step 1 alone: the stopped pass's rows for steps 2-4 must not count
    composed = composed_sequence(kind, *inputs)
    rows = fused[0].shape[0]
    expected = gradients((composed[rows:2 * rows] ** 2).sum(), inputs)
    got = gradients((fused[1] ** 2).sum(), inputs)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_step_ops_record_nothing_without_grad():
    p, s, w = Tensor(np.ones((3, 2, 8))), Tensor(np.zeros((2, 2, 2))), Tensor(np.ones((8, 2)))
    assert all(t.op is None for t in ag.lstm_sequence(p, s, w))
    with ag.no_grad():
        states = ag.lstm_sequence(p, s, Tensor(np.ones((8, 2)), requires_grad=True))
    assert all(t.op is None and not t.requires_grad for t in states)


def test_step_op_errors():
    p, s, w = (Tensor(a, dtype="float32")  # float32, against which float64 is the mismatch
               for a in (np.ones((3, 2, 8)), np.zeros((2, 2, 2)), np.ones((8, 2))))
    with pytest.raises(ValueError, match=re.escape(
            "lstm_sequence: state must have shape (2, 2, 2), got (1, 2, 2)")):
        ag.lstm_sequence(p, Tensor(np.zeros((1, 2, 2))), w)
    with pytest.raises(ValueError, match=re.escape("weight_hh must have shape (4·H, H)")):
        ag.lstm_sequence(p, s, Tensor(np.ones((6, 2))))
    with pytest.raises(ValueError, match=re.escape(
            "rnn_sequence: projections must have shape (T, N, 2), got (3, 2, 8)")):
        ag.rnn_sequence(p, Tensor(np.zeros((1, 2, 2))), Tensor(np.ones((2, 2))))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        ag.rnn_sequence(p, s, w, "sigmoid")
    with pytest.raises(TypeError, match="dtype mismatch float32 vs float64"):
        ag.lstm_sequence(p, s, Tensor(np.ones((8, 2)), dtype="float64"))
