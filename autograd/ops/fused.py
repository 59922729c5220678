"""Fused ops for training: `linear` (optionally with its activation), `cross_entropy` and
`squared_error` (the quadratic cost and mean squared error), each one graph node.

Composing them from matmul, add, activations, log_softmax and indexing gives the same
numbers, but a single node with its own derivative saves the intermediate arrays and, in
backward, computes only the gradients whose inputs need one (recorded at forward time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from autograd.op import OPS, Op, register
from autograd.ops.softmax import shifted_by_max, softmax
from autograd.tape import recorded_in_capture
from autograd.tensor import Tensor, check_dtypes, constant_input, result

REDUCTIONS = ("mean", "sum", "none")  # how a loss combines its per-example values


# -- linear -----------------------------------------------------------------------------
class LinearCtx(NamedTuple):
    x_needs_grad: bool
    weight_needs_grad: bool
    bias_needs_grad: bool  # False when there is no bias
    activation: Op | None  # the fused activation, whose rule starts the backward


def linear(x: Any, weight: Tensor, bias: Tensor | None = None,
           activation: str | None = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out, in) and bias (out,), as PyTorch.

    `x` has shape (..., in); the result has shape (..., out). With `activation` (a name of
    `ACTIVATED_LINEAR`: "relu", "sigmoid" or "tanh") the node also applies it, as Keras'
    Dense(activation=...) does: one node instead of two, whose backward starts from the
    activation's derivative. Raises ValueError for wrong shapes or an unknown activation,
    TypeError for mixed dtypes.
    """
    if activation is None:
        op = LINEAR
        fused = None
    else:
        op = ACTIVATED_LINEAR.get(activation)
        if op is None:
            raise ValueError(f"linear: activation must be None or one of "
                             f"{sorted(ACTIVATED_LINEAR)}, got {activation!r}")
        fused = OPS[activation]
    # the checks read the arrays' own attributes, and compare dtypes by identity first:
    # the node is made once per layer and step, and a small model's step notices
    if weight.__class__ is not Tensor or weight._array.ndim != 2:
        raise ValueError("linear: weight must be a 2-D Tensor of shape (out, in), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    w = weight._array
    if x.__class__ is not Tensor:
        x = constant_input("linear", x, weight)
    a = x._array
    if a.dtype is not w.dtype and a.dtype != w.dtype:
        check_dtypes("linear", x, weight)
    n_out, n_in = w.shape
    if a.ndim == 0 or a.shape[-1] != n_in:
        raise ValueError(f"linear: input of shape {x.shape} does not end in {n_in} "
                         f"features, as weight of shape {weight.shape} = (out, in) needs")
    if bias is None:
        y = op.forward(a, w, None, fused)
        inputs = (x, weight)
        needs = (x.requires_grad, weight.requires_grad, False, fused)
    else:
        if bias.__class__ is not Tensor or bias._array.shape != (n_out,):
            raise ValueError(f"linear: bias must be a Tensor of shape ({n_out},), got "
                             f"{getattr(bias, 'shape', type(bias).__name__)}")
        b = bias._array
        if b.dtype is not w.dtype and b.dtype != w.dtype:
            check_dtypes("linear", bias, weight)
        y = op.forward(a, w, b, fused)
        inputs = (x, weight, bias)
        needs = (x.requires_grad, weight.requires_grad, bias.requires_grad, fused)
    return result(y, inputs, op, tuple.__new__(LinearCtx, needs))  # no LinearCtx() call


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
                   activation: Op | None) -> np.ndarray:
    if x.ndim > 2:  # np.dot runs BLAS on 2-D arrays only: fold the batch axes into one
        y = np.dot(x.reshape(-1, x.shape[-1]), weight.T).reshape(x.shape[:-1] + (-1,))
    else:
        y = np.dot(x, weight.T)  # = x @ weight.T; see `linear_grad` on np.dot
    if bias is not None:
        y += bias  # y is a fresh array: add in place, no copy
    return y if activation is None else activation.forward(y)


