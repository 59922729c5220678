"""The chain rule: one iterative graph traversal that serves every node type.

A node (a `Value` or a `Tensor`) knows its `parents`, the `op` that made it and a `ctx`
of constants the op saved. Backward walks the nodes in reverse topological order and
asks each op for the gradients of its inputs (see `autograd.op`). Nothing here recurses,
so graphs of millions of nodes, deep or wide, work.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_recording = True  # whether ops record parents (False inside `no_grad()`)


def is_recording() -> bool:
    """True unless inside `no_grad()`."""
    return _recording


@contextlib.contextmanager
def _recording_as(flag: bool) -> Iterator[None]:
    global _recording
    previous, _recording = _recording, flag
    try:
        yield
    finally:
        _recording = previous


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Within this block, operations compute values but record no graph."""
    return _recording_as(False)


class Node:
    """What the traversal needs of a graph node; `Value` and `Tensor` build on it."""

    __slots__ = ("data", "grad", "parents", "op", "ctx", "label")
    requires_grad = True  # Tensor overrides this per instance
    _raw = operator.attrgetter("data")  # the plain data; Tensor reads its array's slot
    checks_versions = False  # Tensor: backward calls `_check_versions` (in-place edits)

    # Tensor sets this to a function (node, grad) -> grad that undoes broadcasting;
    # None (Value) skips the call, which keeps the scalar hot path short.
    _accept_grad = None

    def _seed_grad(self, gradient: Any) -> Any:
        """The gradient that starts backward at this node."""
        raise NotImplementedError

    def _zero_like_grad(self) -> Any:
        raise NotImplementedError

    def _check_versions(self) -> None:
        """Raise if an input this node saved was modified in place since (Tensor only)."""

    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(node) into `node.grad` for every node of the graph.

        Gradients add up across calls, as in PyTorch: call `zero_grad` on the graph (or
        on a model) between steps. With `create_graph=True` the gradients are themselves
        graph nodes, so they can be differentiated again.
        """
        backpropagate(self, self._seed_grad(gradient), create_graph, into_grad=True)

    def zero_grad(self) -> None:
        """Reset `.grad` on every node of the graph that ends here."""
        for node in topological_order(self):
            node.grad = node._zero_like_grad()


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from `root`, parents before children (iterative DFS)."""
    order: list[Node] = []
    visited = {root}
    stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(root.parents))]
    while stack:
        node, pending = stack[-1]
        for parent in pending:
            if parent not in visited:
                visited.add(parent)
                if not parent.parents:
                    order.append(parent)  # a leaf is finished at once: no stack round trip
                    continue
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


StepHook = Callable[[Node, Any, Sequence[Any]], None]


def backpropagate(root: Node, seed: Any, create_graph: bool = False,
                  on_step: StepHook | None = None, into_grad: bool = False) -> dict[Node, Any]:
    """Total gradient of `root` with respect to every node that needs one.

    `on_step(node, grad, input_grads)` is called as each node passes its gradient to its
    parents; `trace_backward` uses it to show the chain rule one step at a time. With
    `into_grad` (what `backward` does) each total is also added to its node's `.grad`
    once it is complete, in the same pass.
    """
    global _recording
    totals: dict[Node, Any] = {root: seed}
    known_grad = totals.get
    node_type = type(root)  # graphs are of one node type
    accept = node_type._accept_grad
    versioned = node_type.checks_versions
    raw = node_type._raw
    # gradient rules record a graph only for create_graph (a plain try/finally: a
    # context manager here costs more than a small Tensor op)
    given_to_leaves: set[int] = set()  # ids of the arrays stored in leaves' .grad
    previous, _recording = _recording, create_graph
    try:
        for node in reversed(topological_order(root)):
            grad = known_grad(node)
            if grad is None:
                continue
            op = node.op
            if into_grad:
                if op is None:
                    # a rule may hand one array to several inputs (a + b): each leaf gets
                    # its own, so that changing one .grad in place cannot change another
                    key = id(grad)
                    if key not in given_to_leaves:
                        given_to_leaves.add(key)
                    elif hasattr(grad, "copy"):
                        grad = grad.copy()
                known = node.grad
                # a fresh grad (None, or a Value's 0.0) is replaced rather than added to,
                # which keeps a create_graph gradient free of a useless `0 + g` node
                if known is None or (known.__class__ is float and known == 0.0):
                    node.grad = grad
                else:
                    node.grad = known + grad
            if op is None:
                continue
            parents = node.parents
            if versioned:
                node._check_versions()
            if create_graph:
                input_grads = op.grad(grad, node, node.ctx, *parents)
            elif len(parents) == 2:  # spelled out for the common arities: a starred
                a, b = parents  # argument list costs more than the rest of the step
                input_grads = op.grad(grad, node.data, node.ctx, a.data, b.data)
            elif len(parents) == 1:
                input_grads = op.grad(grad, node.data, node.ctx, parents[0].data)
            else:
                input_grads = op.grad(grad, node.data, node.ctx, *map(raw, parents))
            if on_step is not None:
                on_step(node, grad, input_grads)
            # an op with exact grads needs no reshaping of them (plain backward only)
            check = accept is not None and (create_graph or not op.exact_grads)
            for parent, input_grad in zip(parents, input_grads):
                if input_grad is None:
                    continue
                if accept is not None:
                    if not parent.requires_grad:
                        continue
                    if check:
                        input_grad = accept(parent, input_grad)
                known = known_grad(parent)
                totals[parent] = input_grad if known is None else known + input_grad
    finally:
        _recording = previous
    return totals


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


def grad(f: Callable[..., Any], argnums: int | Sequence[int] | None = None) -> Callable[..., Any]:
    """The gradient of `f` as a function, in the manner of JAX's `grad`.

    `grad(f)(x, y)` returns `(df/dx, df/dy)` (a single value when `f` takes one
    argument, or when `argnums` is an int). Plain numbers and numpy arrays are wrapped
    as leaves and the result comes back raw; graph nodes are used as they are and the
    result is a differentiable node, so `grad(grad(f))` gives second derivatives.
    """
    def wrap(x: Any, dtype: Any = "float64") -> Node:
        if isinstance(x, Node):
            return x
        if isinstance(x, (int, float)):
            from autograd.value import Value

            return Value(x)
        from autograd.tensor import Tensor

        return Tensor(x, dtype=dtype, requires_grad=True)

    def df(*args: Any) -> Any:
        chosen = list(range(len(args))) if argnums is None else [
            _argument_index(i, len(args))
            for i in ([argnums] if isinstance(argnums, int) else argnums)]
        wrapped = [wrap(a) if i in chosen else a for i, a in enumerate(args)]
        # any node argument (chosen or not) may be differentiated later: keep the graph
        nested = any(isinstance(a, Node) for a in args)
        with _recording_as(True):
            out = f(*wrapped)
        if not isinstance(out, Node):
            raise TypeError(f"grad(f): f must return a Value or Tensor, got {type(out).__name__}")
        result = gradients(out, [wrapped[i] for i in chosen], create_graph=nested)
        if not nested:
            result = [r.data if isinstance(r, Node) else r for r in result]
        else:  # a constant derivative (of x + 1, say) is a node too, so grad(grad(f)) works
            result = [wrap(r, getattr(r, "dtype", "float64")) for r in result]
        single = isinstance(argnums, int) or (argnums is None and len(args) == 1)
        return result[0] if single else tuple(result)

    df.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return df
