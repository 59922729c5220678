"""Recurrent layers as one graph node per time step: `input_projections`, `rnn_sequence`,
`lstm_sequence`, and `hidden_states`, which gathers a layer's outputs.

A layer first computes the input projections of all T steps at once,
P = x W_ihᵀ + b (`input_projections`, shape (T, N, G)). Step t then adds the recurrent term
h_{t-1} W_hhᵀ, one product for all gates, and applies the cell:

    RNN:   h_t = tanh(P_t + h_{t-1} W_hhᵀ)         (or relu)
    LSTM:  i, f, g, o = σ, σ, tanh, σ of the four column blocks of P_t + h_{t-1} W_hhᵀ
           c_t = f·c_{t-1} + i·g,   h_t = o·tanh(c_t)

Each step is one node, `rnn_tanh_step`, `rnn_relu_step` or `lstm_step`, whose output is
the state: h_t as (1, N, H) for the RNN, h_t and c_t stacked as (2, N, H) for the LSTM.
Backpropagation through time is the engine's ordinary backward over this chain.

The engine's nodes have one output, so the steps cannot hand P a gradient row by row
without T full-size arrays to add up (the adjoint of T slices). Instead the steps of one
sequence share a `Sequence` of arrays: in a plain backward each step writes its rows, and
step 0, always the last of them to run (every later step depends on it), hands the
complete array to P: what PyTorch's unbind does with one backward node.

With `create_graph` a step's rule differentiates its composed definition (`lstm_cell`,
the same ops as `nn.LSTMCell`), so second derivatives come from the ordinary Tensor ops.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import autograd.engine as engine
from autograd.functional import gradients
from autograd.op import Op, register
from autograd.ops.fused import LinearCtx, linear, linear_grad
from autograd.ops.shape import concatenate, stack
from autograd.tensor import Tensor, check_dtypes, result


class Sequence:
    """The arrays the steps of one sequence share.

    They hold each step's (N, H) and (N, 4H) matrices transposed, as (H, N) and (4H, N):
    then each gate is a contiguous block of rows, which elementwise work runs through
    faster than a strided block of columns (benchmarks/rnn.py). Forward writes every state
    into `states` (rows, T + 1, H, N), the initial one first; each step's output is a
    transposed view into it; P from `input_projections` is laid out (T, G, N) alike. The
    LSTM keeps its gate activations (T, 4H, N) and tanh(c_t) (T, H, N) for backward. A
    plain backward fills `grad` (∂/∂P) step by step; step 0 then forms
    ∂/∂W_hh = Σ_t Z_tᵀ h_{t-1} for all steps at once, one product of (G, T·N) by (T·N, H)
    instead of T small ones.
    """

    __slots__ = ("states", "activations", "tanh_c", "weight_hh_t", "grad", "last_step",
                 "grad_pass", "scratch", "weight_needs_grad")

    def __init__(self, state0: np.ndarray, n_steps: int, n_gates: int, lstm: bool,
                 weight_hh: np.ndarray, weight_needs_grad: bool) -> None:
        rows, n_batch, n_hidden = state0.shape
        dtype = state0.dtype
        self.states = np.empty((rows, n_steps + 1, n_hidden, n_batch), dtype=dtype)
        self.states[:, 0] = state0.transpose(0, 2, 1)
        self.activations = np.empty((n_steps, n_gates, n_batch), dtype=dtype) if lstm else None
        self.tanh_c = np.empty((n_steps, n_hidden, n_batch), dtype=dtype) if lstm else None
        self.weight_hh_t = np.ascontiguousarray(weight_hh.T)  # for the products in backward
        self.grad: np.ndarray | None = None
        self.last_step = -1
        self.grad_pass = -1  # the backward pass `grad` belongs to (engine.passes_started)
        self.scratch: np.ndarray | None = None  # the LSTM backward's work array (4H, N)
        self.weight_needs_grad = weight_needs_grad

    def output(self, t: int) -> np.ndarray:
        """The state after step t as (rows, N, H): a view."""
        return self.states[:, t + 1].transpose(0, 2, 1)

    def write_grad(self, t: int, d_gates: np.ndarray, shape: tuple[int, ...]) -> None:
        """Store step t's ∂/∂P_t, given as (G, N)."""
        # a pass runs the steps t0, t0 - 1, ..., 0 in turn: any other step, or the same
        # one in a new pass (an earlier pass may have stopped midway), opens a new array
        if (self.grad is None or self.last_step != t + 1
                or self.grad_pass != engine.passes_started):
            self.grad = np.empty(shape, dtype=self.states.dtype)
            self.grad[t + 1:] = 0.0  # the steps after t0 get no gradient in this pass
            self.grad_pass = engine.passes_started
        self.last_step = t
        self.grad[t] = d_gates.T

    def complete(self, t: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(∂/∂P, ∂/∂W_hh) once step 0 has written its rows, else (None, None)."""
        if t:
            return None, None
        grad, self.grad = self.grad, None
        if not self.weight_needs_grad:
            return grad, None
        n_steps, n_batch, n_gates = grad.shape
        h_prev = self.states[0, :n_steps].transpose(0, 2, 1).reshape(n_steps * n_batch, -1)
        return grad, np.dot(grad.reshape(-1, n_gates).T, h_prev)


class StepContext(NamedTuple):
    t: int  # the time step
    sequence: Sequence  # the arrays shared by the sequence's steps


def lstm_cell(gates: Tensor, c_prev: Tensor) -> tuple[Tensor, Tensor]:
    """(h, c) from the pre-activations `gates` (..., 4H), blocks i, f, g, o, and c_prev (..., H).

    Composed from the engine's ops, so its graph shows every gate: the definition that
    `lstm_step` computes as one node.
    """
    n = c_prev.shape[-1]
    i = gates[..., :n].sigmoid()
    f = gates[..., n:2 * n].sigmoid()
    g = gates[..., 2 * n:3 * n].tanh()
    o = gates[..., 3 * n:].sigmoid()
    c = f * c_prev + i * g
    return o * c.tanh(), c


# -- the cells' fast forwards and plain backwards, on arrays ----------------------------
def _lstm_forward(seq: Sequence, t: int, p_t: np.ndarray, weight_hh: np.ndarray) -> None:
    """Write [h_t; c_t] into seq.states[:, t + 1], and the activations backward reuses."""
    h_prev, c_prev = seq.states[0, t], seq.states[1, t]  # (H, N)
    n = h_prev.shape[0]
    a = np.dot(weight_hh, h_prev, out=seq.activations[t])
    a += p_t.T
    # one tanh serves the four gates: σ(x) = ½ + ½·tanh(x/2) for i, f, o, and for g,
    # tanh(x) = 2σ(2x) - 1: double g's block, and undo the affine map on it after
    a[2 * n:3 * n] *= 2.0
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    i, f, g, o = a[:n], a[n:2 * n], a[2 * n:3 * n], a[3 * n:]
    g *= 2.0
    g -= 1.0
    c = np.multiply(f, c_prev, out=seq.states[1, t + 1])
    c += i * g
    tanh_c = np.tanh(c, out=seq.tanh_c[t])
    np.multiply(o, tanh_c, out=seq.states[0, t + 1])


def _lstm_backward(seq: Sequence, t: int, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂/∂gates (4H, N), ∂/∂[h_{t-1}; c_{t-1}] (2, H, N)) from grad (2, N, H).

    Step by step rather than for all steps at once: a step's arrays stay in the cache."""
    a, tanh_c, c_prev = seq.activations[t], seq.tanh_c[t], seq.states[1, t]
    n = c_prev.shape[0]
    i, f, g, o = a[:n], a[n:2 * n], a[2 * n:3 * n], a[3 * n:]
    grad_h, grad_c = grad[0].T, grad[1].T
    d_c = np.multiply(tanh_c, tanh_c)  # ∂/∂c_t: through h_t = o·tanh(c_t), and directly
    np.subtract(1.0, d_c, out=d_c)
    d_c *= o
    d_c *= grad_h
    d_c += grad_c
    if seq.scratch is None:
        seq.scratch = np.empty_like(a)
    d_gates = seq.scratch
    np.multiply(d_c, g, out=d_gates[:n])  # ∂/∂i, then f, g, o
    np.multiply(d_c, c_prev, out=d_gates[n:2 * n])
    np.multiply(d_c, i, out=d_gates[2 * n:3 * n])
    np.multiply(grad_h, tanh_c, out=d_gates[3 * n:])
    slope = a * a  # σ' = a(1 - a) on i, f, o; tanh' = 1 - g² on g
    np.subtract(a, slope, out=slope)
    slope_g = slope[2 * n:3 * n]
    np.multiply(g, g, out=slope_g)
    np.subtract(1.0, slope_g, out=slope_g)
    d_gates *= slope
    d_state = np.empty((2,) + c_prev.shape, dtype=a.dtype)
    np.dot(seq.weight_hh_t, d_gates, out=d_state[0])
    np.multiply(d_c, f, out=d_state[1])
    return d_gates, d_state


def _rnn_preactivation(seq: Sequence, t: int, p_t: np.ndarray,
                       weight_hh: np.ndarray) -> np.ndarray:
    """z = P_t + h_{t-1} W_hhᵀ (transposed, (H, N)), written where h_t goes."""
    z = np.dot(weight_hh, seq.states[0, t], out=seq.states[0, t + 1])
    z += p_t.T
    return z


def _rnn_tanh_forward(seq: Sequence, t: int, p_t: np.ndarray, weight_hh: np.ndarray) -> None:
    z = _rnn_preactivation(seq, t, p_t, weight_hh)
    np.tanh(z, out=z)


def _rnn_relu_forward(seq: Sequence, t: int, p_t: np.ndarray, weight_hh: np.ndarray) -> None:
    z = _rnn_preactivation(seq, t, p_t, weight_hh)
    np.maximum(z, 0.0, out=z)


# tanh' = 1 - h², relu' = 1 where h > 0: both read from the output h_t
def _rnn_tanh_backward(seq: Sequence, t: int, grad: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    h = seq.states[0, t + 1]
    d_z = np.multiply(h, h)
    np.subtract(1.0, d_z, out=d_z)
    d_z *= grad[0].T
    return d_z, np.dot(seq.weight_hh_t, d_z)[None]


def _rnn_relu_backward(seq: Sequence, t: int, grad: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    d_z = np.multiply(grad[0].T, seq.states[0, t + 1] > 0)
    return d_z, np.dot(seq.weight_hh_t, d_z)[None]


# -- the composed definitions, differentiated for create_graph --------------------------
def _lstm_composed(p_t: Tensor, state: Tensor, weight_hh: Tensor) -> Tensor:
    h, c = lstm_cell(p_t + linear(state[0], weight_hh), state[1])
    return stack([h, c])


def _rnn_tanh_composed(p_t: Tensor, state: Tensor, weight_hh: Tensor) -> Tensor:
    return (p_t + linear(state[0], weight_hh)).tanh().unsqueeze(0)


def _rnn_relu_composed(p_t: Tensor, state: Tensor, weight_hh: Tensor) -> Tensor:
    return (p_t + linear(state[0], weight_hh)).relu().unsqueeze(0)


class Cell(NamedTuple):
    forward: Any  # (sequence, t, P_t, W_hh): writes the state after step t
    backward: Any  # (sequence, t, grad) -> (∂gates, ∂state), both transposed (see Sequence)
    composed: Any  # (P_t, state, W_hh) Tensors -> new state, from the engine's ops
    state_rows: int  # 1: h; 2: h and c


CELLS = {
    "tanh": Cell(_rnn_tanh_forward, _rnn_tanh_backward, _rnn_tanh_composed, 1),
    "relu": Cell(_rnn_relu_forward, _rnn_relu_backward, _rnn_relu_composed, 1),
    "lstm": Cell(_lstm_forward, _lstm_backward, _lstm_composed, 2),
}


def _step_grad(cell: Cell, g, ctx, projections, state, weight_hh):
    """A step's rule: the cell's own backward on arrays; with create_graph, the
    derivative of its composed definition."""
    if g.__class__ is Tensor:
        recomputed = cell.composed(projections[ctx.t], state, weight_hh)
        return tuple(gradients(recomputed, [projections, state, weight_hh], g,
                               create_graph=True))
    seq, t = ctx.sequence, ctx.t
    d_gates, d_state = cell.backward(seq, t, g)
    seq.write_grad(t, d_gates, projections.shape)
    d_projections, d_weight = seq.complete(t)
    return d_projections, d_state.transpose(0, 2, 1), d_weight


def rnn_tanh_step_grad(g, out, ctx, projections, state, weight_hh):
    return _step_grad(CELLS["tanh"], g, ctx, projections, state, weight_hh)


def rnn_relu_step_grad(g, out, ctx, projections, state, weight_hh):
    return _step_grad(CELLS["relu"], g, ctx, projections, state, weight_hh)


def lstm_step_grad(g, out, ctx, projections, state, weight_hh):
    return _step_grad(CELLS["lstm"], g, ctx, projections, state, weight_hh)


STEP_OPS: dict[str, Op] = {
    "tanh": register(
        "rnn_tanh_step", "h = tanh(P_t + h₋₁W_hhᵀ): ∂/∂P_t = G(1 - h²) = Z, ∂/∂h₋₁ = Z·W_hh, "
        "∂/∂W_hh = Zᵀh₋₁", engines=("Tensor",), forward=_rnn_tanh_forward,
        grad=rnn_tanh_step_grad, exact_grads=True),
    "relu": register(
        "rnn_relu_step", "h = relu(P_t + h₋₁W_hhᵀ): ∂/∂P_t = G·[h > 0] = Z, ∂/∂h₋₁ = Z·W_hh, "
        "∂/∂W_hh = Zᵀh₋₁", engines=("Tensor",), forward=_rnn_relu_forward,
        grad=rnn_relu_step_grad, exact_grads=True),
    "lstm": register(
        "lstm_step", "c = f·c₋₁ + i·g, h = o·tanh(c): ∂/∂c₋₁ = (G_c + G_h·o·tanh'(c))·f; "
        "each gate's ∂ times σ' or tanh' = Z, ∂/∂P_t = Z, ∂/∂h₋₁ = Z·W_hh, ∂/∂W_hh = Zᵀh₋₁",
        engines=("Tensor",), forward=_lstm_forward, grad=lstm_step_grad, exact_grads=True),
}


# -- the input projections of all steps ------------------------------------------------
def input_projections(x: Tensor, weight_ih: Tensor, bias: Tensor | None = None) -> Tensor:
    """P = x W_ihᵀ + b for every step: (T, N, G) from x (T, N, I), weight_ih (G, I) and
    bias (G,) or None. The numbers of `linear(x, weight_ih, bias)`, whose derivative it
    shares; its array is laid out in memory as (T, G, N), the steps' layout (see
    `Sequence`), so that each step adds its P_t from contiguous memory.
    Raises ValueError for wrong shapes, TypeError for mixed dtypes.
    """
    if x.__class__ is not Tensor or x.ndim != 3:
        raise ValueError("input_projections: x must be a Tensor of shape (T, N, I), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if (weight_ih.__class__ is not Tensor or weight_ih.ndim != 2
            or weight_ih.shape[1] != x.shape[2]):
        raise ValueError(f"input_projections: weight_ih must be a Tensor of shape (G, "
                         f"{x.shape[2]}), got {getattr(weight_ih, 'shape', None)}")
    check_dtypes("input_projections", x, weight_ih)
    if bias is None:
        y = PROJECTIONS.forward(x.data, weight_ih.data, None)
        return result(y, (x, weight_ih), PROJECTIONS,
                      LinearCtx(x.requires_grad, weight_ih.requires_grad, False, None))
    if bias.__class__ is not Tensor or bias.shape != (weight_ih.shape[0],):
        raise ValueError(f"input_projections: bias must be a Tensor of shape "
                         f"({weight_ih.shape[0]},), got {getattr(bias, 'shape', None)}")
    check_dtypes("input_projections", bias, weight_ih)
    y = PROJECTIONS.forward(x.data, weight_ih.data, bias.data)
    return result(y, (x, weight_ih, bias), PROJECTIONS,
                  LinearCtx(x.requires_grad, weight_ih.requires_grad, bias.requires_grad, None))


def _input_projections_forward(x: np.ndarray, weight: np.ndarray,
                               bias: np.ndarray | None) -> np.ndarray:
    n_steps, n_batch, n_in = x.shape
    if n_batch == 1:
        # (T, 1, G) is (T, G, 1) in memory: one product, not T matrix-vector ones, which
        # BLAS sums in another order than the matrix products of a batch
        y = np.dot(x.reshape(n_steps, n_in), weight.T)
        if bias is not None:
            y += bias
        return y.reshape(n_steps, 1, -1)
    # each step's inputs as columns (I, N), and a row of ones that adds the bias: one
    # product W x_tᵀ per step, which BLAS runs faster than the one (T·N, I) product
    columns = np.empty((n_steps, n_in + (bias is not None), n_batch), dtype=x.dtype)
    columns[:, :n_in] = x.transpose(0, 2, 1)
    if bias is not None:
        columns[:, n_in] = 1.0
        weight = np.concatenate([weight, bias[:, None]], axis=1)
    return np.matmul(weight, columns).transpose(0, 2, 1)


PROJECTIONS = register(
    "input_projections", "P = xW_ihᵀ + b, laid out (T, G, N): as linear", engines=("Tensor",),
    forward=_input_projections_forward, grad=linear_grad, exact_grads=True)


def _check(name: str, projections: Tensor, state: Tensor, weight_hh: Tensor, gates: int
            ) -> None:
    for what, t in (("projections", projections), ("state", state), ("weight_hh", weight_hh)):
        if t.__class__ is not Tensor:
            raise TypeError(f"{name}: {what} must be a Tensor, got {type(t).__name__}")
    if weight_hh.ndim != 2 or weight_hh.shape[0] != gates * weight_hh.shape[1]:
        raise ValueError(f"{name}: weight_hh must have shape ({gates}·H, H), got "
                         f"{weight_hh.shape}")
    n_hidden = weight_hh.shape[1]
    if projections.ndim != 3 or projections.shape[2] != gates * n_hidden:
        raise ValueError(f"{name}: projections must have shape (T, N, {gates * n_hidden}), got "
                         f"{projections.shape}")
    rows = CELLS["lstm" if gates == 4 else "tanh"].state_rows
    expected = (rows, projections.shape[1], n_hidden)
    if state.shape != expected:
        raise ValueError(f"{name}: state must have shape {expected}, got {state.shape}")
    check_dtypes(name, projections, weight_hh)
    check_dtypes(name, state, weight_hh)


def _sequence(kind: str, projections: Tensor, state: Tensor, weight_hh: Tensor
              ) -> list[Tensor]:
    op = STEP_OPS[kind]
    p, w = projections._array, weight_hh._array
    seq = Sequence(state._array, p.shape[0], p.shape[2], kind == "lstm", w,
                   weight_hh.requires_grad)
    nodes = []
    for t in range(p.shape[0]):
        op.forward(seq, t, p[t], w)
        state = result(seq.output(t), (projections, state, weight_hh), op, StepContext(t, seq))
        nodes.append(state)
    return nodes


def hidden_states(states: list[Tensor]) -> Tensor:
    """The h_t of each state (rows, N, H) as one Tensor (T, N, H): a layer's outputs.

    The states of one `rnn_sequence` or `lstm_sequence` already lie side by side in one
    array: then the result is a view of it, not a copy.
    """
    if not states or any(s.__class__ is not Tensor or s.ndim != 3 for s in states):
        raise ValueError("hidden_states: needs a non-empty list of states (rows, N, H)")
    first = states[0]
    seq = first.ctx.sequence if isinstance(first.ctx, StepContext) else None
    if seq is not None and len(states) == seq.states.shape[1] - 1 and all(
            isinstance(s.ctx, StepContext) and s.ctx.sequence is seq and s.ctx.t == t
            for t, s in enumerate(states)):
        array = seq.states[0, 1:].transpose(0, 2, 1)
    else:
        array = _hidden_states_forward(*(s.data for s in states))
    return result(array, tuple(states), HIDDEN_STATES, first.shape)


def _hidden_states_forward(*states: np.ndarray) -> np.ndarray:
    """The h rows of the states stacked (T, N, H); `hidden_states` returns a view instead
    when they already lie side by side."""
    return np.stack([s[0] for s in states])


def hidden_states_grad(g, out, state_shape, *states):
    if g.__class__ is Tensor:  # create_graph: differentiable, from the engine's own ops
        rows = [g[t].unsqueeze(0) for t in range(len(states))]
        if state_shape[0] == 1:
            return tuple(rows)
        zeros = Tensor(np.zeros((state_shape[0] - 1,) + state_shape[1:]), dtype=g.dtype)
        return tuple(concatenate([row, zeros]) for row in rows)
    # laid out as the steps keep their states, (H, N) (see Sequence): then adding the next
    # step's gradient and reading the sum run over contiguous memory
    rows, n_batch, n_hidden = state_shape
    grads = np.zeros((len(states), rows, n_hidden, n_batch), dtype=g.dtype)
    grads[:, 0] = g.transpose(0, 2, 1)
    return tuple(grads.transpose(0, 1, 3, 2))


HIDDEN_STATES = register(
    "hidden_states", "∂[h_1 … h_T]/∂state_t: the gradient's row t, in the state's h row",
    engines=("Tensor",), forward=_hidden_states_forward, grad=hidden_states_grad,
    exact_grads=True)


def rnn_sequence(projections: Tensor, h0: Tensor, weight_hh: Tensor,
                 nonlinearity: str = "tanh") -> list[Tensor]:
    """The T hidden states of an Elman RNN layer, one graph node per step.

    `projections` (T, N, H) holds x_t W_ihᵀ + b_ih + b_hh for every step, `h0` (1, N, H)
    the initial state, `weight_hh` (H, H). Returns T Tensors h_t of shape (1, N, H).
    Raises ValueError on a wrong shape or nonlinearity, TypeError on mixed dtypes.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    _check("rnn_sequence", projections, h0, weight_hh, 1)
    return _sequence(nonlinearity, projections, h0, weight_hh)


def lstm_sequence(projections: Tensor, state0: Tensor, weight_hh: Tensor) -> list[Tensor]:
    """The T states of an LSTM layer, one graph node per step.

    `projections` (T, N, 4H) holds x_t W_ihᵀ + b_ih + b_hh for every step (gate blocks
    i, f, g, o), `state0` (2, N, H) the initial h and c stacked, `weight_hh` (4H, H).
    Returns T Tensors of shape (2, N, H): h_t and c_t stacked.
    Raises ValueError on a wrong shape, TypeError on mixed dtypes.
    """
    _check("lstm_sequence", projections, state0, weight_hh, 4)
    return _sequence("lstm", projections, state0, weight_hh)
