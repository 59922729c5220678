"""Recurrent layers with PyTorch's conventions: RNN, LSTM, RNNCell, LSTMCell.

    >>> import numpy as np, nn
    >>> lstm = nn.LSTM(input_size=3, hidden_size=5, num_layers=2, seed=0)
    >>> outputs, (h_n, c_n) = lstm(np.zeros((7, 4, 3)))   # (T, N, input_size)
    >>> outputs.shape, h_n.shape, c_n.shape
    ((7, 4, 5), (2, 4, 5), (2, 4, 5))

Parameters are named and laid out as PyTorch's (`weight_ih_l0` (G·H, input_size),
`weight_hh_l0` (G·H, H), `bias_ih_l0`, `bias_hh_l0` (G·H,), the LSTM's gate blocks in the
order i, f, g, o), so a state_dict of `torch.nn.RNN`/`LSTM` converted to numpy loads
unchanged. Each layer computes the input projections of all steps at once
(`autograd.input_projections`) and then runs one graph node per time step
(`autograd.rnn_sequence`, `autograd.lstm_sequence`): backpropagation through time is the
ordinary backward pass. The cells compute one step from the engine's elementwise ops,
every gate a node of its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import (
    Tensor,
    concatenate,
    hidden_states,
    input_projections,
    linear,
    lstm_cell,
    lstm_sequence,
    rnn_sequence,
)
from nn.init import make_rng, whole_number
from nn.layers import as_tensor
from nn.module import Module, register_module

NONLINEARITIES = ("tanh", "relu")


def checked_nonlinearity(owner: str, nonlinearity: str) -> str:
    """`nonlinearity` if it is one of NONLINEARITIES; else a ValueError naming `owner`."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"{owner}: nonlinearity must be one of {NONLINEARITIES}, got "
                         f"{nonlinearity!r}")
    return nonlinearity


def _uniform_parameter(shape: tuple[int, ...], bound: float, dtype: str,
                       rng: np.random.Generator, label: str) -> Tensor:
    return Tensor(rng.uniform(-bound, bound, size=shape), dtype=dtype, requires_grad=True,
                  label=label)


def _as_input(x: Any, dtype: str, name: str) -> Tensor:
    x = as_tensor(x, dtype)
    if x.dtype != np.dtype(dtype):
        raise TypeError(f"{name}: input has dtype {x.dtype}, the module's parameters {dtype}; "
                        "use .astype(...) or build the module with that dtype")
    return x


def _check_shape(name: str, what: str, actual: tuple[int, ...],
                 expected: tuple[int, ...]) -> None:
    if actual != expected:
        raise ValueError(f"{name}: expected {what} of shape {expected}, got {actual}")


