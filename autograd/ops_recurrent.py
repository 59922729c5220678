"""Recurrent layers as one graph node per time step: `rnn_sequence`, `lstm_sequence`.

A layer first computes the input projections of all T steps in one product,
P = x W_ihᵀ + b (`linear`, shape (T, N, G)). Step t then adds the recurrent term
h_{t-1} W_hhᵀ, one product for all gates, and applies the cell:

    RNN:   h_t = tanh(P_t + h_{t-1} W_hhᵀ)         (or relu)
    LSTM:  i, f, g, o = σ, σ, tanh, σ of the four column blocks of P_t + h_{t-1} W_hhᵀ
           c_t = f·c_{t-1} + i·g,   h_t = o·tanh(c_t)

Each step is one node, `rnn_tanh_step`, `rnn_relu_step` or `lstm_step`, whose output is
the state: h_t as (1, N, H) for the RNN, h_t and c_t stacked as (2, N, H) for the LSTM.
Backpropagation through time is the engine's ordinary backward over this chain.

The engine's nodes have one output, so the steps cannot hand P a gradient row by row
without T full-size arrays to add up (the adjoint of T slices). Instead the steps of one
sequence share a `SharedGradient`: in a plain backward each step writes its rows, and
step 0, always the last of them to run (every later step depends on it), hands the
complete array to P: what PyTorch's unbind does with one backward node.

With `create_graph` a step's rule differentiates its composed definition (`lstm_cell`,
the same ops as `nn.LSTMCell`), so second derivatives come from the ordinary Tensor ops.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from autograd import engine
from autograd.engine import gradients
from autograd.nn_ops import linear
from autograd.op import Op, register
from autograd.shape_ops import stack
from autograd.tensor import Tensor, _make, check_dtypes


class SequenceGradient:
    """What the steps of one sequence share in a plain backward: ∂/∂P, filled row by row.

    `states` is the sequence's (rows, T + 1, N, H) array of states, the initial one first
    (each step's output is a view into it), so that step 0 can form ∂/∂W_hh = Σ_t Z_tᵀ h_{t-1}
    for all steps at once, one product of (G, T·N) by (T·N, H) instead of T small ones.
    """

    __slots__ = ("array", "last_step", "states", "weight_needs_grad")

    def __init__(self, states: np.ndarray, weight_needs_grad: bool) -> None:
        self.array: np.ndarray | None = None
        self.last_step = -1
        self.states = states
        self.weight_needs_grad = weight_needs_grad

    def take(self, t: int, rows: np.ndarray, shape: tuple[int, ...]
             ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Write step t's rows of ∂/∂P; (∂/∂P, ∂/∂W_hh) once step 0 has, else (None, None)."""
        # a pass runs the steps t0, t0 - 1, ..., 0 in turn: any other step opens a new one
        if self.array is None or self.last_step != t + 1:
            self.array = np.zeros(shape, dtype=rows.dtype)
        self.array[t] = rows
        self.last_step = t
        if t:
            return None, None
        complete, self.array = self.array, None
        if not self.weight_needs_grad:
            return complete, None
        n_steps, n_batch, n_gates = shape
        h_prev = self.states[0, :n_steps].reshape(n_steps * n_batch, -1)
        return complete, np.dot(complete.reshape(-1, n_gates).T, h_prev)


class StepContext(NamedTuple):
    t: int  # the time step
    saved: Any  # what the plain backward reuses from the forward (see each cell)
    shared: SequenceGradient  # ∂/∂P and ∂/∂W_hh, shared by the sequence's steps


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
_GATE_AFFINE: dict[tuple[int, np.dtype], tuple[np.ndarray, np.ndarray]] = {}


def _gate_affine(n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) over the 4n gate columns: σ(x) = tanh(x/2)/2 + 1/2, so that one
    tanh call serves all four gates: a = scale·tanh(scale·x) + shift (g: scale 1, shift 0)."""
    key = (n, dtype)
    if key not in _GATE_AFFINE:
        scale = np.full(4 * n, 0.5, dtype=dtype)
        scale[2 * n:3 * n] = 1.0
        shift = np.full(4 * n, 0.5, dtype=dtype)
        shift[2 * n:3 * n] = 0.0
        _GATE_AFFINE[key] = scale, shift
    return _GATE_AFFINE[key]


def _lstm_forward(p_t: np.ndarray, state: np.ndarray, weight_hh_t: np.ndarray,
                  out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Write [h_t; c_t] into `out`; return what backward reuses: (activations, tanh(c_t))."""
    h_prev, c_prev = state[0], state[1]
    n = h_prev.shape[-1]
    scale, shift = _gate_affine(n, p_t.dtype)
    gates = np.dot(h_prev, weight_hh_t)
    gates += p_t
    gates *= scale
    activations = np.tanh(gates, out=gates)  # i, f, g, o side by side
    activations *= scale
    activations += shift
    i, f, g, o = (activations[:, k * n:(k + 1) * n] for k in range(4))
    c = np.multiply(f, c_prev, out=out[1])
    c += i * g
    tanh_c = np.tanh(c)
    np.multiply(o, tanh_c, out=out[0])
    return activations, tanh_c


def _lstm_backward(grad: np.ndarray, state: np.ndarray, weight_hh: np.ndarray, saved: Any
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(∂/∂gates, ∂/∂state_prev) from the gradient (2, N, H) of [h_t; c_t]."""
    activations, tanh_c = saved
    c_prev = state[1]
    n = c_prev.shape[-1]
    scale, shift = _gate_affine(n, activations.dtype)
    i, f, g, o = (activations[:, k * n:(k + 1) * n] for k in range(4))
    grad_h, grad_c = grad[0], grad[1]
    grad_c_total = grad_h * o * (1.0 - tanh_c * tanh_c) + grad_c  # c reaches h through tanh
    d_gates = np.empty_like(activations)  # first ∂/∂activations, then times their slopes
    np.multiply(grad_c_total, g, out=d_gates[:, :n])
    np.multiply(grad_c_total, c_prev, out=d_gates[:, n:2 * n])
    np.multiply(grad_c_total, i, out=d_gates[:, 2 * n:3 * n])
    np.multiply(grad_h, tanh_c, out=d_gates[:, 3 * n:])
    # d(scale·tanh(scale·x) + shift)/dx = scale² - (a - shift)²: σ' = a(1 - a), tanh' = 1 - a²
    slope = activations - shift
    slope *= slope
    np.subtract(scale * scale, slope, out=slope)
    d_gates *= slope
    d_state = np.empty(state.shape, dtype=d_gates.dtype)
    np.dot(d_gates, weight_hh, out=d_state[0])
    np.multiply(grad_c_total, f, out=d_state[1])
    return d_gates, d_state


def _rnn_forward(activation: str):
    def forward(p_t: np.ndarray, state: np.ndarray, weight_hh_t: np.ndarray,
                out: np.ndarray) -> None:
        z = np.dot(state[0], weight_hh_t)
        z += p_t
        if activation == "tanh":
            np.tanh(z, out=out[0])
        else:
            np.maximum(z, 0.0, out=out[0])
    return forward


def _rnn_backward(activation: str):
    def backward(grad: np.ndarray, state: np.ndarray, weight_hh: np.ndarray, out: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        h = out[0]
        # tanh' = 1 - h², relu' = 1 where h > 0: both read from the output
        d_z = grad[0] * (1.0 - h * h) if activation == "tanh" else grad[0] * (h > 0)
        return d_z, np.dot(d_z, weight_hh)[None]
    return backward


# -- the composed definitions, differentiated for create_graph --------------------------
def _lstm_composed(p_t: Tensor, state: Tensor, weight_hh: Tensor) -> Tensor:
    h, c = lstm_cell(p_t + linear(state[0], weight_hh), state[1])
    return stack([h, c])


def _rnn_composed(activation: str):
    def composed(p_t: Tensor, state: Tensor, weight_hh: Tensor) -> Tensor:
        z = p_t + linear(state[0], weight_hh)
        return getattr(z, activation)().unsqueeze(0)
    return composed


class Cell(NamedTuple):
    forward: Any  # (P_t, state, W_hhᵀ, out) arrays: writes the new state, returns the saved
    backward: Any  # (grad, state, W_hh, saved) -> (∂gates, ∂state), arrays
    composed: Any  # (P_t, state, W_hh) Tensors -> new state, from the engine's ops
    state_rows: int  # 1: h; 2: h and c


def _step_grad(cell: Cell):
    def grad(g, out, ctx, projections, state, weight_hh):
        if g.__class__ is Tensor:  # create_graph: differentiate the composed definition
            recomputed = cell.composed(projections[ctx.t], state, weight_hh)
            return tuple(gradients(recomputed, [projections, state, weight_hh], g,
                                   create_graph=True))
        saved = out if ctx.saved is None else ctx.saved
        d_gates, d_state = cell.backward(g, state, weight_hh, saved)
        d_projections, d_weight = ctx.shared.take(ctx.t, d_gates, projections.shape)
        return d_projections, d_state, d_weight
    return grad


CELLS = {
    "tanh": Cell(_rnn_forward("tanh"), _rnn_backward("tanh"), _rnn_composed("tanh"), 1),
    "relu": Cell(_rnn_forward("relu"), _rnn_backward("relu"), _rnn_composed("relu"), 1),
    "lstm": Cell(_lstm_forward, _lstm_backward, _lstm_composed, 2),
}
STEP_OPS: dict[str, Op] = {
    "tanh": register(
        "rnn_tanh_step", "h = tanh(P_t + h₋₁W_hhᵀ): ∂/∂P_t = G(1 - h²) = Z, ∂/∂h₋₁ = Z·W_hh, "
        "∂/∂W_hh = Zᵀh₋₁", engines=("Tensor",), grad=_step_grad(CELLS["tanh"]),
        exact_grads=True),
    "relu": register(
        "rnn_relu_step", "h = relu(P_t + h₋₁W_hhᵀ): ∂/∂P_t = G·[h > 0] = Z, ∂/∂h₋₁ = Z·W_hh, "
        "∂/∂W_hh = Zᵀh₋₁", engines=("Tensor",), grad=_step_grad(CELLS["relu"]),
        exact_grads=True),
    "lstm": register(
        "lstm_step", "c = f·c₋₁ + i·g, h = o·tanh(c): ∂/∂c₋₁ = (G_c + G_h·o·tanh'(c))·f; "
        "each gate's ∂ times σ' or tanh' = Z, ∂/∂P_t = Z, ∂/∂h₋₁ = Z·W_hh, ∂/∂W_hh = Zᵀh₋₁",
        engines=("Tensor",), grad=_step_grad(CELLS["lstm"]), exact_grads=True),
}


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
    cell, op = CELLS[kind], STEP_OPS[kind]
    p, w = projections._array, weight_hh._array
    n_steps = p.shape[0]
    # every state in one array, the initial one first: step t writes states[:, t + 1]
    states = np.empty((state.shape[0], n_steps + 1) + state.shape[1:], dtype=p.dtype)
    states[:, 0] = state._array
    weight_hh_t = np.ascontiguousarray(w.T)  # BLAS takes h @ W_hhᵀ 2x faster so
    record = engine._recording and (projections.requires_grad or state.requires_grad
                                    or weight_hh.requires_grad)
    shared = SequenceGradient(states, weight_hh.requires_grad)
    nodes = []
    for t in range(n_steps):
        saved = cell.forward(p[t], states[:, t], weight_hh_t, states[:, t + 1])
        new = states[:, t + 1]
        state = (_make(new, (projections, state, weight_hh), op, StepContext(t, saved, shared))
                 if record else _make(new))
        nodes.append(state)
    return nodes


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
