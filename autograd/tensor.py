"""`Tensor`: a numpy array that remembers how it was computed.

    >>> from autograd import Tensor
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True, label="x")
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)

The elementwise ops are the very ones `Value` uses (autograd.ops.elementwise); their
rules run on arrays unchanged. A Tensor is float32 unless asked for float64, and the two
never mix silently. Broadcasting follows numpy; `_accept_grad` sums a gradient back to the
shape of the input it belongs to.

The other methods (`sum`, `reshape`, `@`, `softmax`, ...) belong to the op modules of
`autograd.ops`, which attach them with `tensor_method`: each op is written in one place,
and this module imports none of them (`import autograd` loads them all).

In-place changes are tracked by a version counter: assigning `.data` or using `+=`,
`-=`, `*=`, `/=` bumps `_version` (so does `mark_modified()`). Every recorded node saves
its inputs' versions, and backward refuses to use a tensor that changed since (its
gradient would be wrong). A view (the result of reshape, transpose, basic indexing or
`detach` that shares its input's memory) keeps a reference to its `_base`, the tensor
owning that memory: as in PyTorch, a change through any view counts as a change of the
base, and the version saved for a view is its base's, so every view sees it.

Op authors build results with `result(array, inputs, op, ctx)` and turn numbers or arrays
into constants with `constant_input`; `check_dtypes` and `float_dtype` check dtypes.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Iterable
from sys import getrefcount
from typing import Any

import numpy as np

import autograd.engine as engine
import autograd.mathfn as m
from autograd.node import Node, recording
from autograd.op import Op
from autograd.ops import elementwise as ew
from autograd.tape import derived, recorded

# The most elements an op or a layer allocates because of a size setting (8 GiB of
# float32): beyond it, a setting (padding=10**6, a layer of 10**7 units) is a mistake, which
# gets an error naming it rather than numpy's MemoryError or an exhausted machine.
MAX_ELEMENTS = 2 ** 31

FLOAT_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
_new = object.__new__


_KNOWN_DTYPES = {key: dtype for dtype in FLOAT_DTYPES.values()
                 for key in (dtype, dtype.name, dtype.type)}


def float_dtype(dtype: Any) -> np.dtype:
    """`dtype` (a name, numpy type or dtype) as float32 or float64; ValueError otherwise."""
    known = _KNOWN_DTYPES.get(dtype) if dtype.__hash__ is not None else None
    if known is not None:
        return known
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"Tensor: dtype must be float32 or float64, got {dtype!r}")
    return resolved


def _make(array: Any, parents: tuple | None = None, op: Op | None = None,
          ctx: Any = None) -> Tensor:
    """A result tensor; `parents=None` records nothing (a constant or an untracked result)."""
    t = _new(Tensor)
    # numpy returns a scalar, not a 0-d array, from ops on 0-d arrays
    t._array = array if array.__class__ is np.ndarray else np.asarray(array)
    t.grad = None
    t.label = ""
    t._version = 0
    t._base = None
    t._grad_buffer = None
    if parents is None:
        t.parents = ()
        t.op = None
        t.ctx = None
        t.requires_grad = False
        t._saved_versions = ()
    else:
        t.parents = parents
        t.op = op
        t.ctx = ctx
        t.requires_grad = True
        t._saved_versions = _versions(parents)
    return t


def _version_of(t: Tensor) -> int:
    """The version that counts for `t`: its base's when it is a view."""
    return t._version if t._base is None else t._base._version


def _versions(parents: tuple) -> tuple[int, ...]:
    """The parents' versions (`_version_of`), spelled out for the common arities: a
    function call or tuple(map(...)) per node costs more on this hot path."""
    n = len(parents)
    if n == 2:
        a, b = parents
        return (a._version if a._base is None else a._base._version,
                b._version if b._base is None else b._base._version)
    if n == 1:
        a = parents[0]
        return (a._version if a._base is None else a._base._version,)
    if n == 3:
        a, b, c = parents
        return (a._version if a._base is None else a._base._version,
                b._version if b._base is None else b._base._version,
                c._version if c._base is None else c._base._version)
    return tuple(map(_version_of, parents))


