"""Fused ops for training: `linear` and `cross_entropy`, each one graph node.

Composing them from matmul, add, log_softmax and indexing gives the same numbers, but
a single node with its own derivative saves the intermediate arrays and, in backward,
computes only the gradients whose inputs need one (recorded at forward time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.op import register
from autograd.tensor import Tensor, check_dtypes, result
from autograd.tensor_ops import softmax

REDUCTIONS = ("mean", "sum", "none")


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out, in) and bias (out,), as PyTorch.

    `x` has shape (..., in); the result has shape (..., out).
    """
    if weight.__class__ is not Tensor or weight._array.ndim != 2:
        raise ValueError("linear: weight must be a 2-D Tensor of shape (out, in), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    if x.__class__ is not Tensor:
        x = weight._constant(x)
    w = weight._array
    a = x._array
    if a.dtype != w.dtype:
        check_dtypes("linear", x, weight)
    if a.ndim == 0 or a.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not end in {w.shape[1]} "
                         f"features, as weight of shape {weight.shape} = (out, in) needs")
    y = a @ w.T
    if bias is None:
        return result(y, (x, weight), LINEAR, (x.requires_grad, weight.requires_grad))
    if bias.__class__ is not Tensor or bias._array.shape != (w.shape[0],):
        raise ValueError(f"linear: bias must be a Tensor of shape ({w.shape[0]},), got "
                         f"{getattr(bias, 'shape', type(bias).__name__)}")
    if bias._array.dtype != w.dtype:
        check_dtypes("linear", bias, weight)
    y += bias._array  # y is a fresh array: add in place, no copy
    return result(y, (x, weight, bias), LINEAR,
                  (x.requires_grad, weight.requires_grad, bias.requires_grad))


def _linear_grad(g, out, needs, x, weight, bias=None):
    n_out, n_in = weight.shape
    gx = g @ weight if needs[0] else None
    if g.ndim != 2:  # every leading axis is a batch axis
        g, x = g.reshape(-1, n_out), x.reshape(-1, n_in)
    gw = g.T @ x if needs[1] else None
    if bias is None:
        return gx, gw
    return gx, gw, (g.sum(axis=0) if needs[2] else None)


def cross_entropy(logits: Tensor, labels: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[label] per row, then averaged ("mean"), summed or kept ("none").

    `logits` has shape (N, C); `labels` holds N integers in [0, C).
    """
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError("cross_entropy: logits must be a Tensor of shape (N, C), got "
                         f"{getattr(logits, 'shape', type(logits).__name__)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got "
                         f"{reduction!r}")
    n, classes = logits.shape
    labels = _check_labels(labels._array if isinstance(labels, Tensor) else labels, n, classes)
    a = logits._array
    shifted = a - a.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    losses = np.log(total[:, 0]) - shifted[rows, labels]
    e /= total  # the softmax, kept for backward
    if reduction == "mean":
        loss = losses.sum() / n  # ndarray.mean's Python wrapper costs more than the sum
    elif reduction == "sum":
        loss = losses.sum()
    else:
        loss = losses
    return result(loss, (logits,), CROSS_ENTROPY, (labels, rows, reduction, e))


def _check_labels(labels: Any, n: int, classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: labels have shape {labels.shape}, but logits of "
                         f"shape ({n}, {classes}) need shape ({n},)")
    if n == 0:
        raise ValueError("cross_entropy: empty batch (logits of shape (0, C))")
    # one reduction checks both ends: seen as unsigned, a negative label is huge
    if labels.astype(np.uint64, copy=False).max() >= classes:
        i = int(np.argmax((labels < 0) | (labels >= classes)))
        raise ValueError(f"cross_entropy: label {int(labels[i])} at index {i} is out of range "
                         f"for {classes} classes (0..{classes - 1})")
    return labels


def _cross_entropy_grad(g, out, ctx, logits):
    labels, rows, reduction, probs = ctx
    n = labels.shape[0]
    if logits.__class__ is Tensor:  # create_graph: a differentiable softmax
        onehot = np.zeros(probs.shape, dtype=probs.dtype)
        onehot[rows, labels] = 1.0
        diff = softmax(logits, axis=1) - onehot
    else:
        diff = probs.copy()
        diff[rows, labels] -= 1.0
        if reduction != "none":  # scale in place: one array fewer on the hot path
            diff *= g * (1.0 / n) if reduction == "mean" else g
            return (diff,)
    if reduction == "none":
        return (diff * g.reshape(n, 1),)
    return (diff * (g * (1.0 / n) if reduction == "mean" else g),)


LINEAR = register(
    "linear", "y = xWᵀ + b: ∂/∂x = G·W, ∂/∂W = Gᵀ·x, ∂/∂b = Σ G over the batch",
    engines=("Tensor",), grad=_linear_grad)
CROSS_ENTROPY = register(
    "cross_entropy", "∂(logΣeᵃ - a_y)/∂a = softmax(a) - onehot(y) (÷N for the mean)",
    engines=("Tensor",), grad=_cross_entropy_grad)
