"""Optimizers (SGD, Adam) and learning-rate schedules (StepLR, CosineAnnealingLR).

They update Tensor parameters (array data, changed in place) and Value parameters (float
data) alike. Batch, stochastic and mini-batch gradient descent differ only in the batch
size the data loader uses.

An optimizer keeps its Tensor parameters in one flat buffer per dtype, the "arena": at
construction each parameter's array is copied into it and `p.data` becomes a view of its
slice (same values, same shape). A step then updates every parameter with a handful of
numpy calls on the whole buffer instead of a few per parameter, which for a small model
is most of the cost of a step: PyTorch's multi-tensor ("foreach") optimizers do the same.
The optimizer's own state (momentum, Adam's running means) lives in flat buffers beside it.

Nothing else changes for the user. A parameter given a new array later (`p.data = array`)
is still updated, in that new array, by a per-parameter path that shares the math and the
state with the flat one; so is every parameter of a step where some have no gradient.

Parameter groups, as PyTorch has them, give parts of a model their own weight decay:
`SGD([{"params": weights, "weight_decay": 1e-4}, {"params": biases, "weight_decay": 0}],
lr=0.1)` (`weights_and_biases(model)` makes the two lists). Groups do not split the flat
buffer: a dtype's parameters are laid out group after group, so that each group's decay
applies to one run of the buffer (and a group without decay costs nothing).

Nielsen's L2-regularised cost C = C0 + λ/(2n)·Σw² (over the weights, not the biases, n the
number of training examples) has the gradient ∂C0/∂w + (λ/n)·w: with SGD that is
w ← w - η(∂C0/∂w + (λ/n)·w), which is `weight_decay = λ/n` on the weights' group and 0 on
the biases'.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

import numpy as np

from autograd import Node, Tensor, Value
from autograd.tape import recorded_in_capture
from autograd.tensor import hand_out_grad_buffers, mark_modified
from nn.module import Module, clear_grad

is_ = operator.is_
_array_of = operator.attrgetter("data")
_shape_of = operator.attrgetter("shape")

GROUP_KEYS = ("params", "weight_decay")  # what a parameter group may set
# a weight decay: none, one rate for a whole buffer, or (run of the buffer, rate) pairs
Decay = float | tuple[tuple[slice, float], ...] | None


def with_decay(g: np.ndarray, w: np.ndarray, decay: Decay, out: np.ndarray) -> np.ndarray:
    """g + decay·w, written into `out` (which may be `g`)."""
    if out is not g:
        np.copyto(out, g)
    add_decay(out, w, decay)
    return out


def add_decay(target: np.ndarray, w: np.ndarray, decay: Decay, scale: float = 1.0) -> None:
    """target += scale·decay·w in place, for flat arrays and a `Decay` other than None."""
    if isinstance(decay, tuple):
        for run, rate in decay:
            target[run] += (scale * rate) * w[run]
    else:
        target += (scale * decay) * w


class _Group:
    """The parameters that share one flat update: Tensors of one dtype, or all the Values.

    `state[k]` is the flat array of the optimizer's k-th state (velocity, m, v), zero at
    the start; parameter i owns `slices[i]` of it. A Tensor group also has its `arena`,
    which holds the weights, `views[i]`, parameter i's slice of it shaped like the parameter
    (its `.data` unless something assigned another array since), `grads`, a buffer as long
    whose slices `grad_views[i]` are the parameters' `grad_buffer`s (a backward pass writes
    the gradients there, so that a step finds them gathered), and `scratch`, as long again,
    where a step gathers the gradients otherwise and computes the update; `twin` and
    `twins` stand beside `grads` and `grad_views` for `hand_out_grad_buffers`, and
    `hands_out` says whether reference counts show holders at all (they do in CPython).
    `t[i]` counts the steps parameter i took.
    `decay` is the group's `Decay`: None when every rate is 0, one rate when all are the
    same, else (run, rate) pairs; `decays[i]` is parameter i's rate.
    """

    __slots__ = ("params", "indices", "tensors", "shapes", "slices", "arena", "views", "grads",
                 "grad_views", "twin", "twins", "hands_out", "scratch", "array_types", "state",
                 "t", "decay", "decays")

    def __init__(self, params: list[Node], indices: list[int], tensors: bool,
                 dtype: np.dtype, n_states: int, decays: list[float]) -> None:
        self.params, self.indices, self.tensors = params, indices, tensors
        self.shapes = [p.data.shape if tensors else () for p in params]
        self.array_types = [np.ndarray] * len(params)  # a step's check of the gradients
        sizes = [math.prod(shape) for shape in self.shapes]
        bounds = np.cumsum([0, *sizes]).tolist()
        self.slices = [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]
        self.arena = self.views = self.grads = self.grad_views = self.scratch = None
        self.twin = self.twins = None
        self.hands_out = False
        if tensors:
            self.arena = np.empty(bounds[-1], dtype=dtype)
            self.grads = np.empty(bounds[-1], dtype=dtype)
            self.scratch = np.empty(bounds[-1], dtype=dtype)
            self.views = [self.arena[s].reshape(shape)
                          for s, shape in zip(self.slices, self.shapes)]
            self.grad_views = [self.grads[s].reshape(shape)
                               for s, shape in zip(self.slices, self.shapes)]
            for p, view in zip(params, self.views):
                p.move_into(view)  # the same values, now in the arena
            # the twin of the gradient buffer: as many views, held by nobody else, against
            # which `hand_out_grad_buffers` tells whether anyone holds a part of it
            self.twin = np.empty(len(params), dtype=dtype)
            self.twins = [self.twin[i:i + 1] for i in range(len(params))]
            self._check_buffers()
            self.hands_out = self._counts_show_holders()
            if self.hands_out:
                hand_out_grad_buffers(params, self.grad_views, self.grads, self.twins,
                                      self.twin)
        self.state = [np.zeros(bounds[-1], dtype=dtype) for _ in range(n_states)]
        self.t = [0] * len(params)
        self.decays = decays
        if not any(decays):
            self.decay = None
        elif min(decays) == max(decays):
            self.decay = decays[0]
        else:  # consecutive parameters with one rate make one run (the groups are in order)
            runs: list[tuple[int, int, float]] = []
            for start, stop, rate in zip(bounds, bounds[1:], decays):
                if runs and runs[-1][2] == rate and runs[-1][1] == start:
                    start = runs.pop()[0]
                runs.append((start, stop, rate))
            self.decay = tuple((slice(a, b), rate) for a, b, rate in runs if rate)

    def _check_buffers(self) -> None:
        """The gradient buffers through the checking `grad_buffer` setter, once (a
        method of its own: no name of this loop outlives it to hold a buffer)."""
        for p, buffer in zip(self.params, self.grad_views):
            p.grad_buffer = buffer

    def _counts_show_holders(self) -> bool:
        """Whether one more holder of the gradient buffer shows in the reference counts
        `hand_out_grad_buffers` compares (they do in CPython); if not, the buffers are
        never handed out."""
        probe = self.grads[:0]  # noqa: F841  (one more holder of the buffer, for the count)
        return not hand_out_grad_buffers(self.params, self.grad_views, self.grads,
                                         self.twins, self.twin)


def checked_setting(owner: str, argument: str, value: Any, accept: Callable[[float], bool],
                    wanted: str) -> float:
    """`value` as a float if `accept` says so; else a ValueError naming `argument` of
    `owner` and saying what it must be (`wanted`). NaN fails every comparison, so an
    `accept` written as bounds (0 < v < inf) refuses it too."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not accept(number):
        raise ValueError(f"{owner}: {argument} must be {wanted}, got {value!r}")
    return number


