"""A training step recorded as a flat tape of array calls, and its replay (`autograd.compile`).

While a step is captured (`active.tape` is set), every array computation that matters
is written down as it runs eagerly:

- each op's forward (`Op.forward`, on raw arrays; `autograd.compile` wraps them all for
  the length of a capture), any library function marked `@recorded` (dropout's random
  mask, `clip_grad_norm`, `+=` on a Tensor), and those marked `@recorded_in_capture`
  (an optimizer's step and `zero_grad`, the label check of `cross_entropy`), which
  `autograd.compile` wraps only for the length of a capture;
- array conversions the Tensor constructor makes (`derived`);
- `backward()`, as a plan: the nodes in reverse topological order, each with its op's
  gradient rule and the slots of its output, context and inputs.

Arrays live in numbered slots: inputs (the compiled function's array arguments),
produced arrays (outputs of recorded calls), persistent arrays (parameters and other
tensors that outlive a step, used by reference and updated in place) and constants (any
other array, held as captured). A replay runs the calls in order on the slots, then the
backward plan exactly as `autograd.engine.backpropagate` would, in the same order, so
its numbers are the eager ones to the last bit: no graph, no validation of what the
capture already checked, no topological sort. It runs them as one generated function
(`autograd.replay`), so that not even the reading of the tape is paid again.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.node import recording
from autograd.replay import make_replay
from autograd.tape_text import tape_text


class CompileError(RuntimeError):
    """A step that `autograd.compile` cannot replay faithfully; the message says why."""


class Active:
    """The tape being recorded (None: no capture) and how deep in recorded calls we are."""

    __slots__ = ("tape", "depth")

    def __init__(self) -> None:
        self.tape: Tape | None = None
        self.depth = 0  # > 0 inside a recorded call: what it calls is part of it


active = Active()

VALUE_GRAPHS = ("a Value graph cannot be compiled: each Value op is one Python float "
                "operation, so a replay would cost what running it does; compile Tensor code")

# the kinds of slot, which are also the prefixes of their names in the text
INPUT, PRODUCED, PERSISTENT, CONSTANT, CONTEXT = "x", "t", "p", "c", "ctx"


def recorded(function: Callable, op: Any = None) -> Callable:
    """Decorator: during a capture, a call of `function` is one step of the tape, run again
    as a whole on replay (with array arguments taken from their slots). `autograd.compile`
    also wraps each op's forward with it, naming the `op`, for the length of a capture."""
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        tape = active.tape
        if tape is None or active.depth:  # inside another recorded call: part of it
            return function(*args, **kwargs)
        return tape.call(function, args, kwargs, op)
    return call


# (class or module name, attribute) of the functions `recorded_in_capture` marks
RECORDED_IN_CAPTURE: list[tuple[Any, str]] = []


def recorded_in_capture(function: Callable) -> Any:
    """Decorator, as `recorded` for functions every eager step calls (an optimizer's step
    and zero_grad, the label check of cross_entropy): the plain function stays where it is
    defined, and `autograd.compile` puts the recording wrapper in its place only for the
    length of a capture, so an eager step pays no wrapper. It must be a method, or a module
    function called through its module's globals."""
    if "." not in function.__qualname__:  # a module function
        RECORDED_IN_CAPTURE.append((function.__module__, function.__name__))
        return function
    return _MethodRecordedInCapture(function)


class _MethodRecordedInCapture:
    """Stands in the class body until the class exists, then puts the plain method back and
    notes (class, name) for the captures."""

    def __init__(self, function: Callable) -> None:
        self.function = function

    def __set_name__(self, owner: type, name: str) -> None:
        setattr(owner, name, self.function)
        RECORDED_IN_CAPTURE.append((owner, name))


def derived(array: np.ndarray, function: Callable, *args: Any, **kwargs: Any) -> None:
    """Note, during a capture, that `array` was just computed as `function(*args, **kwargs)`
    (a conversion or copy made outside any op), so that a replay computes it again."""
    tape = active.tape
    if tape is not None and not active.depth:
        tape.add_call(function, args, kwargs, array)


