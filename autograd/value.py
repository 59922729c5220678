"""`Value`: a scalar node, with micrograd's surface and a few more ops.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad
    7.0

A node keeps only what backward needs: its data, grad, parents, op, the op's constant
(`ctx`) and a label. Nodes use `__slots__`: no per-node dict, no closure.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Iterable
from typing import Any

import autograd.engine as engine
import autograd.mathfn as m
from autograd.node import Node, recording
from autograd.op import Op
from autograd.ops import elementwise as ew

_NO_PARENTS: tuple = ()


def _to_float(data: Any) -> float:
    if isinstance(data, numbers.Real):
        return m.to_float("Value", data)
    # reprlib: a deeply nested list would make repr itself fail (RecursionError)
    raise TypeError(f"Value needs a real number, got {type(data).__name__}: "
                    f"{reprlib.repr(data)}")


class Value(ew.ElementwiseMethods, Node):
    """A scalar that remembers how it was computed.

    `data` is a Python float; `grad` is a float, or a Value after
    `backward(create_graph=True)`.
    """

    __slots__ = ()

    def __init__(self, data: Any, _parents: tuple = _NO_PARENTS, _op: Op | None = None,
                 _ctx: Any = None, label: str = "") -> None:
        self.data = data if data.__class__ is float else _to_float(data)
        self.grad = 0.0
        self.parents = _parents
        self.op = _op
        self.ctx = _ctx
        self.label = label

    # -- building nodes -----------------------------------------------------------------
    def _unary(self, op: Op, ctx: Any = None) -> Value:
        data = op.forward(self.data) if ctx is None else op.forward(self.data, ctx)
        if recording.on:
            return Value(data, (self,), op, ctx)
        return Value(data)

    def _binary(self, op: Op, other: Any) -> Value:
        if other.__class__ is not Value:
            other = _constant(other)
            if other is NotImplemented:
                return NotImplemented
        if recording.on:
            return Value(op.forward(self.data, other.data), (self, other), op)
        return Value(op.forward(self.data, other.data))

    def _reflected(self, op: Op, number: Any) -> Value:
        """`number <op> self`, for the reflected operators (2 * x, 1 - x, ...)."""
        constant = _constant(number)
        if constant is NotImplemented:
            return NotImplemented
        return constant._binary(op, self)

    def __pow__(self, exponent: Any) -> Value:
        if isinstance(exponent, Value):
            return self._binary(ew.POW, exponent)
        if isinstance(exponent, numbers.Real):
            return self._unary(ew.POW, _to_float(exponent))
        return NotImplemented

    # -- n-ary helpers ------------------------------------------------------------------
    @staticmethod
    def sum(values: Iterable[Any]) -> Value:
        """The sum of many values as one node.

        `sum(values)` builds a chain of n - 1 add nodes; this builds a single node with n
        parents. Backward is faster and the graph smaller, but a picture shows one wide
        node instead of the chain of additions.
        """
        parents = tuple(v if isinstance(v, Value) else Value(v) for v in values)
        return _nary(ew.ADD_N, parents, ew.ADD_N.forward(*[p.data for p in parents]))

    @staticmethod
    def max(values: Iterable[Any]) -> Value:
        """The largest of `values`, with the Tensor engine's rule for ties.

        A single winner is returned itself (no new node), so the whole gradient goes to
        it; when k Values tie for the maximum, the result is their mean, so each gets 1/k
        of the gradient, as `Tensor.max` and max pooling give. A NaN wins, as in numpy.
        """
        items = [v if isinstance(v, Value) else Value(v) for v in values]
        if not items:
            raise ValueError("Value.max: no values")
        best = items[0]
        for v in items[1:]:
            if v.data > best.data or (v.data != v.data and best.data == best.data):
                best = v  # strictly greater keeps the first of a tie; a NaN beats a number
        tied = [v for v in items if v.data == best.data]
        if len(tied) < 2:
            return best
        return Value.sum(tied) * (1.0 / len(tied))

    @staticmethod
    def dot(weights: Iterable[Any], inputs: Iterable[Any]) -> Value:
        """sum(w * x) as one node (the trade-off of `Value.sum` applies)."""
        ws = tuple(w if isinstance(w, Value) else Value(w) for w in weights)
        xs = tuple(x if isinstance(x, Value) else Value(x) for x in inputs)
        if len(ws) != len(xs):
            raise ValueError(f"Value.dot: {len(ws)} weights but {len(xs)} inputs")
        parents = ws + xs
        return _nary(ew.DOT, parents, ew.DOT.forward(*[p.data for p in parents]))

    # -- backward -----------------------------------------------------------------------
    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(node) into `node.grad` for every node of the graph.

        Gradients add up across calls, as in PyTorch: call `zero_grad` on the graph (or
        on a model) between steps. With `create_graph=True` the gradients are themselves
        graph nodes (Values), so they can be differentiated again.
        """
        engine.backward(self, gradient, create_graph)

    def zero_grad(self) -> None:
        """Reset `.grad` to 0 on every node of the graph that ends here."""
        engine.zero_grad(self)

    def _seed_grad(self, gradient: Any) -> Any:
        if gradient is None:
            return 1.0
        if isinstance(gradient, Value):
            return gradient
        if not isinstance(gradient, numbers.Real):
            raise TypeError(f"backward: gradient must be a number, got "
                            f"{type(gradient).__name__} {gradient!r:.40}")
        return _to_float(gradient)

    def _zero_like_grad(self) -> float:
        return 0.0

    def __lt__(self, other: Any) -> bool:
        return self.data < _raw_number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _raw_number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _raw_number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _raw_number(other)

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_short(self.grad)}{label})"


def _short(grad: Any) -> str:
    return f"{grad:.6g}" if grad.__class__ is float else repr(grad)


def _raw_number(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _constant(x: Any) -> Value:
    if isinstance(x, numbers.Real):
        return Value(_to_float(x))
    return NotImplemented


def _nary(op: Op, parents: tuple, data: float) -> Value:
    if recording.on:
        return Value(data, parents, op)
    return Value(data)