def _positive(v: float) -> bool:
    return 0.0 < v < math.inf


def _non_negative(v: float) -> bool:
    return 0.0 <= v < math.inf


def _fraction(v: float) -> bool:
    return 0.0 <= v < 1.0


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _parameter_groups(name: str, params: Any, weight_decay: float
                      ) -> tuple[MappingProxyType, ...]:
    """`params` (parameters, or dicts of "params" and "weight_decay") as read-only groups,
    a group without a weight decay taking `weight_decay`."""
    params = list(params)
    if not any(isinstance(p, dict) for p in params):
        params = [{"params": params}]
    groups = []
    for k, group in enumerate(params):
        if not isinstance(group, dict):
            raise TypeError(f"{name}: give parameters or parameter groups (dicts), not both; "
                            f"item {k} is a {type(group).__name__}")
        unknown = sorted(set(group) - set(GROUP_KEYS))
        if unknown or "params" not in group:
            raise ValueError(f"{name}: parameter group {k} needs 'params' and may set "
                             f"'weight_decay'; got keys {sorted(group)}")
        members = group["params"]
        decay = checked_setting(f"{name} (parameter group {k})", "weight_decay",
                                group.get("weight_decay", weight_decay), _non_negative,
                                "a finite number >= 0")
        groups.append(MappingProxyType({
            "params": (members,) if isinstance(members, Node) else tuple(members),
            "weight_decay": decay}))
    return tuple(groups)


