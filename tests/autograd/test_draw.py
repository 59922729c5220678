"""Graph pictures, graph statistics and the step-by-step backward trace."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    OPS,
    Node,
    Tensor,
    Value,
    draw_graph,
    graph_stats,
    render_graph,
    topological_order,
    trace_backward,
)
from autograd.draw import ROLE_HUES

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


def hue(line):
    return float(re.search(r'fillcolor="([\d.]+) ([\d.]+)', line).group(1))


def saturation(line):
    return float(re.search(r'fillcolor="([\d.]+) ([\d.]+)', line).group(2))


# -- pictures ---------------------------------------------------------------------------

def test_value_nodes_show_label_data_and_grad_with_op_nodes_between():
    loss, n = small_graph()
    loss.backward()
    dot = draw_graph(loss)
    assert "rankdir=LR" in dot.source
    assert "{ a | data 2 | grad 6 }" in node_line(dot, n["a"])
    assert "{ L | data -8 | grad 1 }" in node_line(dot, loss)
    ops = re.findall(r'"\d+op" \[label="?([^" ]+)', dot.source)
    assert sorted(ops) == ["*", "*", "+"]
    # each op sits between its inputs and its output
    assert f'{id(n["e"])} -> "{id(n["d"])}op"' in dot.source
    assert f'"{id(n["d"])}op" -> {id(n["d"])}' in dot.source
    assert "rankdir=TB" in draw_graph(loss, rankdir="TB").source


def test_roles_are_coloured_and_constants_plain():
    w = Value(0.5)
    x = Value(3.0, label="x")
    y = (w * x + 1.0).tanh()
    dot = draw_graph(y, params={"w1": w})
    assert hue(node_line(dot, w)) == ROLE_HUES["parameter"]
    assert "w1" in node_line(dot, w)
    assert hue(node_line(dot, x)) == ROLE_HUES["input"]
    assert hue(node_line(dot, y)) == ROLE_HUES["output"]
    assert hue(node_line(dot, y.parents[0])) == ROLE_HUES["intermediate"]
    constant = y.parents[0].parents[1]
    assert "style=dashed" in node_line(dot, constant)
    assert "fillcolor" not in node_line(dot, constant)
    assert "grad" not in node_line(dot, constant)


def test_names_from_named_parameters_pairs_and_bad_names():
    w = Value(0.5)
    y = w * 2.0
    dot = draw_graph(y, params=(pair for pair in [("layer0.weight", w)]))
    assert "layer0.weight" in node_line(dot, w)
    with pytest.raises(TypeError, match="params\\['w'\\] is a float"):
        draw_graph(y, params={"w": 0.5})
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(y, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(y, max_nodes=0)


def test_legend_size_dpi_and_gradient_shading():
    loss, n = small_graph()
    loss.backward()  # |grad|: L 1, d 2, f 4, a 6, b 4
    dot = draw_graph(loss, legend=True, shade_grad=True, size=(8, 5), dpi=150)
    assert "cluster_legend" in dot.source
    assert all(role in dot.source for role in [*ROLE_HUES, "constant"])
    assert 'size="8,5"' in dot.source and "dpi=150" in dot.source
    strengths = [saturation(node_line(dot, n[k])) for k in "dfa"]
    assert strengths == sorted(strengths) and strengths[0] < strengths[-1]
    assert "cluster_legend" not in draw_graph(loss).source


def test_second_order_gradients_are_drawn_by_value():
    x = Value(3.0, label="x")
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert "grad 27" in node_line(draw_graph(y), x)


def test_array_nodes_show_shape_dtype_and_values():
    small = ArrayNode([1.0, 2.0, 3.0], label="w")
    big = ArrayNode(np.arange(12.0).reshape(3, 4), requires_grad=False, label="x")
    out = array_op("mul", small, array_op("add", small, small))
    out.grad = np.array([0.5, 0.0, -1.0])
    unnamed = ArrayNode(np.zeros(2), requires_grad=False)
    root = array_op("neg", big)
    dot = draw_graph(out)
    line = node_line(dot, small)
    assert "(3,) float64" in line and "data [1., 2., 3.]" in line
    assert hue(line) == ROLE_HUES["parameter"]  # a leaf array with requires_grad
    assert "grad [ 0.5,  0. , -1. ]" in node_line(dot, out)
    line = node_line(draw_graph(root), big)
    assert "(3, 4) float64" in line
    assert "mean 5.5 std 3.452 min 0 max 11" in line
    assert hue(line) == ROLE_HUES["input"]  # labelled, no requires_grad
    assert "grad" not in line
    assert "fillcolor" not in node_line(draw_graph(array_op("neg", unnamed)), unnamed)


def test_real_tensor_is_drawn_and_traced():
    w = Tensor(np.ones((2, 3)), dtype="float64", requires_grad=True)
    x = Tensor(np.arange(6.0).reshape(2, 3), dtype="float64", label="x")
    loss = (w * x).sum()
    trace = trace_backward(loss, params={"w": w})
    loss.backward()
    np.testing.assert_array_equal(trace[-1].known[w], w.grad)
    line = node_line(draw_graph(loss, params={"w": w}), w)
    assert "w | (2, 3) float64 | data [[1., 1., 1.], [1., 1., 1.]]" in line
    assert "grad [[0., 1., 2.], [3., 4., 5.]]" in line
    assert hue(line) == ROLE_HUES["parameter"]


def test_large_graph_collapses_into_a_summary_that_counts_what_is_left_out():
    x = Value(1.0, label="x")
    terms = [x * float(i) + 1.0 for i in range(6500)]  # 4 nodes each, 26,001 in all
    loss = Value.sum(terms)
    total = graph_stats(loss).nodes
    assert total == 26_002
    dot = draw_graph(loss, max_nodes=200)
    shown = [s for s in dot.body if re.match(r"\s*\d+ \[", s)]
    assert len(shown) == 200
    assert f"… {total - 200:,} more nodes:" in dot.source
    assert "add ×" in dot.source and "mul ×" in dot.source
    assert f"showing 200 of {total:,} value nodes" in dot.source
    # the kept nodes are the ones nearest the root
    assert str(id(loss)) in dot.source and f"{id(x)} [" not in dot.source


def test_a_million_node_chain_is_drawn_without_recursion():
    node = Value(0.0, label="start")
    neg = OPS["neg"]
    for _ in range(999_999):
        node = Value(0.0, (node,), neg)
    dot = draw_graph(node, max_nodes=10)
    assert "… 999,990 more nodes: neg ×999,989, leaf ×1" in dot.source


# -- statistics -------------------------------------------------------------------------

def test_graph_stats_on_a_hand_built_graph():
    loss, _ = small_graph()
    stats = graph_stats(loss)
    assert (stats.nodes, stats.edges, stats.depth, stats.leaves) == (7, 6, 3, 4)
    assert stats.ops == {"mul": 2, "add": 1}
    assert stats.memory_bytes > 0
    assert str(stats).startswith("7 nodes (4 leaves), 6 edges, depth 3, about ")
    assert "mul ×2, add ×1" in str(stats)
    x = Value(2.0)
    square = graph_stats(x * x)
    assert (square.nodes, square.edges, square.depth, square.leaves) == (2, 2, 1, 1)


def test_graph_stats_counts_array_buffers_and_deep_chains():
    a = ArrayNode(np.zeros(10_000))
    assert graph_stats(array_op("neg", a)).memory_bytes >= 2 * 80_000
    node = Value(0.0)
    for _ in range(100_000):
        node = node.exp()
    stats = graph_stats(node)
    assert (stats.depth, stats.nodes, stats.leaves) == (100_000, 100_001, 1)


# -- the backward trace -----------------------------------------------------------------

def test_trace_frames_follow_the_chain_rule():
    loss, n = small_graph()
    trace = trace_backward(loss)
    assert len(trace) == 4  # seed + the three ops
    first = trace[0]
    assert (first.index, first.node, first.grad, first.input_grads) == (0, loss, 1.0, ())
    assert first.known == {loss: 1.0}
    assert [f.node for f in trace[1:]] == [loss, n["d"], n["e"]]
    assert trace[1].input_grads == (-2.0, 4.0)
    assert trace[3].formula == OPS["mul"].formula
    assert "passes 6 to 'a', -4 to 'b'" in trace[3].text()
    assert all(v.grad == 0.0 for v in topological_order(loss))  # .grad untouched
    loss.backward()
    assert trace[-1].known == {v: v.grad for v in topological_order(loss)}
    assert len(str(trace).splitlines()) == 4 and repr(trace) == "<Trace of 4 frames>"


def test_trace_frame_picture_highlights_the_step():
    loss, n = small_graph()
    dot = trace_backward(loss)[2].draw()
    assert "color=red" in node_line(dot, n["d"])
    assert "color=orange" in node_line(dot, n["e"])
    assert "color=orange" in node_line(dot, n["c"])
    assert "grad ?" in node_line(dot, n["a"])
    assert "grad -2" in node_line(dot, n["c"])
    assert f'{id(n["c"])} -> "{id(n["d"])}op" [label=-2]' in dot.source
    assert OPS["add"].formula in dot.source


def test_trace_of_arrays_and_with_names():
    w = ArrayNode([1.0, -2.0])
    x = ArrayNode([3.0, 4.0], requires_grad=False, label="x")
    trace = trace_backward(array_op("mul", w, x), params={"w": w})
    np.testing.assert_array_equal(trace[-1].known[w], [3.0, 4.0])
    assert x not in trace[-1].known and w.grad is None
    assert "to 'w'" in trace[1].text()


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


@given(random_graphs())
def test_trace_matches_backward_on_random_graphs(root):
    trace = trace_backward(root)
    order = topological_order(root)
    assert len(trace) == 1 + sum(1 for v in order if v.op is not None)
    seen: dict = {}
    for frame in trace:
        known = frame.known
        assert frame.node in known and known[frame.node] == frame.grad
        assert seen.items() <= known.items()  # a complete gradient never changes
        if frame.index > 0:
            # this step's inputs were not complete before it: it still had to pass its share
            before = trace[frame.index - 1].known
            assert not any(p in before for p in frame.node.parents)
        seen = known
    root.backward()
    assert trace[-1].known == {v: v.grad for v in order}


@given(random_graphs(), st.integers(1, 20))
def test_collapsed_and_shown_nodes_add_up(root, limit):
    total = graph_stats(root).nodes
    dot = draw_graph(root, max_nodes=limit)
    shown = sum(1 for s in dot.body if re.match(r"\s*\d+ \[", s))
    assert shown == min(limit, total)
    hidden = re.search(r"… ([\d,]+) more nodes", dot.source)
    assert (int(hidden.group(1).replace(",", "")) if hidden else 0) == total - shown


# -- rendering --------------------------------------------------------------------------

@needs_dot
def test_render_svg_and_png_files(tmp_path):
    loss, _ = small_graph()
    dot = draw_graph(loss)
    svg = render_graph(dot, tmp_path / "graph.svg")
    assert "<svg" in svg.read_text()
    png = render_graph(dot, tmp_path / "picture", format="png")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.svg", "picture"]
    with pytest.raises(ValueError, match="svg, png or pdf.*'txt'"):
        render_graph(dot, tmp_path / "graph.txt")


@needs_dot
def test_trace_saves_one_file_per_frame_and_shows_in_notebooks(tmp_path):
    loss, _ = small_graph()
    trace = trace_backward(loss)
    paths = trace.save(tmp_path / "frames", format="png")
    assert [p.name for p in paths] == [f"frame_00{i}.png" for i in range(4)]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [p.name for p in paths]
    html = trace._repr_html_()
    assert html.count("<svg") == 1 and "step 3:" in html  # the explorer's static fallback
    with pytest.raises(ValueError, match="'gif'"):
        trace.save(tmp_path, format="gif")


def test_without_dot_the_source_remains_and_rendering_says_how_to_install(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` to be found
    loss, _ = small_graph()
    dot = draw_graph(loss)
    assert "data -8" in dot.source
    with pytest.raises(RuntimeError, match="install graphviz: apt-get install graphviz"):
        render_graph(dot, tmp_path / "graph.svg")
    trace = trace_backward(loss)
    with pytest.raises(RuntimeError, match="brew install graphviz"):
        trace.save(tmp_path / "frames")
    assert "install graphviz" in trace._repr_html_()
    assert not list(tmp_path.rglob("*.svg"))