def default_dtype(data: Any) -> np.dtype:
    """The dtype a Tensor of `data` gets when none is asked for: a float32 or float64
    array's (or numpy scalar's) own, as in PyTorch; float32 for a float16 one (which it
    holds exactly), for Python numbers and lists, and for integer or boolean arrays."""
    kind = getattr(data, "dtype", None)
    if kind is None or kind.kind != "f" or kind == np.float16:
        return FLOAT_DTYPES["float32"]
    if kind.name not in FLOAT_DTYPES:
        raise TypeError(f"Tensor: a {kind} array cannot be held exactly; pass "
                        "dtype='float64' (or 'float32') to convert it")
    return kind


def _float_array(data: Any, dtype: np.dtype, name: str) -> np.ndarray:
    """`data` as an array of `dtype` (not copied when it is one already).

    Anything but real numbers raises a TypeError naming `name`, where numpy would turn a
    None into nan, parse a string, drop an imaginary part or fail from deep inside; an int
    too large for a float is a ValueError.
    """
    if isinstance(data, (list, tuple)):
        flat = np.asarray(data, dtype=object).ravel()
        for value in flat:  # (a list left here is a ragged row: numpy's error says so below)
            if not isinstance(value, (numbers.Real, list, tuple, np.ndarray)):
                raise TypeError(f"{name}: data must be numbers, got {type(value).__name__} "
                                f"{value!r}")
    elif data.__class__ is not float and data.__class__ is not int:
        kind = (data if isinstance(data, (np.ndarray, np.generic)) else np.asarray(data)).dtype
        if kind.kind not in "fiub":
            raise TypeError(f"{name}: expected real numbers, got {type(data).__name__} of "
                            f"dtype {kind}")
    try:
        array = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as error:  # a ragged list
        raise TypeError(f"{name}: cannot make a {dtype} array from {type(data).__name__}: "
                        f"{error}") from None
    except OverflowError:  # a Python int beyond float's range
        raise ValueError(f"{name}: a number in the data is too large for a float") from None
    if array is not data and data.__class__ is np.ndarray:
        derived(array, np.asarray, data, dtype=dtype)  # a compiled step converts again
    return array


def constant(array: np.ndarray) -> Tensor:
    """A Tensor that holds `array` itself (not a copy) and records nothing: a result made
    outside any op, such as a compiled step's replayed loss."""
    return _make(array)


def mark_modified(tensors: Iterable[Tensor]) -> None:
    """`Tensor.mark_modified` for each of `tensors`, in one call (an optimizer's step
    marks all its parameters)."""
    for t in tensors:
        t._version += 1
        if t._base is not None:  # the base's views read its version: they all see it
            t._base._version += 1


def hand_out_grad_buffers(tensors: list[Tensor], buffers: list[np.ndarray], whole: np.ndarray,
                          twins: list[np.ndarray], twin: np.ndarray) -> bool:
    """Make `buffers` (views of one array, `whole`, checked once by the `grad_buffer`
    setter) the tensors' `grad_buffer`s again if nothing outside holds a part of `whole`
    (a `.grad` kept from an earlier step, or a view of one: it must never be overwritten),
    else none; returns whether it did. An optimizer's `zero_grad`.

    What holds them is told by reference counts, against `twins`: views of `twin` laid
    out as `buffers` are of `whole`, which nothing else holds. Counted side by side in
    this one frame, the two differ only by the outside holders, whatever the Python
    version, a debugger or a tracer add to a frame's counts."""
    for t in tensors:
        t._grad_buffer = None
    # numpy's views keep their base (views of views too), so a kept part of a buffer
    # shows in the count of `whole`, a kept `.grad` in its buffer's
    if getrefcount(whole) != getrefcount(twin) or list(map(getrefcount, buffers)) != list(
            map(getrefcount, twins)):
        return False
    for t, buffer in zip(tensors, buffers):
        t._grad_buffer = buffer
    return True