class Optimizer:
    """Holds the parameters and the learning rate; subclasses define `_update`.

    Tensor parameters are grouped by dtype and each group is kept in one flat buffer (their
    `.data` become views of it; see the module docstring), so that a step is a few numpy
    calls on that buffer; Value parameters are gathered into one float64 vector per step.
    Updates are computed in each parameter's own dtype (float32 stays float32, a Value's
    float stays a float) and subtracted in place; each updated Tensor's version is bumped,
    so a graph recorded before the step refuses backward after it.

    `p.data = new_array` after construction is honoured: p is then updated in its new
    array, but its dtype group steps parameter by parameter from then on (slower), as it
    does in any step where one of them has no gradient. `Module.load_state_dict` copies
    into the existing arrays, so it keeps the flat buffer.

    `params` is an iterable of parameters or of parameter groups, dicts with "params" and
    optionally "weight_decay" (see the module docstring); `param_groups` shows them,
    read-only: the weight decays are fixed at construction.
    """

    _state_names: tuple[str, ...] = ()  # the flat state arrays `_update` receives, in order
    _counts_steps = False  # True: `_update` needs each parameter's step count t

    def __init__(self, params: Iterable[Node] | Iterable[dict[str, Any]], lr: float,
                 weight_decay: float) -> None:
        name = type(self).__name__
        self.lr = checked_setting(name, "lr", lr, _positive, "a finite number > 0")
        self._weight_decay = checked_setting(name, "weight_decay", weight_decay,
                                             _non_negative, "a finite number >= 0")
        self.param_groups = _parameter_groups(name, params, self._weight_decay)
        self.params = [p for group in self.param_groups for p in group["params"]]
        if not self.params:
            raise ValueError(f"{name}: no parameters to optimise")
        self._groups = self._make_groups()

    def __reduce_ex__(self, protocol: Any) -> Any:
        # copy.copy, copy.deepcopy and pickle all come here: a copy's parameters would no
        # longer be views of its flat buffers, so its steps would change nothing
        raise TypeError(f"{type(self).__name__} cannot be copied or pickled: its parameters "
                        "are views of its own flat buffers; make a new optimizer for the "
                        "copied model's parameters instead")

    @property
    def weight_decay(self) -> float:
        """The weight decay given to the constructor (a group may set its own)."""
        return self._weight_decay

    def _make_groups(self) -> list[_Group]:
        name = type(self).__name__
        decays = [group["weight_decay"] for group in self.param_groups
                  for _ in group["params"]]
        first_index: dict[int, int] = {}
        members: dict[Any, list[int]] = {}  # dtype (Tensors) or Value -> parameter indices
        for i, p in enumerate(self.params):
            j = first_index.setdefault(id(p), i)
            if j != i:
                raise ValueError(f"{name}: parameter {i} is parameter {j} again; "
                                 "pass each parameter once")
            if isinstance(p, Tensor):
                key = p.data.dtype
            elif isinstance(p, Value):
                key = Value
            else:
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, "
                                "not a Tensor or a Value")
            members.setdefault(key, []).append(i)
        return [_Group([self.params[i] for i in indices], indices, key is not Value,
                       np.dtype(np.float64) if key is Value else key, len(self._state_names),
                       [decays[i] for i in indices])
                for key, indices in members.items()]

    @property
    def state(self) -> list[dict[str, Any]]:
        """Per parameter, in order: views of its slices of the optimizer's state arrays
        (shaped like the parameter; writing to them changes the state) and, for Adam, `t`,
        the number of steps it took."""
        states: list[dict[str, Any]] = [{} for _ in self.params]
        for group in self._groups:
            for i, (index, shape) in enumerate(zip(group.indices, group.shapes)):
                state = states[index]
                for key, flat in zip(self._state_names, group.state):
                    state[key] = flat[group.slices[i]].reshape(shape)
                if self._counts_steps:
                    state["t"] = group.t[i]
        return states

    @recorded_in_capture  # a compiled step replays it
    def zero_grad(self) -> None:
        """Forget every parameter's gradient; the next backward pass then writes the new
        ones straight into this optimizer's gradient buffer (`Tensor.grad_buffer`), unless a
        part of it is still held outside (a `.grad` kept from an earlier step, or a view of
        one): that is never overwritten, the gradients come in new arrays instead."""
        for group in self._groups:
            if group.tensors:  # no per-parameter type test: a small model's step notices
                for p in group.params:
                    p.grad = None
                if group.hands_out:
                    hand_out_grad_buffers(group.params, group.grad_views, group.grads,
                                          group.twins, group.twin)
            else:
                for p in group.params:
                    clear_grad(p)

    @recorded_in_capture  # a compiled step runs it again: lr, state and parameters are read then
    def step(self) -> None:
        """Update every parameter that has a gradient: one `_update` on a whole group when
        every parameter of it has a gradient of its own shape, is still in the arena (a
        Tensor) and, for Adam, took as many steps as the others; else one per parameter."""
        for group in self._groups:
            params = group.params
            grads = [p.grad for p in params]
            whole = not self._counts_steps or min(group.t) == max(group.t)
            # every parameter still in the arena, with a gradient of its own shape: one
            # update, the gradients gathered already when the backward pass wrote them in
            # place (Tensor.grad_buffer). The checks are C loops (map), which a step of a
            # small model notices
            if group.tensors and whole and all(map(is_, map(_array_of, params), group.views)):
                if all(map(is_, grads, group.grad_views)):
                    self._step_group(group, group.grads)
                    continue
                if list(map(type, grads)) == group.array_types and list(
                        map(_shape_of, grads)) == group.shapes:
                    self._step_group(group, np.concatenate(grads, axis=None,
                                                           out=group.scratch))
                    continue
            if group.tensors:  # a Tensor given a new array, or a gradient to broadcast (or
                whole = False  # a create_graph one, or none): one by one
            else:  # Values: gradients may be nodes
                grads = [g.data if isinstance(g, Node) else g for g in grads]
                whole = whole and all(g is not None for g in grads)
            if not whole:
                self._step_each(group, grads)
            else:  # Values: gather their floats into a vector, update it, write back
                group.t = [group.t[0] + 1] * len(group.t)
                w = np.array([p.data for p in params], dtype=np.float64)
                g = np.array(grads, dtype=np.float64)
                w -= self._update(w, g, group.state, group.t[0], group.decay, g)
                for p, new in zip(params, w.tolist()):
                    p.data = new

    def _step_group(self, group: _Group, g: np.ndarray) -> None:
        """One `_update` of a Tensor group's whole arena, given its gradients gathered in
        `g` (the scratch buffer, or the gradient buffer itself)."""
        group.t = [group.t[0] + 1] * len(group.t)
        group.arena -= self._update(group.arena, g, group.state, group.t[0], group.decay,
                                    group.scratch)
        mark_modified(group.params)

    def _step_each(self, group: _Group, grads: list[Any]) -> None:
        """The per-parameter path: `_update` on each parameter with a gradient, given its
        slices of the state, subtracted from whatever array the parameter holds now."""
        if group.tensors:  # checked first, so that an error changes nothing
            name = type(self).__name__
            for i, (p, g) in enumerate(zip(group.params, grads)):
                shape = p.data.shape
                if shape != group.shapes[i]:
                    raise ValueError(f"{name}: parameter {group.indices[i]} has shape {shape}, "
                                     f"it had {group.shapes[i]} when the optimizer was made; "
                                     "make a new optimizer")
                if g is not None and not _broadcasts_to(np.shape(g), shape):
                    raise ValueError(f"{name}: parameter {group.indices[i]} has shape {shape} "
                                     f"but its gradient has shape {np.shape(g)}")
        for i, (p, g) in enumerate(zip(group.params, grads)):
            if g is None:  # backward never reached p: it and its state stay as they are
                continue
            group.t[i] += 1
            state = [flat[group.slices[i]] for flat in group.state]
            decay = group.decays[i] or None
            if group.tensors:
                w = p.data
                # a copy, which `_update` may overwrite with the step
                g = np.array(np.broadcast_to(g, w.shape), dtype=w.dtype).reshape(-1)
                w -= self._update(w.reshape(-1), g, state, group.t[i], decay, g).reshape(w.shape)
                p.mark_modified()
            else:
                w = np.array([p.data], dtype=np.float64)
                g = np.array([g], dtype=np.float64)
                update = self._update(w, g, state, group.t[i], decay, g)
                p.data = float(w[0] - update[0])

    def _update(self, w: np.ndarray, g: np.ndarray, state: list[np.ndarray], t: int,
                decay: Decay, out: np.ndarray) -> np.ndarray:
        """The step to subtract from the flat weights `w` given their gradient `g`,
        written into `out` (an array like `w`; saving an array on the hot path) and
        returned.

        `state` holds views of this optimizer's state arrays (`_state_names`) for the same
        weights, to be updated in place; `t` is their step count, this step included;
        `decay` their weight decay (see `Decay`; `add_decay` applies it).
        `w` must not be changed, nor `g` unless it is `out` (it may be the parameters'
        `.grad`). The math stays in the dtype of `w`.
        """
        raise NotImplementedError


