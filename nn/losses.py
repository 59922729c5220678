"""Loss functions and weight penalties.

Each loss takes predictions and targets and a `reduction`: "mean" (the default), "sum"
or "none" (one loss per element). Predictions are a Tensor, or — for the scalar demos —
a Value or a sequence of Values; targets are arrays, numbers or Tensors (constants).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.ops.fused import (  # one check for both engines
    REDUCTIONS,
    label_positions,
    squared_error,
)
from autograd.ops.fused import cross_entropy as fused_cross_entropy
from autograd.ops.softmax import logsumexp_values
from autograd.tensor import constant_input


def _is_values(x: Any) -> bool:
    if isinstance(x, Value):
        return True
    if isinstance(x, (list, tuple, np.ndarray)) and len(x) > 0:
        first = np.asarray(x, dtype=object).flat[0]
        return isinstance(first, Value)
    return False


def _flat_values(x: Any) -> list[Value]:
    return [x] if isinstance(x, Value) else list(np.asarray(x, dtype=object).flat)


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(name: str, per_item: Any, reduction: str) -> Any:
    _check_reduction(name, reduction)
    if isinstance(per_item, list):  # Values
        if reduction == "none":
            return per_item
        total = Value.sum(per_item)
        return total / len(per_item) if reduction == "mean" else total
    if reduction == "none":
        return per_item
    return per_item.mean() if reduction == "mean" else per_item.sum()


def _pairs(name: str, pred: Any, target: Any) -> tuple[Any, Any]:
    """Predictions and targets with matching shapes (a mismatch would broadcast silently)."""
    if _is_values(pred):
        preds = _flat_values(pred)
        targets = np.asarray(target, dtype=np.float64).reshape(-1)
        if len(targets) != len(preds):
            raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
        return preds, [float(t) for t in targets]
    if not isinstance(pred, Tensor):
        raise TypeError(f"{name}: predictions must be a Tensor or Values, "
                        f"got {type(pred).__name__}")
    # a Tensor of its own (a copy): the losses built from ops keep it for their backward
    return pred, Tensor(_target_array(name, pred, target))


def _target_array(name: str, pred: Tensor, target: Any) -> np.ndarray:
    """The targets as an array of pred's shape and dtype: an array of that dtype as it is,
    not copied (`squared_error` reads it once; `_pairs` copies it for the losses that keep
    it), anything else converted; ValueError when the shapes differ."""
    if target.__class__ is not np.ndarray or target.dtype != pred.dtype:
        if isinstance(target, Tensor):
            target = target.data
        target = constant_input(name, target, pred).data
    if target.shape != pred.shape:  # it would broadcast, silently
        raise ValueError(f"{name}: predictions have shape {pred.shape} but targets have "
                         f"shape {target.shape}")
    return target


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """(pred - target)², averaged over every element by default."""
    if isinstance(pred, Tensor) and reduction != "none":
        _check_reduction("mse_loss", reduction)
        if pred.size == 0:  # the mean of nothing is not a number
            raise ValueError(f"mse_loss: empty predictions (shape {pred.shape})")
        return squared_error(pred, _target_array("mse_loss", pred, target),
                             1.0 / pred.size if reduction == "mean" else 1.0)
    pred, target = _pairs("mse_loss", pred, target)
    if isinstance(pred, list):
        return _reduce("mse_loss", [(p - t) ** 2 for p, t in zip(pred, target)], reduction)
    _check_reduction("mse_loss", reduction)
    return (pred - target) ** 2


def quadratic_cost(pred: Any, target: Any) -> Any:
    """C = 1/(2n) Σₓ ‖y(x) - a(x)‖², n examples along the first axis (Nielsen's cost)."""
    shape = pred.shape if isinstance(pred, Tensor) else np.asarray(pred, dtype=object).shape
    n = shape[0] if shape else 1
    if n == 0:
        raise ValueError(f"quadratic_cost: empty batch (predictions of shape {shape})")
    if isinstance(pred, Tensor):
        return squared_error(pred, _target_array("quadratic_cost", pred, target),
                             1.0 / (2 * n))
    pred, target = _pairs("quadratic_cost", pred, target)
    return Value.sum([(p - t) ** 2 for p, t in zip(pred, target)]) / (2 * n)


def _probability_targets(name: str, target: Any) -> None:
    """Refuse targets outside [0, 1] (or NaN): the loss has no minimum there, and training
    would push the outputs without bound, as PyTorch's binary_cross_entropy also refuses."""
    values = np.asarray(target if isinstance(target, list) else target.data)
    outside = ~((values >= 0.0) & (values <= 1.0))
    if outside.any():
        raise ValueError(f"{name}: targets must lie in [0, 1] (probabilities of the class "
                         f"1), got {values[outside].flat[0]!r} among {outside.sum()} outside")


def _clipped(p: Value, lo: float, hi: float) -> Value:
    # like Tensor.clip: outside [lo, hi] the value is a constant, with no gradient
    return p if lo <= p.data <= hi else Value(min(max(p.data, lo), hi))


def probability_bounds(dtype: Any) -> tuple[float, float]:
    """The interval `binary_cross_entropy` clips probabilities of `dtype` to: from the
    smallest positive normal number (`tiny`) to the largest number below 1 (1 - `epsneg`).

    Every probability the dtype tells apart from 0 and 1 is kept, with its gradient, and
    both logs stay finite. The lower bound is `tiny`, not the smallest subnormal, because
    the log's derivative 1/p must not overflow: 1/tiny is finite, 1/subnormal need not be.
    """
    info = np.finfo(dtype)
    return float(info.tiny), float(1.0 - info.epsneg)


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean",
                         eps: float | None = None) -> Any:
    """-[t log p + (1-t) log(1-p)] on probabilities p, clipped to keep log away from 0.

    By default the clip is as narrow as the dtype allows (`probability_bounds`: float64
    keeps p up to 1 - 1.1e-16, float32 up to 1 - 6e-8), so a confident wrong prediction
    keeps its gradient wherever the dtype can represent it: for p = sigmoid(z) and t = 0,
    dC/dz = p (= 1 at z = 17 in float64, as the logits form gives). `eps` clips to
    [eps, 1 - eps] instead; inside the clip the gradient is exact, outside it is 0.

    Prefer `binary_cross_entropy_with_logits` when the probabilities come from a sigmoid:
    once sigmoid(z) rounds to exactly 1 (z above about 36.7 in float64, 16.6 in float32)
    or below `tiny` (z below about -708 in float64, -87 in float32), the probability
    no longer says how wrong it is and the gradient here is 0, while the logits form is
    exact and stable at any z (and one node shorter).

    Targets must lie in [0, 1] (ValueError otherwise).
    """
    prob, target = _pairs("binary_cross_entropy", prob, target)
    _probability_targets("binary_cross_entropy", target)
    if isinstance(prob, list):  # Values hold float64
        lo, hi = probability_bounds(np.float64) if eps is None else (eps, 1.0 - eps)
        per = []
        for p, t in zip(prob, target):
            p = _clipped(p, lo, hi)
            per.append(-(t * p.log() + (1.0 - t) * (1.0 - p).log()))
        return _reduce("binary_cross_entropy", per, reduction)
    lo, hi = probability_bounds(prob.dtype) if eps is None else (eps, 1.0 - eps)
    p = prob.clip(lo, hi)
    per = -(target * p.log() + (1.0 - target) * (1.0 - p).log())
    return _reduce("binary_cross_entropy", per, reduction)


