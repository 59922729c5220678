"""The backprop explorer's page as data: what it embeds, escapes and lays out.

What a person sees in a browser is checked in test_explorer_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from autograd import Tensor, Value, trace_backward
from autograd.explorer import notebook_html

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not found")
HOSTILE = "</script><img src=x onerror=alert(1)>"


def embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>',
                      page, re.S)
    return json.loads(match.group(1))


def neuron() -> Value:
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    return (w * x + b + x).tanh()  # x feeds two ops: its gradient is collected in two shares


@needs_dot
def test_page_holds_every_frame_text_and_the_forward_pass():
    trace = trace_backward(neuron())
    data = embedded(trace.to_html())
    assert [frame["text"] for frame in data["backward"]] == [f.text() for f in trace]
    assert len(data["forward"]) == 1 + 4  # the inputs, then the four ops in order
    assert data["forward"][1]["text"] == "forward step 1: '(mul)' = 'w' * 'x' = 1"


@needs_dot
def test_a_node_with_two_consumers_shows_its_running_total():
    trace = trace_backward(neuron())
    x = next(box for box in embedded(trace.to_html())["boxes"]
             if box["info"][0] == ["name", "x"])
    [(step, text)] = x["grad"]["partials"]
    assert step < x["grad"]["done"]
    tanh_grad = 1 - np.tanh(2.0) ** 2  # the sum is 0.5 * 2 - 1 + 2
    assert text == f"grad so far {tanh_grad:.4g} (1 of 2)"
    assert x["grad"]["final"] == f"grad {tanh_grad * 1.5:.4g}"


@needs_dot
def test_hostile_labels_are_escaped_and_cannot_end_the_script():
    a = Value(1.0, label=HOSTILE)
    b = Value(2.0, label="\u2028&<b>")
    page = trace_backward(a * b).to_html()
    assert HOSTILE not in page and "<b>" not in page
    assert "&lt;/script&gt;&lt;img src=x onerror" in page  # the SVG text (cut to fit)
    data = page[page.index('id="explorer-data">'):]
    data = data[:data.index("</script>")]
    assert not re.search("[<>&\u2028\u2029]", data.split(">", 1)[1])
    assert embedded(page)["boxes"][1]["info"][0] == ["name", HOSTILE]


@needs_dot
def test_the_same_trace_gives_the_same_bytes_and_is_offline():
    first = trace_backward(neuron()).to_html()
    assert trace_backward(neuron()).to_html() == first
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", first)
    assert "default-src 'none'" in first


@needs_dot
def test_a_tensor_graph_shows_shapes_entries_and_gradient_norms():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    loss = (x * x).sum()
    page = trace_backward(loss).to_html()
    assert "(2, 3) float" in page
    box = embedded(page)["boxes"][2]  # the leaf x, after (sum) and (mul)
    info = dict(map(tuple, box["info"]))
    assert info["value"] == "[0, 1, 2, 3, …]"
    assert info["final gradient"] == "[0, 2, 4, 6, …]"
    assert float(info["final gradient norm"]) == pytest.approx(2 * np.linalg.norm(x.data))


@needs_dot
def test_big_graphs_collapse_as_draw_graph_does(tmp_path):
    total = Value(0.0)
    for i in range(300):
        total = total + Value(float(i)) * Value(2.0)
    trace = trace_backward(total)
    path = trace.save_html(tmp_path / "sub" / "big.html", max_nodes=50)
    data = embedded(path.read_text(encoding="utf-8"))
    assert sum(box["kind"] in ("value", "constant") for box in data["boxes"]) == 50
    assert data["boxes"][-1]["kind"] == "collapsed"
    assert data["note"].startswith("showing 50 of 1,201 value nodes")
    assert len(data["backward"]) == len(trace)  # every step stays in the caption
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        trace.to_html(max_nodes=0)


@needs_dot
def test_the_notebook_shows_the_player_with_a_static_fallback():
    trace = trace_backward(neuron())
    shown = trace._repr_html_()
    fallback = shown[:shown.index("<script>")]
    assert fallback.count("<svg") == 1 and fallback.count("<li>") == len(trace)
    assert "frame.srcdoc" in shown and HOSTILE not in shown


def test_without_dot_the_notebook_lists_the_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` to be found
    trace = trace_backward(neuron())
    shown = notebook_html(trace)
    assert "install graphviz" in shown and shown.count("<li>") == len(trace)
    with pytest.raises(RuntimeError, match="install graphviz"):
        trace.save_html(tmp_path / "page.html")
    assert not list(tmp_path.iterdir())