def depends_on(owner: Any, attribute: str) -> None:
    """Note, during a capture, that the step's operations depend on `owner.attribute`
    (dropout on a module's `training`): a replay checks it first and captures again when
    it changed."""
    tape = active.tape
    if tape is not None:
        tape.conditions.append((owner, attribute, getattr(owner, attribute)))


class Call:
    """One step: `function(*args, **kwargs)` with arrays taken from slots.

    `static` holds the arguments, `fills` the (position, slot) of the array ones, and
    `nested` those that are tuples or lists holding arrays: (position, rebuild, items,
    fills). `out`/`ctx` are the slots of the result (and of the context an op's forward
    returns beside it), or None.
    """

    __slots__ = ("function", "name", "static", "fills", "nested", "kwargs", "out", "ctx")

    def __init__(self, function: Callable, name: str, static: list, fills: list,
                 nested: list, kwargs: dict) -> None:
        self.function, self.name, self.static = function, name, static
        self.fills, self.nested, self.kwargs = fills, nested, kwargs
        self.out = self.ctx = None

    def signature(self) -> tuple:
        nested = [(p, items, fills) for p, _, items, fills in self.nested]
        return (self.function, self.name, _comparable(self.static), self.fills, nested,
                _comparable(list(self.kwargs.items())), self.out, self.ctx)


class Backward:
    """The plan of one `backward()`: per node in reverse topological order, (its index,
    its op's grad rule or None for a leaf, output slot, context, input slots, edges,
    the parameter whose `.grad` receives its total or None, which inputs' gradients its
    rule may write into their `grad_buffer` or None: see `_destinations` below). An edge
    is (the input's index, whether it needs a gradient, the input node when the gradient
    must be reshaped to it by `accept`, else None)."""

    __slots__ = ("seed", "size", "entries", "accept")

    def __init__(self, seed: int, size: int, entries: list, accept: Any) -> None:
        self.seed, self.size, self.entries, self.accept = seed, size, entries, accept

    def signature(self) -> tuple:
        return (self.seed, self.size, [
            (i, rule, out, _ctx_signature(ctx), inputs, [(j, needs, node is not None)
                                                          for j, needs, node in edges], target,
             into)
            for i, rule, out, ctx, inputs, edges, target, into in self.entries])


def _ctx_signature(ctx: Any) -> Any:
    kind, content = ctx
    return (kind, content.signature() if kind == "nested" else
            (content if kind == "slot" else _comparable([content])))


def _comparable(items: list) -> tuple:
    """Settings in a form two captures can compare: identity for objects without a
    meaningful ==, equality for plain data."""
    out = []
    for item in items:
        if isinstance(item, (int, float, str, bytes, bool, type(None), tuple, np.dtype,
                             slice)):
            out.append(("=", item))
        else:
            out.append(("is", id(item)))
    return tuple(out)


