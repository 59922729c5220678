"""The chain rule: one iterative graph traversal that serves every node type.

Backward walks the nodes in reverse topological order and asks each node's op for the
gradients of its inputs (see `autograd.op`). Nothing here recurses, so graphs of
millions of nodes, deep or wide, work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from autograd.node import Node, recording
from autograd.tape import active


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

# Counts the backward passes started. An op whose steps share work across one pass (the
# recurrent steps of autograd.ops.recurrent) reads it to tell a new pass from the rest of
# an old one that stopped midway.
passes_started = 0


def backpropagate(root: Node, seed: Any, create_graph: bool = False,
                  on_step: StepHook | None = None, into_grad: bool = False) -> dict[Node, Any]:
    """Total gradient of `root` with respect to every node that needs one.

    `on_step(node, grad, input_grads)` is called as each node passes its gradient to its
    parents; `trace_backward` uses it to show the chain rule one step at a time. With
    `into_grad` (what `backward` does) each total is also added to its node's `.grad`
    once it is complete, in the same pass.
    """
    global passes_started
    passes_started += 1
    order = topological_order(root)
    if active.tape is not None:  # autograd.compile is capturing: plan this pass too
        active.tape.record_backward(root, seed, order, create_graph, into_grad)
    totals: dict[Node, Any] = {root: seed}
    known_grad = totals.get
    node_type = type(root)  # graphs are of one node type
    accept = node_type._accept_grad
    versioned = node_type.checks_versions
    raw = node_type._raw
    # gradient rules record a graph only for create_graph (a plain try/finally: a
    # context manager here costs more than a small Tensor op)
    given_to_leaves: set[int] = set()  # ids of the arrays stored in leaves' .grad
    previous, recording.on = recording.on, create_graph
    try:
        for node in reversed(order):
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
            elif op.grad_into and into_grad:  # parameters' gradients into their buffers
                input_grads = op.grad(grad, node.data, node.ctx, *map(raw, parents),
                                      into=_buffers(parents, known_grad))
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
        recording.on = previous
    return totals


def _buffers(parents: tuple, known_grad: Callable[[Node], Any]) -> list:
    """The `into=` of an `Op.grad_into` rule in a plain backward: each parameter's
    `grad_buffer` (Tensor), taken, while no gradient reached it yet, neither in its `.grad`
    nor in this pass (writing there would change it before the sum); else None."""
    into = [None] * len(parents)
    for k, p in enumerate(parents):
        if p.op is None:
            buffer = p._grad_buffer
            if buffer is not None and p.grad is None and known_grad(p) is None:
                p._grad_buffer = None  # a buffer serves once (Tensor.grad_buffer)
                into[k] = buffer
    return into


def backward(root: Node, gradient: Any = None, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(node) into `node.grad` for every node of the graph.

    What `Value.backward` and `Tensor.backward` run; see there.
    """
    backpropagate(root, root._seed_grad(gradient), create_graph, into_grad=True)


def zero_grad(root: Node) -> None:
    """Reset `.grad` on every node of the graph that ends at `root`."""
    for node in topological_order(root):
        node.grad = node._zero_like_grad()
