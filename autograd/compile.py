"""`autograd.compile`: capture a training step once, then replay it as a flat tape.

    @autograd.compile
    def train_step(xb, yb):
        loss = nn.quadratic_cost(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    for xb, yb in loader:
        loss = train_step(xb, yb)   # a Tensor holding this step's loss
    print(train_step.tape)          # the step as code, one array call a line

In the spirit of tinygrad's TinyJit and CUDA graphs. The tapes are cached by the shapes
and dtypes of the array (and Tensor) arguments and the values of the others. For a new
key the function runs eagerly twice, recording a tape (`autograd.tape`) each time; the
two must agree (the same calls on the same slots, and every array computed outside them
equal), which catches Python decisions taken on values and arrays made from the data
behind the engine's back. From the third call on, the tape is replayed: the same array
calls in the same order, so the same numbers as eager to the last bit, without building
a graph, validating again what cannot have changed, or sorting it. A last, smaller batch
is another key: captured (twice) in its turn, then replayed too.

What a replay cannot reproduce is refused with a `CompileError` saying why, never
replayed stale: reading a tensor's value inside the function (`.item()`, `float()`,
`.data`, `.numpy()`, `np.asarray(t)`, comparisons), Value graphs, `create_graph`,
`autograd.grad`, ops computing outside their recorded forward. A parameter given a new
array (`p.data = ...`) or a module switched between train and eval makes the tape stale:
the step is captured again, with a warning. The learning rate, the optimizer's state and
the parameters are read when the tape replays, so schedules work; dropout draws fresh
masks from its generator at each replay, the draws eager would make.

A replay returns new Tensors holding the fresh values and no graph.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from autograd.op import OPS
from autograd.replay import STALE
from autograd.tape import (
    CONSTANT,
    RECORDED_IN_CAPTURE,
    Backward,
    CompileError,
    Tape,
    active,
    recorded,
)
from autograd.tensor import Tensor, constant

LIBRARY = {"autograd", "nn", "chainrule"}  # code allowed to read values while capturing
# Tensor attributes that give a tensor's values to Python: refused to user code during a
# capture, since a replay runs none of it
READS_VALUES = ("data", "item", "__float__", "numpy", "__array__",
                "__lt__", "__le__", "__gt__", "__ge__")

__all__ = ["CompileError", "Compiled", "compile"]


def compile(function: Callable) -> Compiled:
    """Decorator: `function` (a training step, or any function of arrays and Tensors that
    returns Tensors) captured on its first calls and replayed after; see the module
    docstring. Raises CompileError for a step it cannot replay faithfully."""
    return Compiled(function)


class Compiled:
    """A compiled function: call it as the function. `tape` is the tape of the latest
    call's input shapes (print it to read the step as code); `captures` and `replays`
    count the calls of each kind."""

    def __init__(self, function: Callable) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self._tapes: dict[Any, Tape] = {}  # key -> a tape two captures agreed on
        self._first: dict[Any, Tape] = {}  # key -> the tape of its first capture
        self._key: Any = None
        self.captures = self.replays = 0

    @property
    def tape(self) -> Tape | None:
        return self._tapes.get(self._key) or self._first.get(self._key)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if active.tape is not None:
            raise CompileError(f"{self.__name__}: called while another function is being "
                               "captured; compile the outer function only")
        key, arrays = _key(self.__name__, args, kwargs)
        self._key = key
        tape = self._tapes.get(key)
        if tape is not None:
            result = tape.replay(arrays)
            if result is not STALE:
                self.replays += 1
                return result
            warnings.warn(f"autograd.compile: {tape.stale()}; capturing {self.__name__} again",
                          RuntimeWarning, stacklevel=2)
            del self._tapes[key]
        tape = Tape()
        for array in arrays:
            tape.add_input(array)
        with _capturing(tape, self.__name__):
            result = self.function(*args, **kwargs)
        tape.output = _output_template(self.__name__, tape, result)
        tape.slot_of.clear()  # ids mean nothing once the capture's arrays are gone
        tape.ctx_slot_of.clear()
        self.captures += 1
        first = self._first.pop(key, None)
        if first is None:
            self._first[key] = tape
        else:
            _check_agree(self.__name__, first, tape)
            self._tapes[key] = tape
        return result


def _key(name: str, args: tuple, kwargs: dict) -> tuple[Any, Sequence[np.ndarray]]:
    """The cache key of a call (shapes and dtypes of its arrays, values of the rest) and
    its arrays, each once, in order."""
    if not kwargs:  # a training step's call, arrays only, each once: its key comes first
        shapes: list[Any] = ["arrays"]
        for value in args:
            if value.__class__ is not np.ndarray:
                break
            shapes += (value.shape, value.dtype)
        else:
            n = len(args)  # (inputs, targets) told apart without a set: a small step notices
            if n < 2 or (args[0] is not args[1] if n == 2 else len(set(map(id, args))) == n):
                return tuple(shapes), args
    parts: list[Any] = []
    arrays: list[np.ndarray] = []
    position: dict[int, int] = {}
    for i, value in enumerate((*args, *kwargs.values()) if kwargs else args):
        array = value  # (a plain array is the common case: tested first)
        if value.__class__ is not np.ndarray and isinstance(value, Tensor):
            if value.requires_grad:
                raise CompileError(f"{name}: argument {i} is a Tensor that requires grad; "
                                   "pass inputs as arrays or constant Tensors")
            array = value._array
        if array.__class__ is np.ndarray or isinstance(array, np.ndarray):
            seen = position.get(id(array))
            if seen is None:
                seen = position[id(array)] = len(arrays)
                arrays.append(array)
            parts.append((value.__class__, array.shape, array.dtype, seen))
            continue
        try:
            hash(value)
        except TypeError:
            raise CompileError(f"{name}: argument {i} is a {type(value).__name__}; a compiled "
                               "function takes arrays, Tensors and hashable settings") from None
        parts.append(("value", value))
    return (tuple(parts), tuple(kwargs)), arrays


@contextlib.contextmanager
def _capturing(tape: Tape, name: str) -> Iterator[None]:
    """Record into `tape`: every op's forward and the Tensor readers wrapped, for the block."""
    forwards = [(op, op.forward) for op in OPS.values()]
    readers = {attribute: Tensor.__dict__[attribute] for attribute in READS_VALUES}
    plain = [(owner, attribute, vars(owner)[attribute])
             for owner, attribute in _recorded_in_capture()]
    for op, forward in forwards:
        # Op is a frozen dataclass; its forward is swapped back in the `finally` below
        object.__setattr__(op, "forward", recorded(forward, op))
    for attribute, reader in readers.items():
        setattr(Tensor, attribute, _refusing(attribute, reader, name))
    for owner, attribute, function in plain:
        setattr(owner, attribute, recorded(function))
    active.tape, active.depth = tape, 0
    try:
        yield
    finally:
        active.tape, active.depth = None, 0
        for op, forward in forwards:
            object.__setattr__(op, "forward", forward)
        for attribute, reader in readers.items():
            setattr(Tensor, attribute, reader)
        for owner, attribute, function in plain:
            setattr(owner, attribute, function)