def result(array: Any, inputs: tuple, op: Op, ctx: Any = None) -> Tensor:
    """The output of `op` on `inputs`: recorded iff recording and some input needs a grad."""
    if recording.on:
        for t in inputs:
            if t.requires_grad:
                return _make(array, inputs, op, ctx)
    return _make(array)


def view_result(array: np.ndarray, x: Tensor, op: Op, ctx: Any = None) -> Tensor:
    """`result` for an op that may return a view of its input's array (reshape,
    transpose, basic indexing): when `array` shares x's memory, the result is a view of
    x's base (see the module docstring), under no_grad too."""
    out = result(array, (x,), op, ctx)
    owner = array.base
    if owner is not None:
        source = x._array
        # numpy gives a view of a view the same .base as its parent: the memory's owner
        if owner is source or owner is source.base:
            out._base = x if x._base is None else x._base
    return out


def constant_input(name: str, x: Any, like: Tensor) -> Tensor:
    """A number or array `x` as a constant Tensor of `like`'s dtype, for op `name`."""
    constant = like._constant(x, name)
    if constant is NotImplemented:
        raise TypeError(f"{name}: input must be a Tensor, a number or an array, got "
                        f"{type(x).__name__}")
    return constant


def check_dtypes(name: str, a: Tensor, b: Tensor) -> None:
    if a._array.dtype != b._array.dtype:
        raise TypeError(f"{name}: dtype mismatch {a._array.dtype} vs {b._array.dtype}; "
                        f"use .astype(...)")