def linear_grad(g, out, ctx, x, weight, bias=None, into=(None, None, None)):
    x_needs_grad, weight_needs_grad, bias_needs_grad, activation = ctx  # one unpacking
    if activation is not None:
        # out stands in for the activation's input: a fusable activation's rule reads
        # only its output (autograd.op), so the node keeps no pre-activation array
        (g,) = activation.grad(g, out, None, out)
    # np.dot hands 2-D products straight to BLAS, skipping the matmul ufunc's dispatch,
    # which is a large part of the cost at a training step's sizes. A create_graph
    # Tensor needs @. `into`: the destinations of the weight's and bias' gradients, when
    # the backward pass gives them (Op.grad_into)
    plain = g.__class__ is np.ndarray
    if g.ndim == 2:
        gx = (np.dot(g, weight) if plain else g @ weight) if x_needs_grad else None
    else:  # every leading axis is a batch axis: 2-D products, which np.dot hands to BLAS
        n_out, n_in = weight.shape
        batch_shape = g.shape[:-1]
        g, x = g.reshape(-1, n_out), x.reshape(-1, n_in)
        if not x_needs_grad:
            gx = None
        elif plain:  # written through a 2-D view: the gradient owns its memory
            gx = np.empty(batch_shape + (n_in,), dtype=g.dtype)
            np.dot(g, weight, out=gx.reshape(-1, n_in))
        else:
            gx = (g @ weight).reshape(batch_shape + (n_in,))
    gw = (np.dot(g.T, x, out=into[1]) if plain else g.T @ x) if weight_needs_grad else None
    if not bias_needs_grad:  # no bias, or a constant one
        return (gx, gw) if bias is None else (gx, gw, None)
    # Σ over the batch as a product with ones
    return gx, gw, (np.dot(ones(len(g), g.dtype), g, out=into[2]) if plain else g.sum(axis=0))


_KEPT: dict[tuple, np.ndarray] = {}


def kept(make: Callable, n: int, dtype: np.dtype) -> np.ndarray:
    """`make(n, dtype=dtype)` (np.ones, np.arange), read-only, kept for the next call with
    the same arguments: a training step asks for the same few at every batch."""
    vector = _KEPT.get((make, n, dtype))
    if vector is None:
        if len(_KEPT) >= 64:  # a few batch sizes repeat; anything else is not worth keeping
            _KEPT.clear()
        vector = _KEPT[make, n, dtype] = make(n, dtype=dtype)
        vector.flags.writeable = False
    return vector


def ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones (`kept`).

    Summing the rows of a small (batch, features) array as `ones @ g` runs in BLAS, which
    beats numpy's reduction over axis 0 at these sizes (benchmarks/mnist_overhead.py), as
    Caffe computed its bias gradients.
    """
    return kept(np.ones, n, dtype)


LINEAR = register(
    "linear", "y = xWᵀ + b: ∂/∂x = G·W, ∂/∂W = Gᵀ·x, ∂/∂b = Σ G over the batch",
    engines=("Tensor",), forward=linear_forward, grad=linear_grad, exact_grads=True,
    grad_into=True)
# one op per activation registered `fusable` (all of autograd.ops.elementwise, which
# autograd.tensor imports, is registered by now)
ACTIVATED_LINEAR = {
    name: register(f"linear_{name}", f"y = {name}(xWᵀ + b): G ← G·{name}'(y), then as linear",
                   engines=("Tensor",), forward=linear_forward, grad=linear_grad,
                   exact_grads=True, grad_into=True)
    for name, activation in list(OPS.items()) if activation.fusable
}


# -- cross_entropy ----------------------------------------------------------------------
class CrossEntropyCtx(NamedTuple):
    picked: np.ndarray  # flat index of each row's label in the logits
    reduction: str
    exps: np.ndarray  # exp(logits - row max), (N, C)
    row_sums: np.ndarray  # Σ exps per row, (N, 1): softmax = exps / row_sums


def cross_entropy(logits: Tensor, labels: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[label] per row, then averaged ("mean"), summed or kept ("none").

    `logits` has shape (N, C); `labels` holds N integers in [0, C). Raises ValueError for
    other shapes, an empty batch or a label out of range, TypeError for non-integer labels.
    """
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError("cross_entropy: logits must be a Tensor of shape (N, C), got "
                         f"{getattr(logits, 'shape', type(logits).__name__)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got "
                         f"{reduction!r}")
    a = logits.data
    labels = labels.data if labels.__class__ is Tensor else labels
    picked = label_positions(labels, a.shape)  # flat index of each row's label
    loss, ctx = CROSS_ENTROPY.forward(a, picked, reduction)
    return result(loss, (logits,), CROSS_ENTROPY, ctx)


@recorded_in_capture  # a compiled step checks each batch's labels again
def label_positions(labels: Any, shape: tuple[int, int]) -> np.ndarray:
    """Flat indices (row · C + label) into logits of `shape`, after checking the labels."""
    n, classes = shape
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: labels have shape {labels.shape}, but logits of "
                         f"shape ({n}, {classes}) need shape ({n},)")
    if n == 0:
        raise ValueError("cross_entropy: empty batch (logits of shape (0, C))")
    try:  # refuses a label outside [0, C), negative ones included
        return np.ravel_multi_index((kept(np.arange, n, np.intp), labels), shape)
    except ValueError:
        bad = (labels < 0) | (labels >= classes)
        i = int(np.argmax(bad))
        raise ValueError(f"cross_entropy: label {int(labels[i])} at index {i} is out of range "
                         f"for {classes} classes (0..{classes - 1})") from None