class Tape:
    """The recorded step: slots, calls and backward plans, in the order they ran."""

    def __init__(self) -> None:
        self.values: list[Any] = []  # slot -> array (the latest one) or op context
        self.kinds: list[str] = []
        self.labels: list[str] = []  # for the text: a parameter's label
        self.owners: dict[int, Any] = {}  # persistent slot -> the Tensor holding it
        self.slot_of: dict[int, int] = {}  # id(array) -> slot, while capturing
        self.ctx_slot_of: dict[int, int] = {}  # id(context) -> slot, while capturing
        self.steps: list[Call | Backward] = []
        self.inputs: list[int] = []
        self.conditions: list[tuple[Any, str, Any]] = []
        self.output: Any = None  # how to build the return value: see `autograd.compile`
        self._replay: Callable[..., None] | None = None  # made by the first `replay`

    # -- slots --------------------------------------------------------------------------
    def _new_slot(self, value: Any, kind: str) -> int:
        self.values.append(value)
        self.kinds.append(kind)
        self.labels.append("")
        return len(self.values) - 1

    def add_input(self, array: np.ndarray) -> int:
        known = self.slot_of.get(id(array))
        if known is not None:
            return known
        slot = self.slot_of[id(array)] = self._new_slot(array, INPUT)
        self.inputs.append(slot)
        return slot

    def slot(self, array: np.ndarray) -> int:
        """The slot of `array`; an array seen for the first time is a constant (for now:
        `make_persistent` may tell it belongs to a parameter)."""
        known = self.slot_of.get(id(array))
        if known is None:
            known = self.slot_of[id(array)] = self._new_slot(array, CONSTANT)
        return known

    def produce(self, array: np.ndarray) -> int:
        slot = self.slot_of[id(array)] = self._new_slot(array, PRODUCED)
        return slot

    def make_persistent(self, tensor: Any) -> int:
        """The slot of `tensor`'s array, which outlives the step (a parameter)."""
        slot = self.slot(tensor._array)
        if self.kinds[slot] == CONSTANT:
            self.kinds[slot] = PERSISTENT
            self.owners[slot] = tensor
            self.labels[slot] = tensor.label
        return slot

    # -- recording ----------------------------------------------------------------------
    def _template(self, function: Callable, args: tuple, kwargs: dict, name: str) -> Call:
        static, fills, nested = list(args), [], []
        for position, arg in enumerate(args):
            if isinstance(arg, np.ndarray):
                fills.append((position, self.slot(arg)))
                static[position] = None
            elif isinstance(arg, (tuple, list)) and any(isinstance(a, np.ndarray) for a in arg):
                items, item_fills = list(arg), []
                for i, item in enumerate(arg):
                    if isinstance(item, np.ndarray):
                        item_fills.append((i, self.slot(item)))
                        items[i] = None
                    elif isinstance(item, (tuple, list)) and any(
                            isinstance(a, np.ndarray) for a in item):
                        raise CompileError(f"{name}: arrays nested two levels deep in an "
                                           "argument cannot be recorded")
                nested.append((position, _rebuilder(arg), tuple(items), item_fills))
                static[position] = None
        if any(isinstance(v, np.ndarray) for v in kwargs.values()):
            raise CompileError(f"{name}: array keyword arguments cannot be recorded")
        return Call(function, name, static, fills, nested, dict(kwargs))

    def call(self, function: Callable, args: tuple, kwargs: dict, op: Any = None) -> Any:
        """Run `function(*args, **kwargs)` (an op's forward when `op` is given) and record
        it; returns what it returns, a numpy scalar result as a 0-d array."""
        name = op.name if op is not None else _name(function)
        step = self._template(function, args, kwargs, name)
        active.depth += 1
        try:
            out = function(*args, **kwargs)
        finally:
            active.depth -= 1
        if op is not None:
            if out.__class__ is float or out.__class__ is int:
                raise CompileError(VALUE_GRAPHS)
            if out.__class__ is tuple:  # an op that keeps by-products: (output, ctx)
                array, ctx = out
                array = np.asarray(array)
                step.out = self.produce(array)
                step.ctx = self.ctx_slot_of[id(ctx)] = self._new_slot(ctx, CONTEXT)
                out = (array, ctx)
            else:
                out = np.asarray(out)
                step.out = self.produce(out)
        elif isinstance(out, (np.ndarray, np.generic)):
            out = np.asarray(out)
            step.out = self.produce(out)
        self.steps.append(step)
        return out

    def add_call(self, function: Callable, args: tuple, kwargs: dict, out: np.ndarray) -> None:
        step = self._template(function, args, kwargs, _name(function))
        step.out = self.produce(out)
        self.steps.append(step)

    def record_backward(self, root: Any, seed: Any, order: list, create_graph: bool,
                        into_grad: bool) -> None:
        """Plan the backward pass `autograd.engine.backpropagate` is about to run."""
        if not hasattr(root, "_array"):
            raise CompileError(VALUE_GRAPHS)
        if create_graph or not into_grad:
            raise CompileError("only a plain `loss.backward()` can be compiled: "
                               "create_graph=True and autograd.grad/gradients are not "
                               "recorded")
        index = {id(node): i for i, node in enumerate(order)}
        for node in order:  # parameters: persistent slots, checked at every replay
            if node.op is None and node.requires_grad:
                self.make_persistent(node)
        accept = type(root)._accept_grad
        received = collections.Counter(id(p) for node in order for p in node.parents
                                       if p.requires_grad)
        entries = []
        for node in reversed(order):
            i = index[id(node)]
            if node.op is None:
                slot = self.slot(node._array)
                target = node if node.requires_grad and self.kinds[slot] == PERSISTENT else None
                entries.append((i, None, None, ("static", None), (), (), target, None))
                continue
            out = self.slot_of.get(id(node._array))
            if out is None or self.kinds[out] != PRODUCED:
                raise CompileError(f"'{node.op.name}' computed its output outside its "
                                   "recorded forward (Op.forward); it cannot be replayed")
            check = not node.op.exact_grads
            edges = tuple((index[id(p)], p.requires_grad, p if check else None)
                          for p in node.parents)
            inputs = tuple(self.slot(p._array) for p in node.parents)
            entries.append((i, node.op.grad, out, self._ctx_spec(node), inputs, edges, None,
                            _destinations(node, received) if node.op.grad_into else None))
        seed_slot = self._new_slot(np.array(seed), CONSTANT)
        self.steps.append(Backward(seed_slot, len(order), entries, accept))

    def _ctx_spec(self, node: Any) -> tuple[str, Any]:
        ctx = node.ctx
        slot = self.ctx_slot_of.get(id(ctx))
        if slot is not None:
            return ("slot", slot)
        if isinstance(ctx, np.ndarray):
            return ("slot", self.slot(ctx))
        if isinstance(ctx, tuple) and any(isinstance(a, np.ndarray) for a in ctx):
            template = self._template(_rebuilder(ctx), (ctx,), {}, node.op.name)
            return ("nested", template)
        return ("static", ctx)

    # -- replay -------------------------------------------------------------------------
    def replay(self, arrays: Sequence[np.ndarray]) -> Any:
        """Run the step again on new input arrays (the generated code of `autograd.replay`,
        made at the first replay), recording nothing, as a plain backward pass does.
        Returns the function's output, or `STALE` (having run nothing) when the tape no
        longer describes the step (`stale` says why)."""
        if self._replay is None:
            self._replay = make_replay(self)
        previous, recording.on = recording.on, False
        try:
            return self._replay(*arrays)
        finally:
            recording.on = previous

    def stale(self) -> str | None:
        """Why the tape no longer describes the step (None: it does)."""
        values = self.values
        for slot, tensor in self.owners.items():  # (a C getter: cheaper than .data)
            if tensor._array is not values[slot]:
                name = f"'{tensor.label}' " if tensor.label else ""
                return (f"the tensor {name}of shape {tensor.shape} was given a new array "
                        "(`.data = ...`)")
        for owner, attribute, value in self.conditions:
            if getattr(owner, attribute) != value:
                return (f"{type(owner).__name__}.{attribute} changed from {value!r} to "
                        f"{getattr(owner, attribute)!r}")
        return None

    # -- text ---------------------------------------------------------------------------
    def name(self, slot: int) -> str:
        kind = self.kinds[slot]
        number = sum(1 for k in self.kinds[:slot] if k == kind)
        label = f"_{self.labels[slot]}" if self.labels[slot] else ""
        return f"{kind}{number}{label}"

    def _describe(self, slot: int) -> str:
        value = self.values[slot]
        shape = getattr(value, "shape", None)
        return self.name(slot) if shape is None else f"{self.name(slot)} {shape}"

    def __str__(self) -> str:
        return tape_text(self)

    def __repr__(self) -> str:
        calls = sum(1 for s in self.steps if s.__class__ is Call)
        return (f"<Tape: {len(self.inputs)} inputs, {len(self.owners)} persistent arrays, "
                f"{calls} calls, {len(self.steps) - calls} backward passes>")


def _destinations(node: Any, received: collections.Counter) -> tuple | None:
    """Which inputs of `node`'s rule (`Op.grad_into`) may have their gradient written into
    their `grad_buffer` at a replay: parameters (leaves needing a gradient) that receive
    it from this node alone; None when no input is one."""
    into = tuple(p.op is None and p.requires_grad and received[id(p)] == 1
                 for p in node.parents)
    return into if any(into) else None


def _name(function: Callable) -> str:
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", "")
    return name or repr(function)


def _rebuilder(container: Any) -> Callable[[list], Any]:
    kind = type(container)
    if kind is list:
        return list
    if kind is tuple:
        return tuple
    return functools.partial(tuple.__new__, kind)  # a named tuple, built without __new__
