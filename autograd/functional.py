"""Differentiation as a function: `gradients` (like torch.autograd.grad) and `grad` (like JAX).

Neither touches any `.grad`: they return the derivatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd.engine import backpropagate
from autograd.node import Node, recording_as
from autograd.tensor import Tensor
from autograd.value import Value


def gradients(output: Node, inputs: Sequence[Node], gradient: Any = None,
              create_graph: bool = False) -> list[Any]:
    """d(output)/d(input) for each input, without touching any `.grad`.

    Like `torch.autograd.grad`: an input the output does not depend on gets a zero.
    """
    totals = backpropagate(output, output._seed_grad(gradient), create_graph)
    return [totals[x] if x in totals else x._zero_like_grad() for x in inputs]


def _argument_index(i: int, count: int) -> int:
    """Argument position `i` of `count`, negative from the end as in JAX."""
    if not -count <= i < count:
        raise IndexError(f"grad(f): argnums {i} is out of range for {count} argument(s)")
    return i % count


def _as_node(x: Any, dtype: Any = "float64") -> Node:
    """A node as it is; a number as a Value leaf; an array as a Tensor leaf of `dtype`."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float)):
        return Value(x)
    return Tensor(x, dtype=dtype, requires_grad=True)


def grad(f: Callable[..., Any], argnums: int | Sequence[int] | None = None) -> Callable[..., Any]:
    """The gradient of `f` as a function, in the manner of JAX's `grad`.

    `grad(f)(x, y)` returns `(df/dx, df/dy)` (a single value when `f` takes one
    argument, or when `argnums` is an int). Plain numbers and numpy arrays are wrapped
    as leaves and the result comes back raw; graph nodes are used as they are and the
    result is a differentiable node, so `grad(grad(f))` gives second derivatives.

        >>> from autograd import grad
        >>> grad(lambda x: x * x * x)(2.0)
        12.0
    """
    def df(*args: Any) -> Any:
        chosen = list(range(len(args))) if argnums is None else [
            _argument_index(i, len(args))
            for i in ([argnums] if isinstance(argnums, int) else argnums)]
        wrapped = [_as_node(a) if i in chosen else a for i, a in enumerate(args)]
        # any node argument (chosen or not) may be differentiated later: keep the graph
        nested = any(isinstance(a, Node) for a in args)
        with recording_as(True):
            out = f(*wrapped)
        if not isinstance(out, Node):
            raise TypeError(f"grad(f): f must return a Value or Tensor, got {type(out).__name__}")
        result = gradients(out, [wrapped[i] for i in chosen], create_graph=nested)
        if not nested:
            result = [r.data if isinstance(r, Node) else r for r in result]
        else:  # a constant derivative (of x + 1, say) is a node too, so grad(grad(f)) works
            result = [_as_node(r, getattr(r, "dtype", "float64")) for r in result]
        single = isinstance(argnums, int) or (argnums is None and len(args) == 1)
        return result[0] if single else tuple(result)

    df.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return df
