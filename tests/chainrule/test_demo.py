"""chainrule.demo: the worked 2-2-1 example prints checked gradients and draws its graph."""

import contextlib
import io
import shutil

import pytest

from chainrule import demo


def test_demo_gradients_pass_gradcheck_and_the_graph_is_drawn(tmp_path):
    pytest.importorskip("graphviz", reason="the demo draws its graph with graphviz")
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot program is not installed")
    picture = tmp_path / "graph.svg"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = demo.main([str(picture)])
    assert code == 0
    text = printed.getvalue()
    assert "gradcheck: ok" in text
    for name in ("w11", "w12", "b1", "w21", "w22", "b2", "v1", "v2", "c"):
        assert f"\n{name} " in text, name
    assert picture.read_text().lstrip().startswith(("<?xml", "<svg"))