class SGD(Optimizer):
    """w ← w - lr·v, with v the gradient (plus weight_decay·w) or its momentum average.

    With momentum μ: v ← μ·v + g (v starts at zero, so at the first g). Nesterov looks
    ahead and steps along g + μ·v instead of v.
    """

    _state_names = ("velocity",)

    def __init__(self, params: Iterable[Node] | Iterable[dict[str, Any]], lr: float = 0.01,
                 momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        self.momentum = checked_setting("SGD", "momentum", momentum, _fraction, "in [0, 1)")
        if nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov needs a momentum > 0")
        self.nesterov = nesterov
        super().__init__(params, lr, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray, state: list[np.ndarray], t: int,
                decay: Decay, out: np.ndarray) -> np.ndarray:
        if decay is not None:
            g = with_decay(g, w, decay, out)
        momentum = self.momentum
        if momentum:
            velocity = state[0]
            velocity *= momentum
            velocity += g
            if not self.nesterov:
                return np.multiply(velocity, self.lr, out=out)
            g = np.add(g, momentum * velocity, out=out)
        return np.multiply(g, self.lr, out=out)


class Adam(Optimizer):
    """Adam: steps of lr·m̂/(√v̂ + eps) from bias-corrected running means of g and g².

    weight_decay adds weight_decay·w to the gradient (L2, as in the Adam paper); with
    `decoupled=True` it shrinks the weights directly instead (AdamW). The step count t of
    the bias correction is kept per parameter: a parameter without a gradient in a step
    does not advance it (as in PyTorch).
    """

    _state_names = ("m", "v")
    _counts_steps = True

    def __init__(self, params: Iterable[Node] | Iterable[dict[str, Any]], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(checked_setting("Adam", "betas", b, _fraction, "in [0, 1)")
                           for b in betas)
        # eps keeps the step finite where v is 0: 0 would divide 0 by 0
        self.eps = checked_setting("Adam", "eps", eps, _positive, "a finite number > 0")
        self.decoupled = decoupled
        super().__init__(params, lr, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray, state: list[np.ndarray], t: int,
                decay: Decay, out: np.ndarray) -> np.ndarray:
        if decay is not None and not self.decoupled:
            g = with_decay(g, w, decay, out)
        beta1, beta2 = self.betas
        m, v = state
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        # lr·m̂/(√v̂ + eps) with m̂ = m/(1 - β1^t), v̂ = v/(1 - β2^t), as PyTorch computes it
        step = np.sqrt(v, out=out)
        step /= math.sqrt(1.0 - beta2 ** t)
        step += self.eps
        np.divide(m, step, out=step)
        step *= self.lr / (1.0 - beta1 ** t)
        if decay is not None and self.decoupled:
            add_decay(step, w, decay, scale=self.lr)
        return step


class LRScheduler:
    """Sets `optimizer.lr` from the epoch count; call `step()` once per epoch."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(LRScheduler):
    """lr = base_lr · gamma^(epoch // step_size): drop by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size = step_size
        self.gamma = checked_setting("StepLR", "gamma", gamma, _positive, "a finite number > 0")

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr falls from base_lr to min_lr along half a cosine over `t_max` epochs, then stays."""

    def __init__(self, optimizer: Optimizer, t_max: int, min_lr: float = 0.0) -> None:
        super().__init__(optimizer)
        if t_max < 1:
            raise ValueError(f"CosineAnnealingLR: t_max must be >= 1, got {t_max}")
        self.t_max = t_max
        self.min_lr = checked_setting("CosineAnnealingLR", "min_lr", min_lr, _non_negative,
                                      "a finite number >= 0")

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.t_max) / self.t_max
        return self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def is_bias(name: str) -> bool:
    """Whether the parameter named `name` (a `named_parameters` path) is a bias: its last
    part starts with "bias" ("0.bias", "bias_ih_l0") or is a scalar Neuron's "b"."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("bias") or last == "b"


def weights_and_biases(model: Module) -> tuple[list[Node], list[Node]]:
    """`model`'s parameters split into weights and biases (`is_bias`), each in model order,
    for parameter groups that decay the weights only:

        weights, biases = weights_and_biases(model)
        SGD([{"params": weights, "weight_decay": lam / n}, {"params": biases}], lr=0.5)
    """
    weights: list[Node] = []
    biases: list[Node] = []
    for name, p in model.named_parameters():
        (biases if is_bias(name) else weights).append(p)
    return weights, biases
