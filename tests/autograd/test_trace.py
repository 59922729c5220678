"""The step-by-step backward trace (autograd.trace): frames that follow the chain rule,
their pictures, saving, and agreement with backward on random graphs."""

from __future__ import annotations

import numpy as np
import pytest
from graphs import ArrayNode, array_op, needs_dot, node_line, random_graphs, small_graph
from hypothesis import given

import autograd as ag
from autograd import OPS, Value, topological_order, trace_backward


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


def test_a_trace_frame_of_a_very_wide_node_still_renders(tmp_path):
    # graphviz refuses labels past 16,384 characters: the caption counts what it leaves out
    trace = trace_backward(Value.sum([Value(float(i)) for i in range(3000)]))
    assert "and 2,988 more inputs" in trace[1].text()
    ag.render_graph(trace[1].draw(), tmp_path / "wide.svg")
    assert (tmp_path / "wide.svg").stat().st_size > 0