def tensor_pair(name: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands of op `name` as Tensors of one dtype (a number or array takes the
    Tensor's dtype); TypeError when neither is a Tensor or the dtypes differ."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{name}: needs at least one Tensor operand")
        a = constant_input(name, a, b)
    elif not isinstance(b, Tensor):
        b = constant_input(name, b, a)
    check_dtypes(name, a, b)
    return a, b


class Tensor(ew.ElementwiseMethods, Node):
    """An n-dimensional float array with a gradient.

    `data` is a numpy array of float32 or float64: `dtype=` chooses; without it a float32
    or float64 array keeps its dtype (as `torch.tensor` does), and numbers, lists, integer
    arrays and float16 arrays become float32 (`default_dtype`). `grad` is None until a
    backward pass, then an array of the same shape (a Tensor with create_graph=True).

    The arithmetic operators and elementwise methods come from `ElementwiseMethods`; the
    others are attached by their op modules (`import autograd` loads them all): `astype`
    (ops.cast); `reshape`, `flatten`, `squeeze`, `unsqueeze`, `transpose`/`permute`, `T`,
    `swapaxes`, `pad`, indexing (ops.shape); `sum`, `mean`, `max`, `min`, `logsumexp`,
    `argmax` (ops.reduce); `@`/`matmul` (ops.linalg); `clip`, `maximum`, `minimum`
    (ops.select); `softmax`, `log_softmax` (ops.softmax).
    """

    # _base: the tensor whose memory this one views (None: its own), see the module docstring
    __slots__ = ("_array", "requires_grad", "_version", "_saved_versions", "_base",
                 "_grad_buffer")
    checks_versions = True
    _raw = operator.attrgetter("_array")  # for the traversal: no property call
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 label: str = "") -> None:
        if isinstance(data, Tensor):
            data = data._array
        dtype = default_dtype(data) if dtype is None else float_dtype(dtype)
        array = _float_array(data, dtype, "Tensor")
        # a copy when `data` is an array already: the tensor owns its memory
        if array is data or array.base is not None:
            own = array.copy()
            derived(own, np.ndarray.copy, array)  # a compiled step copies again
            array = own
        self._array = array
        self.grad = None
        self.parents = ()
        self.op = None
        self.ctx = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._version = 0
        self._base = None
        self._grad_buffer = None
        self._saved_versions = ()

    # -- the array ----------------------------------------------------------------------
    def _set_data(self, value: Any) -> None:
        # `t.data -= x` edits the array, then calls this setter with that same array
        if value is not self._array:
            value = np.asarray(value._array if isinstance(value, Tensor) else value,
                               dtype=self._array.dtype)
        self._array = value
        self.mark_modified()

    # read on every op and backward step: a C getter (attrgetter) costs less than a method
    data = property(_raw, _set_data, doc="The numpy array; assigning it counts as an "
                    "in-place change (the version is bumped).")

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def size(self) -> int:
        return self._array.size

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    def numpy(self) -> np.ndarray:
        """The array itself (shared, not copied)."""
        return self._array

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self._array
        return np.array(self._array, dtype=dtype, copy=True)

    def item(self) -> float:
        if self._array.size != 1:
            raise ValueError(f"item: tensor has shape {self.shape}, not a single element")
        return float(self._array.reshape(()))

    __float__ = item

    def __len__(self) -> int:
        if not self._array.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(self._array, separator=", ", prefix="Tensor(")
        extra = f", dtype={self.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self.op is not None:
            extra += f", op={self.op.name!r}"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    def detach(self) -> Tensor:
        """The same array (shared) as a new leaf that needs no gradient.

        The result is a view: an in-place change through it (`d += 1`, `d.data = ...`)
        counts as a change of this tensor too, so a graph that used it refuses to
        backpropagate. Writes into
        the numpy array itself (`t.data[0] = 5`, `t.numpy()[...] = ...`) are not tracked.
        """
        detached = _make(self._array)
        detached._base = self if self._base is None else self._base
        return detached

    # -- elementwise ops (shared with Value) --------------------------------------------
    def _constant(self, x: Any, name: str = "Tensor") -> Tensor:
        """`x` as a constant of this tensor's dtype for op `name`; NotImplemented if it is
        no number, list or array. Strings, objects, complex numbers or a None among the
        numbers raise TypeError (numpy would give an error from deep inside, or a nan)."""
        if x.__class__ is float:  # the common case, checked first (an int may not fit)
            return _make(np.array(x, dtype=self._array.dtype))
        # ndarray first: isinstance stops at the first match, and numbers.Real is an ABC
        if isinstance(x, (np.ndarray, numbers.Real, np.generic, list, tuple)):
            return _make(_float_array(x, self._array.dtype, name))
        return NotImplemented

    def _binary(self, op: Op, other: Any) -> Tensor:
        if other.__class__ is not Tensor:
            other = self._constant(other, op.name)
            if other is NotImplemented:
                return NotImplemented
        a = self._array
        b = other._array
        if a.dtype is not b.dtype and a.dtype != b.dtype:
            check_dtypes(op.name, self, other)
        try:
            data = op.forward(a, b)
        except ValueError:
            raise ValueError(f"{op.name}: shapes {a.shape} and {b.shape} do not broadcast"
                             ) from None
        if recording.on:
            if self.requires_grad:
                return _make(data, (self, other), op, None if other.requires_grad else ew.ONLY_A)
            if other.requires_grad:
                return _make(data, (self, other), op, ew.ONLY_B)
        return _make(data)

    def _reflected(self, op: Op, other: Any) -> Tensor:
        constant = self._constant(other, op.name)
        if constant is NotImplemented:
            return NotImplemented
        return constant._binary(op, self)

    def _unary(self, op: Op, ctx: Any = None) -> Tensor:
        data = op.forward(self._array) if ctx is None else op.forward(self._array, ctx)
        if recording.on and self.requires_grad:
            return _make(data, (self,), op, ctx)
        return _make(data)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, numbers.Real):
            return self._unary(ew.POW, m.to_float("pow", exponent))
        return self._binary(ew.POW, exponent)

    # comparisons give boolean masks (no gradient); == stays identity, as for any node
    def __lt__(self, other: Any) -> np.ndarray:
        return self._array < _raw(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self._array <= _raw(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self._array > _raw(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self._array >= _raw(other)

    # -- in place -----------------------------------------------------------------------
    def _in_place(self, name: str, ufunc: np.ufunc, other: Any) -> Tensor:
        if self.op is not None and recording.on:
            raise RuntimeError(f"{name}: in-place change of a tensor computed by "
                               f"'{self.op.name}' while recording; only leaves may be "
                               "changed in place (or use autograd.no_grad())")
        if other.__class__ is Tensor:
            check_dtypes(name, self, other)  # as binary ops: dtypes never mix silently
        else:  # a number or array is a constant of this tensor's dtype, as in `self + 1`
            other = self._constant(other, name)
            if other is NotImplemented:
                return NotImplemented
        try:
            _update_in_place(ufunc, self._array, other._array)
        except ValueError:
            raise ValueError(f"{name}: cannot update shape {self.shape} in place with shape "
                             f"{other.shape}") from None
        self.mark_modified()
        return self

    def mark_modified(self) -> None:
        """Count a change made to this tensor's array directly (`t.data[0] = 5`, a numpy
        call with `out=t.data`) as an in-place change: a graph that used the tensor before
        then refuses to backpropagate, as after `+=`."""
        mark_modified((self,))

    @property
    def grad_buffer(self) -> np.ndarray | None:
        """An array the next `backward()` (eager, or replayed by `autograd.compile`) may
        write this parameter's gradient into, instead of a new one, while `.grad` is None:
        then `.grad` is that array. An optimizer hands out its slice of the flat buffer in
        which it gathers gradients (at construction and at each `zero_grad`, if nothing
        outside holds a part of that buffer: `hand_out_grad_buffers`), so that its step
        finds them gathered. A buffer serves one pass: the pass sets it back to None. None
        (the default): a new array. `autograd.gradients` always returns new arrays."""
        return self._grad_buffer

    @grad_buffer.setter
    def grad_buffer(self, array: np.ndarray | None) -> None:
        if array is not None and not (
                isinstance(array, np.ndarray) and array.shape == self._array.shape
                and array.dtype == self._array.dtype and array.flags.c_contiguous
                and array.flags.writeable):
            raise ValueError(f"grad_buffer: needs a writable C-contiguous array of shape "
                             f"{self.shape} and dtype {self.dtype}, got "
                             f"{getattr(array, 'shape', type(array))} "
                             f"{getattr(array, 'dtype', '')}")
        self._grad_buffer = array

    def move_into(self, array: np.ndarray) -> None:
        """Copy the values into `array` (a writable numpy array of this tensor's shape and
        dtype, often a view of a larger buffer) and hold that array from now on.

        The values do not change, so graphs that used the tensor stay valid (its version
        is kept). The optimizers keep all their parameters in one flat buffer this way.
        """
        if not isinstance(array, np.ndarray) or array.shape != self._array.shape or (
                array.dtype != self._array.dtype):
            raise ValueError(f"move_into: needs an array of shape {self.shape} and dtype "
                             f"{self.dtype}, got {getattr(array, 'shape', type(array))} "
                             f"{getattr(array, 'dtype', '')}")
        np.copyto(array, self._array)
        self._array = array

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place("+=", np.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place("-=", np.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place("*=", np.multiply, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place("/=", np.divide, other)

    # -- what the traversal needs -------------------------------------------------------
    def _accept_grad(self, grad: Any) -> Any:
        shape = self._array.shape
        if grad.__class__ is np.ndarray:
            if grad.shape != shape:
                grad = sum_to(grad, shape)
            elif self.op is None and (grad.base is not None or not grad.flags.writeable):
                grad = grad.copy()  # a leaf's .grad must not be a view into another array
        elif grad.__class__ is Tensor:
            return grad if grad._array.shape == shape else sum_to(grad, shape)
        else:  # numpy gives scalars, not 0-d arrays, from ops on 0-d arrays
            grad = np.asarray(grad, dtype=self._array.dtype)
            if grad.shape != shape:
                grad = sum_to(grad, shape)
        if recording.on:  # create_graph: constants become (constant) nodes
            return _make(grad)
        return grad

    def _seed_grad(self, gradient: Any) -> Any:
        shape = self._array.shape
        if gradient is None:
            if self._array.size != 1:
                raise ValueError(f"backward: output has shape {shape}; pass gradient= of "
                                 "that shape or reduce to a scalar")
            if not shape:
                return np.array(1.0, dtype=self._array.dtype)  # cheaper than np.ones(())
            return np.ones(shape, dtype=self._array.dtype)
        if gradient.__class__ is Tensor:
            if gradient.shape != shape:
                raise ValueError(f"backward: gradient has shape {gradient.shape} but the "
                                 f"output has shape {shape}")
            return gradient
        seed = _float_array(gradient, self._array.dtype, "backward: gradient")
        if seed is gradient:
            seed = seed.copy()  # it may become a .grad: never the caller's array
        if seed.shape != shape:
            raise ValueError(f"backward: gradient has shape {seed.shape} but the output has "
                             f"shape {shape}")
        return seed

    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(t) into `t.grad` for every tensor t of the graph that needs
        a gradient. `gradient` (an array or Tensor of this tensor's shape) may be left out
        for a single-element output.

        Gradients add up across calls, as in PyTorch: call `zero_grad` on the graph (or
        on a model) between steps. With `create_graph=True` the gradients are themselves
        Tensors in a graph, so they can be differentiated again.
        """
        if create_graph and gradient.__class__ is not Tensor:
            gradient = _make(self._seed_grad(gradient))  # so every .grad is a Tensor
        elif not create_graph and gradient.__class__ is Tensor:
            gradient = gradient._array  # a plain pass runs on arrays
        engine.backward(self, gradient, create_graph)

    def zero_grad(self) -> None:
        """Reset `.grad` to zeros on every tensor of the graph that ends here."""
        engine.zero_grad(self)

    def _zero_like_grad(self) -> np.ndarray:
        return np.zeros_like(self._array)

    def _check_versions(self) -> None:
        if not self._version and _versions(self.parents) == self._saved_versions:
            return  # the common case, checked without a Python-level loop
        name = self.op.name
        if self._version:
            raise RuntimeError(f"the output of '{name}' was modified in place after it was "
                               f"computed (version 0 -> {self._version})")
        for parent, saved in zip(self.parents, self._saved_versions):
            now = _version_of(parent)
            if now != saved:
                which = f"'{parent.label}' " if parent.label else ""
                through = " (through a view of its memory)" if parent._base is not None else ""
                raise RuntimeError(
                    f"a tensor used by '{name}' was modified in place after it was used"
                    f"{through} (version {saved} -> {now}): tensor {which}of shape "
                    f"{parent.shape}")


def _raw(x: Any) -> Any:
    return x._array if x.__class__ is Tensor else x


@recorded  # a compiled step makes the change again
def _update_in_place(ufunc: np.ufunc, array: np.ndarray, other: Any) -> None:
    ufunc(array, other, out=array, casting="same_kind")


def sum_to(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum an array or Tensor `grad` over its broadcast dimensions down to `shape`."""
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot reduce to shape {shape}")
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)



def tensor_method(*names: str) -> Any:
    """Attach the decorated op function to Tensor as a method, under each of `names`
    (by default the function's own name); the function is returned unchanged.

        @tensor_method("sum")
        def sum(x: Tensor, axis=None, keepdims=False) -> Tensor: ...

    makes `t.sum(axis=0)` call `sum(t, axis=0)`. The op modules of `autograd.ops` use it,
    so that Tensor has its methods without this module importing them.
    """
    def attach(function: Any) -> Any:
        for name in names or (function.__name__,):
            setattr(Tensor, name, function)
        return function
    return attach
