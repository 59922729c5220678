"""`chainrule trace`: the expression parser builds Values and refuses everything else."""

from __future__ import annotations

import math
import shutil

import pytest

from chainrule.cli import main
from chainrule.trace import ExpressionError, build_trace

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not found")


def test_the_neuron_is_built_from_values_with_its_parts_as_labels():
    trace = build_trace("tanh(w*x + b)", {"w": 0.5, "x": 2.0, "b": -1.0})
    root = trace.root
    assert root.label == "tanh(w * x + b)" and root.data == pytest.approx(math.tanh(0.0))
    leaves = {node.label: node for node in trace.totals if not node.parents}
    assert trace.totals[leaves["w"]] == pytest.approx(2.0)  # (1 - tanh(0)^2) * x
    assert trace.totals[leaves["b"]] == pytest.approx(1.0)


def test_a_name_used_twice_is_one_node_and_numbers_fold():
    trace = build_trace("x*x + 2**3 - -x", {"x": 3.0})
    assert trace.root.data == pytest.approx(9 + 8 + 3)
    [x] = [node for node in trace.totals if node.label == "x"]
    assert trace.totals[x] == pytest.approx(2 * 3 + 1)


@pytest.mark.parametrize(("expression", "message"), [
    ("__import__('os').system('echo hi')", "only these functions can be called"),
    ("x.real", r"'x.real' \(Attribute\) is not allowed"),
    ("x // 2", r"'x // 2' \(FloorDiv\) is not allowed"),
    ("lambda: x", r"\(Lambda\) is not allowed"),
    ("x if x else 1", r"\(IfExp\) is not allowed"),
    ("x < 1", r"\(Compare\) is not allowed"),
    ("[x][0]", r"\(Subscript\) is not allowed"),
    ("'a' * x", "'a'\" is not a number"),
    ("True * x", "'True' is not a number"),
    ("tanh(x, x)", "tanh takes exactly one argument"),
    ("tanh(x=x)", "tanh takes exactly one argument"),
    ("tanh + x", "'tanh' is a function: call it"),
    ("x / 0", "'x / 0' cannot be computed"),
    ("x +", "is not an expression"),
    ("   ", "empty"),
    ("-" * 10_001 + "x", "at most 10,000"),
])
def test_anything_else_is_refused_naming_the_part(expression, message):
    with pytest.raises(ExpressionError, match=message):
        build_trace(expression, {"x": 1.0})


def test_names_without_values_and_values_without_names_are_errors():
    with pytest.raises(ExpressionError, match="no value for b, w: .* --set b=1,w=1"):
        build_trace("w*x + b", {"x": 1.0})
    with pytest.raises(ExpressionError, match="--set names z, which 'x' does not use"):
        build_trace("x", {"x": 1.0, "z": 2.0})


def run_trace(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the real `chainrule` command line: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exit_info:  # errors leave through argparse's exit, as every command's
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


@needs_dot
def test_the_command_writes_the_page(tmp_path, capsys):
    out = tmp_path / "pages" / "neuron.html"
    code, printed, _ = run_trace(capsys, "trace", "tanh(w*x + b)",
                           "--set", "w=0.5,x=2", "--set", "b=-1", "--out", str(out))
    assert code == 0 and str(out) in printed
    page = out.read_text(encoding="utf-8")
    assert "<title>backprop explorer: tanh(w*x + b)</title>" in page


@pytest.mark.parametrize(("setting", "message"), [
    ("w", "write NAME=NUMBER"), ("w=abc", "'abc' is not a number"),
    ("w=inf", "must be finite"), ("w=1,w=2", "gives w twice"), ("1w=2", "NAME=NUMBER"),
])
def test_bad_settings_exit_with_2_and_say_why(tmp_path, capsys, setting, message):
    code, _, err = run_trace(capsys, "trace", "w", "--set", setting,
                       "--out", str(tmp_path / "page.html"))
    assert code == 2 and message in err and err.startswith("chainrule trace: error:")
    assert not list(tmp_path.iterdir())


@needs_dot
def test_a_page_that_cannot_be_written_is_one_line_with_exit_1(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run_trace(capsys, "trace", "w", "--set", "w=1",
                             "--out", str(blocker / "page.html"))
    assert code == 1 and err.startswith("chainrule trace: error:") and "Traceback" not in err