def binary_cross_entropy_with_logits(logit: Any, target: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of sigmoid(z), as softplus(z) - t·z: no overflow at any z.
    Targets must lie in [0, 1] (ValueError otherwise)."""
    logit, target = _pairs("binary_cross_entropy_with_logits", logit, target)
    _probability_targets("binary_cross_entropy_with_logits", target)
    if isinstance(logit, list):
        per = [z.softplus() - t * z for z, t in zip(logit, target)]
        return _reduce("binary_cross_entropy_with_logits", per, reduction)
    return _reduce("binary_cross_entropy_with_logits", logit.softplus() - target * logit,
                   reduction)


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy: logsumexp(z) - z[label] for each row of logits (n, classes).

    Computed as one fused, stable node on Tensors (`autograd.cross_entropy`). On Values,
    `logits` is a sequence of rows (one row — one example — is fine too), with the same
    stable log-sum-exp.
    """
    _check_reduction("cross_entropy", reduction)
    if _is_values(logits):
        rows = np.asarray(logits, dtype=object)
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        labels = np.atleast_1d(labels)
        label_positions(labels, rows.shape)
        per = []
        for row, label in zip(rows, labels):
            per.append(logsumexp_values(row) - row[label])
        return _reduce("cross_entropy", per, reduction)
    return fused_cross_entropy(logits, labels, reduction=reduction)


def hinge_loss(score: Any, label: Any, reduction: str = "mean") -> Any:
    """max(0, 1 - y·s) for labels y = ±1: the max-margin loss of micrograd's demo."""
    score, label = _pairs("hinge_loss", score, label)
    label_data = np.asarray(label if isinstance(label, list) else label.data)
    if not np.isin(label_data, (-1.0, 1.0)).all():
        raise ValueError("hinge_loss: labels must be -1 or +1")
    if isinstance(score, list):
        return _reduce("hinge_loss", [(1.0 - y * s).relu() for s, y in zip(score, label)],
                       reduction)
    return _reduce("hinge_loss", (1.0 - label * score).relu(), reduction)


def _penalty(name: str, params: Sequence[Any], term: Any) -> Any:
    params = list(params)
    if not params:
        raise ValueError(f"{name}: no parameters given")
    if all(isinstance(p, Value) for p in params):
        return Value.sum([term(p) for p in params])
    if all(isinstance(p, Tensor) for p in params):
        return reduce(add, [term(p).sum() for p in params])
    raise TypeError(f"{name}: parameters must be all Values or all Tensors")


def l1_penalty(params: Sequence[Any]) -> Any:
    """Σ|w| over every parameter (multiply by a strength λ and add to the loss)."""
    return _penalty("l1_penalty", params, lambda p: p.abs())


def l2_penalty(params: Sequence[Any]) -> Any:
    """Σw² over every parameter (multiply by a strength λ and add to the loss)."""
    return _penalty("l2_penalty", params, lambda p: p * p)
