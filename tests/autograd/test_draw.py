"""Graph pictures and graph statistics (autograd.draw); the trace is in test_trace.py."""

from __future__ import annotations

import re

import numpy as np
import pytest
from graphs import ArrayNode, array_op, needs_dot, node_line, random_graphs, small_graph
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    OPS,
    Tensor,
    Value,
    draw_graph,
    graph_stats,
    render_graph,
    trace_backward,
)
from autograd.draw import ROLE_HUES


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
