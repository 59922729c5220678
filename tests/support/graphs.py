"""Small graphs shared by the picture and trace tests: a hand-built one with labels, random
DAGs of Values with shared nodes, and a minimal array-valued node type."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import strategies as st

from autograd import OPS, Node, Value

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not installed")


class ArrayNode(Node):
    """A minimal array-valued node, standing in for Tensor (same data/grad conventions)."""

    __slots__ = ("requires_grad",)

    def __init__(self, data, parents=(), op=None, label="", requires_grad=True):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = None
        self.parents = parents
        self.op = op
        self.ctx = None
        self.label = label
        self.requires_grad = requires_grad

    def _accept_grad(self, grad):  # the engine skips parents without requires_grad here
        return grad

    def _seed_grad(self, gradient):
        return np.ones_like(self.data) if gradient is None else gradient

    def _zero_like_grad(self):
        return None


def array_op(name, *parents):
    op = OPS[name]
    return ArrayNode(op.forward(*[p.data for p in parents]), parents, op)


def small_graph():
    """The classic L = (a*b + c) * f, with labels."""
    a, b, c, f = (Value(v, label=n) for v, n in [(2.0, "a"), (-3.0, "b"), (10.0, "c"),
                                                  (-2.0, "f")])
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    loss = d * f
    loss.label = "L"
    return loss, dict(a=a, b=b, c=c, d=d, e=e, f=f)


def node_line(dot, node):
    """The DOT statement that declares `node`."""
    lines = [s for s in dot.body if s.lstrip().startswith(f"{id(node)} [")]
    assert len(lines) == 1, dot.source
    return lines[0]


BUILDERS = [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
    lambda a, b: a.tanh(), lambda a, b: 0.5 * a,
]


@st.composite
def random_graphs(draw):
    """A random DAG of Values, whose nodes are often shared by several consumers."""
    nodes = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(1, 12))):
        build = draw(st.sampled_from(BUILDERS))
        nodes.append(build(draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))))
    return nodes[-1]