def _recorded_in_capture() -> list[tuple[Any, str]]:
    """The classes and modules (imported ones only) holding a `recorded_in_capture`
    function, with its name."""
    return [(sys.modules[owner] if isinstance(owner, str) else owner, attribute)
            for owner, attribute in RECORDED_IN_CAPTURE
            if not isinstance(owner, str) or owner in sys.modules]


def _refusing(attribute: str, reader: Any, name: str) -> Any:
    """`reader` (a Tensor method or property) refusing calls from outside the library."""
    def check() -> None:
        caller = sys._getframe(2).f_globals.get("__name__", "")
        if caller.split(".")[0] not in LIBRARY:
            shown = f".{attribute}" if attribute in ("data", "item", "numpy") else attribute
            raise CompileError(
                f"{name} used a tensor's values ({shown}) while being captured: a replay "
                "runs no Python code, so the value, or a decision taken on it, would be the "
                "first call's. Use Tensor operations, or return the tensor and read it "
                "outside the compiled function.")

    if isinstance(reader, property):
        def get(self: Tensor) -> Any:
            check()
            return reader.fget(self)

        def set_(self: Tensor, value: Any) -> None:
            check()
            reader.fset(self, value)
        return property(get, set_, doc=reader.__doc__)

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        check()
        return reader(self, *args, **kwargs)
    return method


# -- what the function returns ------------------------------------------------------------
def _output_template(name: str, tape: Tape, result: Any) -> Any:
    """How to rebuild `result` from the slots: ("tensor", slot, the function making a
    Tensor of an array), ("array", slot), ("none",), or (container type, [templates]) for
    a tuple or list of those."""
    if isinstance(result, (tuple, list)):
        return (type(result), [_output_template(name, tape, item) for item in result])
    if result is None:
        return ("none",)
    if isinstance(result, Tensor):
        return ("tensor", tape.slot(result._array), constant)
    if isinstance(result, np.ndarray):
        return ("array", tape.slot(result))
    raise CompileError(f"{name} returned a {type(result).__name__}: a replay recomputes "
                       "arrays and Tensors only; return Tensors (read .item() outside)")


# -- two captures must agree ----------------------------------------------------------------
def _check_agree(name: str, first: Tape, second: Tape) -> None:
    """Raise CompileError unless the two captures of one key recorded the same step."""
    steps = list(zip(first.steps, second.steps))
    for k, (a, b) in enumerate(steps):
        if a.signature() != b.signature():
            raise CompileError(
                f"{name}: two calls with the same input shapes recorded different steps "
                f"(step {k}: {_step_name(a)} vs {_step_name(b)}); Python control flow that "
                "depends on values, or on state changing between calls, cannot be replayed")
    if len(first.steps) != len(second.steps) or first.kinds != second.kinds or any(
            second.owners.get(slot) is not owner for slot, owner in first.owners.items()):
        raise CompileError(f"{name}: two calls with the same input shapes recorded different "
                           f"steps ({len(first.steps)} vs {len(second.steps)}); Python control "
                           "flow that depends on values cannot be replayed")
    for slot, kind in enumerate(second.kinds):
        if kind != CONSTANT:
            continue
        a, b = first.values[slot], second.values[slot]
        if not (isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")):
            raise CompileError(
                f"{name}: the array {second._describe(slot)} used by {_user(second, slot)} "
                "was computed outside the recorded operations (numpy on the data, a random "
                "draw) and differs between two calls: a replay would reuse the old values. "
                "Compute it with Tensor operations or pass it as an argument.")


def _step_name(step: Any) -> str:
    return "backward()" if step.__class__ is Backward else step.name


def _user(tape: Tape, slot: int) -> str:
    for step in tape.steps:
        if step.__class__ is Backward:
            continue
        if any(s == slot for _, s in step.fills) or any(
                s == slot for *_, fills in step.nested for _, s in fills):
            return step.name
    return "the backward pass"