class _Recurrent(Module):
    """What RNN and LSTM share: parameters, shape checks, the layer loop."""

    gates = 1  # blocks of rows in each weight: 1 (RNN), 4 (LSTM)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dtype: str, seed: int | None,
                 rng: np.random.Generator | None) -> None:
        name = type(self).__name__
        self.input_size = whole_number(name, "input_size", input_size)
        self.hidden_size = whole_number(name, "hidden_size", hidden_size)
        self.num_layers = whole_number(name, "num_layers", num_layers)
        self.batch_first = bool(batch_first)
        self.has_bias, self.dtype = bool(bias), str(np.dtype(dtype))
        rng = make_rng(seed, rng)
        bound = 1.0 / math.sqrt(self.hidden_size)  # PyTorch's U(-1/√H, 1/√H) for all
        rows = self.gates * self.hidden_size
        for k in range(self.num_layers):
            n_in = self.input_size if k == 0 else self.hidden_size
            shapes = {f"weight_ih_l{k}": (rows, n_in), f"weight_hh_l{k}": (rows, hidden_size)}
            if bias:
                shapes.update({f"bias_ih_l{k}": (rows,), f"bias_hh_l{k}": (rows,)})
            for name, shape in shapes.items():  # assignment order is PyTorch's key order
                setattr(self, name, _uniform_parameter(shape, bound, self.dtype, rng, name))

    def _layer_parameters(self, k: int) -> tuple[Tensor, Tensor, Tensor | None]:
        """(W_ih, W_hh, b_ih + b_hh) of layer k: both biases enter every step alike."""
        bias = (getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
                if self.has_bias else None)
        return getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}"), bias

    def _sequence_input(self, x: Any) -> tuple[Tensor, bool]:
        """x as (T, N, input_size), and whether it came unbatched (T, input_size)."""
        name = type(self).__name__
        x = _as_input(x, self.dtype, name)
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size or 0 in x.shape[:-1]:
            raise ValueError(f"{name}: expected input of shape {layout} or (T, input_size) "
                             f"with input_size {self.input_size} and T, N > 0, got {x.shape}")
        if x.ndim == 2:
            return x.unsqueeze(1), True
        return (x.swapaxes(0, 1) if self.batch_first else x), False

    def _initial_state(self, state: Any, n_batch: int, unbatched: bool) -> Tensor:
        """An initial h or c as (num_layers, N, H), zeros when not given."""
        expected = (self.num_layers, self.hidden_size) if unbatched else (
            self.num_layers, n_batch, self.hidden_size)
        if state is None:
            return Tensor(np.zeros((self.num_layers, n_batch, self.hidden_size)),
                          dtype=self.dtype)
        state = _as_input(state, self.dtype, type(self).__name__)
        _check_shape(type(self).__name__, "initial state", state.shape, expected)
        return state.unsqueeze(1) if unbatched else state

    def _layers(self, x: Any, initial: tuple[Any, ...]) -> tuple[Tensor, list[Tensor]]:
        """Run every layer: (outputs (T, N, H), [final state of each layer])."""
        x, unbatched = self._sequence_input(x)
        n_batch = x.shape[1]
        states0 = [self._initial_state(s, n_batch, unbatched) for s in initial]
        finals = []
        for k in range(self.num_layers):
            weight_ih, weight_hh, bias = self._layer_parameters(k)
            projections = input_projections(x, weight_ih, bias)
            states = self._run(projections, [s[k:k + 1] for s in states0], weight_hh)
            x = hidden_states(states)
            finals.append(states[-1])
        if unbatched:
            return x.squeeze(1), finals
        return (x.swapaxes(0, 1) if self.batch_first else x), finals

    def _final(self, finals: list[Tensor], row: int, unbatched: bool) -> Tensor:
        """Row `row` (0: h, 1: c) of each layer's final state, as (num_layers, N, H)."""
        joined = concatenate([s[row:row + 1] for s in finals])
        return joined.squeeze(1) if unbatched else joined

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "num_layers": self.num_layers, "bias": self.has_bias,
                "batch_first": self.batch_first, "dtype": self.dtype}


