"""Ops that move elements without changing them: reshape, transpose, broadcast, index,
concatenate, stack, pad.

Their gradients move the gradient back the same way (reshape back, transpose by the
inverse permutation, scatter into the indexed places). Results of reshape, transpose and
basic indexing may share memory with their input, as numpy views do: they are then views
of the input's base (`autograd.tensor.view_result`), and a change through one counts as a
change of the base.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from autograd.op import register
from autograd.tensor import Tensor, check_dtypes, result, sum_to, tensor_method, view_result


def _ints(name: str, what: str, items: Any) -> tuple[int, ...]:
    try:
        return tuple(operator.index(i) for i in items)
    except TypeError:
        raise TypeError(f"{name}: {what} must be ints, got {tuple(items)!r}") from None


def _shape_args(shape: tuple) -> tuple:
    """reshape(2, 3) and reshape((2, 3)) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def axis_index(name: str, axis: Any, ndim: int) -> int:
    """`axis` (negative from the end) as an index in [0, ndim); an error names op `name`."""
    k = _ints(name, "axis", (axis,))[0]
    if not -ndim <= k < ndim:
        raise ValueError(f"{name}: axis {k} is out of range for {ndim} dimensions")
    return k % ndim


def normalize_axes(name: str, axis: Any, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """`axis` as a sorted tuple of non-negative ints (None stays None), checked."""
    if axis is None:
        return None
    ndim = len(shape)
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = []
    for item in items:
        try:
            k = operator.index(item)
        except TypeError:
            raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {axis!r}"
                            ) from None
        if not -ndim <= k < ndim:
            raise ValueError(f"{name}: axis {k} is out of range for shape {shape}")
        axes.append(k % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


# -- reshape, and the ops made of it ----------------------------------------------------
@tensor_method()
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape; one entry may be -1 (inferred)."""
    new = _ints("reshape", "shape", _shape_args(shape))
    try:
        data = RESHAPE.forward(x.data, new)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape shape {x.shape} ({x.size} elements) "
                         f"into {new}") from None
    return view_result(data, x, RESHAPE)


def reshape_forward(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return a.reshape(shape)


def reshape_grad(g, out, ctx, a):
    return (g.reshape(a.shape),)


RESHAPE = register(
    "reshape", "∂reshape(a)/∂a: the gradient reshaped back", engines=("Tensor",),
    forward=reshape_forward, grad=reshape_grad)


@tensor_method()
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes start_dim..end_dim (inclusive) into one."""
    shape = x.shape
    if not shape:
        return reshape(x, 1)
    start = axis_index("flatten", start_dim, len(shape))
    end = axis_index("flatten", end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"for shape {shape}")
    merged = int(np.prod(shape[start:end + 1]))
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


@tensor_method()
def squeeze(x: Tensor, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop length-1 axes (all of them, or the given ones, which must have length 1)."""
    shape = x.shape
    if axis is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    axes = normalize_axes("squeeze", axis, shape)
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has length {shape[a]}, not 1 (shape {shape})")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


@tensor_method()
def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert a length-1 axis at position `axis` (of the result)."""
    shape = x.shape
    k = axis_index("unsqueeze", axis, len(shape) + 1)
    return reshape(x, shape[:k] + (1,) + shape[k:])


# -- transpose --------------------------------------------------------------------------
@tensor_method("transpose", "permute")
def transpose(x: Tensor, *axes: Any) -> Tensor:
    """Permute the axes (reverse them when none are given), like numpy's transpose."""
    ndim = x.ndim
    axes = _shape_args(axes)
    if not axes:
        axes = tuple(range(ndim))[::-1]
    axes = _ints("transpose", "axes", axes)
    if sorted(a % ndim if -ndim <= a < ndim else a for a in axes) != list(range(ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {ndim} axes "
                         f"of shape {x.shape}")
    axes = tuple(a % ndim for a in axes)
    return view_result(TRANSPOSE.forward(x.data, axes), x, TRANSPOSE, axes)


def transpose_forward(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return a.transpose(axes)


def transpose_grad(g, out, axes, a):
    return (g.transpose(tuple(np.argsort(axes).tolist())),)


TRANSPOSE = register(
    "transpose", "∂transpose(a)/∂a: the gradient transposed back (inverse permutation)",
    engines=("Tensor",), forward=transpose_forward, grad=transpose_grad)
Tensor.T = property(transpose, doc="The axes reversed (numpy's name).")


@tensor_method()
def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    order = list(range(x.ndim))
    a, b = axis_index("swapaxes", axis1, x.ndim), axis_index("swapaxes", axis2, x.ndim)
    order[a], order[b] = order[b], order[a]
    return transpose(x, tuple(order))


# -- broadcast_to -----------------------------------------------------------------------
def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """`x` repeated along broadcast axes up to `shape` (a copy, so it is writable)."""
    shape = _ints("broadcast_to", "shape", shape)
    try:
        data = BROADCAST_TO.forward(x.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return result(data, (x,), BROADCAST_TO)


def broadcast_to_forward(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.array(np.broadcast_to(a, shape))


def broadcast_to_grad(g, out, ctx, a):
    return (sum_to(g, a.shape),)


BROADCAST_TO = register(
    "broadcast_to", "∂broadcast(a)/∂a: the gradient summed over the broadcast axes",
    engines=("Tensor",), forward=broadcast_to_forward, grad=broadcast_to_grad)


# -- indexing, and its adjoint index_add ------------------------------------------------
class IndexCtx(NamedTuple):
    index: Any  # the numpy index, Tensors and ranges turned into arrays
    advanced: bool  # an integer-array or mask index, which may repeat an element


def _index_parts(index: Any) -> tuple[Any, bool]:
    """The index with Tensors and ranges as arrays, and whether it is an advanced index."""
    items = index if isinstance(index, tuple) else (index,)
    parts, advanced = [], False
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, range):
            item = np.arange(item.start, item.stop, item.step)
        if isinstance(item, (np.ndarray, list)):
            advanced = True
        parts.append(item)
    return (tuple(parts) if isinstance(index, tuple) else parts[0]), advanced


@tensor_method("__getitem__")
def getitem(x: Tensor, index: Any) -> Tensor:
    """numpy indexing: ints, slices, None, ..., boolean masks and integer arrays."""
    index, advanced = _index_parts(index)
    try:
        data = GETITEM.forward(x.data, index)
    except IndexError as error:
        raise IndexError(f"getitem: {error} (tensor shape {x.shape})") from None
    except (TypeError, ValueError) as error:
        raise IndexError(f"getitem: bad index {index!r} for shape {x.shape}: {error}") from None
    return view_result(data, x, GETITEM, IndexCtx(index, advanced))


def getitem_forward(a: np.ndarray, index: Any) -> np.ndarray:
    return a[index]


def getitem_grad(g, out, ctx, a):
    return (index_add(g, a.shape, ctx.index, ctx.advanced),)


GETITEM = register(
    "getitem", "∂a[i]/∂a: the gradient scattered into place i (added where i repeats)",
    engines=("Tensor",), forward=getitem_forward, grad=getitem_grad)


def index_add(g: Any, shape: tuple[int, ...], index: Any, advanced: bool) -> Any:
    """A zero array of `shape` with `g` added at `index`: the adjoint of indexing."""
    if g.__class__ is Tensor:
        data = INDEX_ADD.forward(g.data, shape, index, advanced)
        return result(data, (g,), INDEX_ADD, index)
    return INDEX_ADD.forward(g, shape, index, advanced)


def index_add_forward(g: np.ndarray, shape: tuple[int, ...], index: Any,
                      advanced: bool) -> np.ndarray:
    grad = np.zeros(shape, dtype=g.dtype)
    if advanced:
        np.add.at(grad, index, g)  # a repeated index collects every gradient sent to it
    else:
        grad[index] = g  # basic indexing never repeats an element
    return grad


def index_add_grad(g, out, index, a):
    return (g[index],)


INDEX_ADD = register(
    "index_add", "∂(0 with g added at i)/∂g = the gradient at i", engines=("Tensor",),
    forward=index_add_forward, grad=index_add_grad)


# -- joining and padding ----------------------------------------------------------------
def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of equal shape (except along `axis`) end to end."""
    tensors = tuple(tensors)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("concatenate: needs a non-empty sequence of Tensors")
    first = tensors[0]
    if not first.ndim:
        raise ValueError("concatenate: cannot join 0-d tensors (use stack)")
    k = axis_index("concatenate", axis, first.ndim)
    for i, t in enumerate(tensors):
        check_dtypes("concatenate", first, t)
        if t.ndim != first.ndim or any(
                a != b for j, (a, b) in enumerate(zip(t.shape, first.shape)) if j != k):
            raise ValueError(f"concatenate: tensor {i} has shape {t.shape}, but tensor 0 has "
                             f"shape {first.shape}; they must agree except along axis {k}")
    edges = np.cumsum([0] + [t.shape[k] for t in tensors]).tolist()
    # each input's place in the result, for the gradient
    pieces = tuple((slice(None),) * k + (slice(lo, hi),) for lo, hi in zip(edges, edges[1:]))
    data = CONCATENATE.forward([t.data for t in tensors], k)
    return result(data, tensors, CONCATENATE, pieces)


def concatenate_forward(arrays: Sequence[np.ndarray], axis: int) -> np.ndarray:
    return np.concatenate(arrays, axis=axis)


def concatenate_grad(g, out, pieces, *inputs):
    return tuple(g[p] for p in pieces)


CONCATENATE = register(
    "concatenate", "∂concat(a, b, ...)/∂a: the gradient's slice where a went",
    engines=("Tensor",), forward=concatenate_forward, grad=concatenate_grad)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = tuple(tensors)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("stack: needs a non-empty sequence of Tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, but tensor 0 has shape "
                             f"{tensors[0].shape}")
    k = axis_index("stack", axis, tensors[0].ndim + 1)
    return concatenate([unsqueeze(t, k) for t in tensors], axis=k)


@tensor_method()
def pad(x: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with a constant; `pad_width` as numpy's: n, (before, after) or one pair per axis."""
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit shape {x.shape}") from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative ints, got {pad_width!r}")
    widths = tuple((int(lo), int(hi)) for lo, hi in widths)
    inside = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
    return result(PAD.forward(x.data, widths, value), (x,), PAD, inside)


def pad_forward(a: np.ndarray, widths: tuple[tuple[int, int], ...], value: float
                ) -> np.ndarray:
    return np.pad(a, widths, constant_values=value)


def pad_grad(g, out, inside, a):
    return (g[inside],)


PAD = register(
    "pad", "∂pad(a)/∂a: the gradient without the padding", engines=("Tensor",),
    forward=pad_forward, grad=pad_grad)