def cross_entropy_forward(a: np.ndarray, picked: np.ndarray, reduction: str
                          ) -> tuple[np.ndarray, CrossEntropyCtx]:
    """The loss, and what backward needs: the softmax as exps / row_sums, left undivided
    so that a forward without backward (evaluation) skips the division."""
    n = a.shape[0]
    shifted, _ = shifted_by_max(a, 1)
    e = np.exp(shifted)
    total = np.dot(e, ones(e.shape[1], e.dtype))  # the row sums (see `ones`)
    losses = np.log(total) - shifted.take(picked)  # logΣeᵃ - a_y, both shifted by the max
    if reduction == "none":
        loss = losses
    else:
        loss = np.dot(ones(n, losses.dtype), losses)
        if reduction == "mean":
            loss = loss / n
    return loss, tuple.__new__(CrossEntropyCtx, (picked, reduction, e, total.reshape(n, 1)))


def cross_entropy_grad(g, out, ctx, logits):
    e = ctx.exps
    n = e.shape[0]
    reduction = ctx.reduction
    if logits.__class__ is Tensor:  # create_graph: a differentiable softmax
        onehot = np.zeros(e.shape, dtype=e.dtype)
        onehot.reshape(-1)[ctx.picked] = 1.0
        per_row = g.reshape(n, 1) if reduction == "none" else (
            g * (1.0 / n) if reduction == "mean" else g)
        return ((softmax(logits, axis=1) - onehot) * per_row,)
    if reduction == "none":
        per_row = g.reshape(n, 1)  # the gradient reaching each row's loss
    else:  # one number: a Python float scales an array faster than a 0-d array does
        per_row = float(g) / n if reduction == "mean" else float(g)
    # (softmax - onehot) · per_row, scaling the softmax as it is formed
    diff = e * (per_row / ctx.row_sums)
    diff.reshape(-1)[ctx.picked] -= per_row.reshape(-1) if reduction == "none" else per_row
    return (diff,)


CROSS_ENTROPY = register(
    "cross_entropy", "∂(logΣeᵃ - a_y)/∂a = softmax(a) - onehot(y) (÷N for the mean)",
    engines=("Tensor",), forward=cross_entropy_forward, grad=cross_entropy_grad,
    exact_grads=True)


# -- squared_error -------------------------------------------------------------------------
class SquaredErrorCtx(NamedTuple):
    diff: np.ndarray  # pred - target, a new array: the node keeps no reference to target
    scale: float


def squared_error(pred: Tensor, target: np.ndarray, scale: float) -> Tensor:
    """scale · Σ (pred - target)² as one node, for `nn.quadratic_cost` (scale 1/(2n)) and
    `nn.mse_loss` (1/size, or 1): one node where subtract, square, sum and scale made four.
    `target` is an array of pred's shape and dtype, a constant (nn.losses checks both); it
    is read once, by the forward, so it needs no copy of its own: the derivative reads
    pred - target, which the forward computed."""
    if target.shape != pred.shape:  # it would broadcast, silently
        raise ValueError(f"squared_error: predictions have shape {pred.shape} but targets "
                         f"have shape {target.shape}")
    loss, ctx = SQUARED_ERROR.forward(pred.data, target, scale)
    return result(loss, (pred,), SQUARED_ERROR, ctx)


def squared_error_forward(a: np.ndarray, target: np.ndarray, scale: float
                          ) -> tuple[np.ndarray, SquaredErrorCtx]:
    diff = a - target
    flat = diff.reshape(-1)
    # Σ d² as one BLAS dot product (see `ones`), scaled as a Python float keeps the dtype
    return np.dot(flat, flat) * scale, tuple.__new__(SquaredErrorCtx, (diff, scale))


def squared_error_grad(g, out, ctx, a):
    if a.__class__ is Tensor:  # create_graph: differentiable in a (and in g)
        # a - target as a graph in a: the forward's difference plus a - a, which is exactly 0
        # (a finite; a changed in place is refused before the rule runs) and has
        # derivative 1 in a
        return ((a - a.detach() + ctx.diff) * (g * (2.0 * ctx.scale)),)
    grad = ctx.diff * (2.0 * ctx.scale * float(g))
    return (grad if grad.__class__ is np.ndarray else np.asarray(grad),)  # 0-d: a scalar


SQUARED_ERROR = register(
    "squared_error", "∂(s·Σ(a - y)²)/∂a = 2s·(a - y)",
    engines=("Tensor",), forward=squared_error_forward, grad=squared_error_grad,
    exact_grads=True)