@register_module
class RNN(_Recurrent):
    """An Elman RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), layer by layer.

    Input (T, N, input_size), or (N, T, input_size) with `batch_first`, or unbatched
    (T, input_size); optional `h0` (num_layers, N, hidden_size) (unbatched:
    (num_layers, hidden_size)), zeros when omitted. Returns `(outputs, h_n)`: the last
    layer's h_t for every step, (T, N, hidden_size) (batch_first: (N, T, ...)), and each
    layer's final h, (num_layers, N, hidden_size). A wrong shape raises ValueError naming
    the expected and the actual shape; `nonlinearity` is "tanh" or "relu".
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 num_layers: int = 1, batch_first: bool = False, bias: bool = True,
                 dtype: str = "float32", seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        self.nonlinearity = checked_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dtype, seed,
                         rng)

    def forward(self, x: Any, h0: Any = None) -> tuple[Tensor, Tensor]:
        outputs, finals = self._layers(x, (h0,))
        return outputs, self._final(finals, 0, outputs.ndim == 2)

    def _run(self, projections: Tensor, state0: list[Tensor], weight_hh: Tensor
             ) -> list[Tensor]:
        return rnn_sequence(projections, state0[0], weight_hh, self.nonlinearity)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "nonlinearity": self.nonlinearity}


@register_module
class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter and Schmidhuber), with PyTorch's equations:

        i, f, g, o = σ, σ, tanh, σ of x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh (blocks of 4H)
        c_t = f·c_{t-1} + i·g        h_t = o·tanh(c_t)

    Shapes as `RNN`; the optional initial state is a pair `(h0, c0)`, each
    (num_layers, N, hidden_size). Returns `(outputs, (h_n, c_n))`.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 batch_first: bool = False, bias: bool = True, dtype: str = "float32",
                 seed: int | None = None, rng: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dtype, seed,
                         rng)

    def forward(self, x: Any, state: tuple[Any, Any] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if state is not None and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError("LSTM: the initial state must be a pair (h0, c0), got "
                             f"{type(state).__name__}")
        outputs, finals = self._layers(x, (None, None) if state is None else tuple(state))
        unbatched = outputs.ndim == 2
        return outputs, (self._final(finals, 0, unbatched), self._final(finals, 1, unbatched))

    def _run(self, projections: Tensor, state0: list[Tensor], weight_hh: Tensor
             ) -> list[Tensor]:
        return lstm_sequence(projections, concatenate(state0), weight_hh)


class _Cell(Module):
    """What RNNCell and LSTMCell share: parameters named as PyTorch's cells name them."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, dtype: str,
                 seed: int | None, rng: np.random.Generator | None) -> None:
        name = type(self).__name__
        self.input_size = whole_number(name, "input_size", input_size)
        self.hidden_size = whole_number(name, "hidden_size", hidden_size)
        self.has_bias, self.dtype = bool(bias), str(np.dtype(dtype))
        rng = make_rng(seed, rng)
        bound = 1.0 / math.sqrt(self.hidden_size)
        rows = self.gates * self.hidden_size
        shapes = {"weight_ih": (rows, self.input_size), "weight_hh": (rows, self.hidden_size)}
        if bias:
            shapes.update({"bias_ih": (rows,), "bias_hh": (rows,)})
        for name, shape in shapes.items():
            setattr(self, name, _uniform_parameter(shape, bound, self.dtype, rng, name))
        if not bias:
            self.bias_ih = self.bias_hh = None

    def _pre_activation(self, x: Any, h: Any) -> tuple[Tensor, Tensor, bool]:
        """(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, x as (N, in), whether x came unbatched)."""
        name = type(self).__name__
        x = _as_input(x, self.dtype, name)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        unbatched = x.ndim == 1
        if unbatched:
            x = x.unsqueeze(0)
        h = self._state(h, x.shape[0], unbatched)
        gates = (linear(x, self.weight_ih, self.bias_ih)
                 + linear(h, self.weight_hh, self.bias_hh))
        return gates, x, unbatched

    def _state(self, state: Any, n_batch: int, unbatched: bool) -> Tensor:
        if state is None:
            return Tensor(np.zeros((n_batch, self.hidden_size)), dtype=self.dtype)
        state = _as_input(state, self.dtype, type(self).__name__)
        expected = (self.hidden_size,) if unbatched else (n_batch, self.hidden_size)
        _check_shape(type(self).__name__, "state", state.shape, expected)
        return state.unsqueeze(0) if unbatched else state

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "bias": self.has_bias, "dtype": self.dtype}


@register_module
class RNNCell(_Cell):
    """One step of `RNN`: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu).

    `x` is (N, input_size) or (input_size,), `h` the same with hidden_size (zeros when
    omitted); returns h' of h's shape.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: str = "float32",
                 seed: int | None = None, rng: np.random.Generator | None = None) -> None:
        self.nonlinearity = checked_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, dtype, seed, rng)

    def forward(self, x: Any, h: Any = None) -> Tensor:
        z, _, unbatched = self._pre_activation(x, h)
        h_new = getattr(z, self.nonlinearity)()
        return h_new.squeeze(0) if unbatched else h_new

    def config(self) -> dict[str, Any]:
        return {**super().config(), "nonlinearity": self.nonlinearity}


@register_module
class LSTMCell(_Cell):
    """One step of `LSTM`: (h', c') from x and the state (h, c), gates i, f, g, o.

    `x` is (N, input_size) or (input_size,); `state` a pair (h, c) of (N, hidden_size)
    (or (hidden_size,)), zeros when omitted. Returns the pair (h', c').
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: str = "float32", seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, seed, rng)

    def forward(self, x: Any, state: tuple[Any, Any] | None = None) -> tuple[Tensor, Tensor]:
        if state is not None and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError("LSTMCell: the state must be a pair (h, c), got "
                             f"{type(state).__name__}")
        h, c = (None, None) if state is None else state
        gates, x, unbatched = self._pre_activation(x, h)
        h_new, c_new = lstm_cell(gates, self._state(c, x.shape[0], unbatched))
        if unbatched:
            return h_new.squeeze(0), c_new.squeeze(0)
        return h_new, c_new

