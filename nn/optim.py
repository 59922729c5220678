"""Optimizers (SGD, Adam) and learning-rate schedules (StepLR, CosineAnnealingLR).

They update Tensor parameters (array data, changed in place) and Value parameters (float
data) alike. Batch, stochastic and mini-batch gradient descent differ only in the batch
size the data loader uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Node, Value
from nn.module import clear_grad


class Optimizer:
    """Holds the parameters and the learning rate; subclasses define `_update`.

    Updates are computed in each parameter's own dtype (float32 stays float32, a Value's
    float stays a float) and subtracted in place.
    """

    def __init__(self, params: Iterable[Node], lr: float, weight_decay: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: no parameters to optimise")
        if lr <= 0.0:
            raise ValueError(f"{type(self).__name__}: lr must be positive, got {lr}")
        if weight_decay < 0.0:
            raise ValueError(f"{type(self).__name__}: weight_decay must be >= 0")
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            clear_grad(p)

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        self.steps += 1
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:  # backward never reached p
                continue
            if isinstance(g, Node):  # a create_graph gradient is a node: step with its data
                g = g.data
            update = self._update(p.data, g, state)
            if p.__class__ is Value:
                p.data = float(p.data - update)
            else:
                p.data -= update  # in place; the setter bumps the version counter

    def _update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        """The step to subtract from the weights `w` given their gradient `g`."""
        raise NotImplementedError


class SGD(Optimizer):
    """w ← w - lr·v, with v the gradient (plus weight_decay·w) or its momentum average.

    With momentum μ: v ← μ·v + g (v starts at the first g). Nesterov looks ahead and
    steps along g + μ·v instead of v.
    """

    def __init__(self, params: Iterable[Node], lr: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0.0:
            raise ValueError("SGD: nesterov needs a momentum > 0")
        self.momentum, self.nesterov = float(momentum), nesterov

    def _update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            velocity = state.get("velocity")
            velocity = g if velocity is None else self.momentum * velocity + g
            state["velocity"] = velocity
            g = g + self.momentum * velocity if self.nesterov else velocity
        return self.lr * g


class Adam(Optimizer):
    """Adam: steps of lr·m̂/(√v̂ + eps) from bias-corrected running means of g and g².

    weight_decay adds weight_decay·w to the gradient (L2, as in the Adam paper); with
    `decoupled=True` it shrinks the weights directly instead (AdamW).
    """

    def __init__(self, params: Iterable[Node], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False) -> None:
        super().__init__(params, lr, weight_decay)
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        self.betas, self.eps, self.decoupled = (float(betas[0]), float(betas[1])), eps, decoupled

    def _update(self, w: Any, g: Any, state: dict[str, Any]) -> Any:
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * w
        beta1, beta2 = self.betas
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
        v = state["v"] = beta2 * state.get("v", 0.0) + (1.0 - beta2) * g * g
        m_hat, v_hat = m / (1.0 - beta1 ** t), v / (1.0 - beta2 ** t)
        update = self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        if self.weight_decay and self.decoupled:
            update = update + self.lr * self.weight_decay * w
        return update


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
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr falls from base_lr to min_lr along half a cosine over `t_max` epochs, then stays."""

    def __init__(self, optimizer: Optimizer, t_max: int, min_lr: float = 0.0) -> None:
        super().__init__(optimizer)
        if t_max < 1:
            raise ValueError(f"CosineAnnealingLR: t_max must be >= 1, got {t_max}")
        self.t_max, self.min_lr = t_max, min_lr

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.t_max) / self.t_max
        return self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
