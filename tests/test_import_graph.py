"""No two modules of autograd, nn or chainrule import each other, directly or in a chain."""

from pathlib import Path

import pytest
from import_graph import find_cycle, import_graph

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [p for p in ("autograd", "nn", "chainrule") if (ROOT / p).is_dir()]


def test_no_import_cycles():
    graph = import_graph(ROOT, PACKAGES)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("source, cyclic", [
    ("import pkg.b", True),                       # a top-level import
    ("def f():\n    from pkg import b", True),    # inside a function
    ("from pkg import c", True),                  # reads pkg, whose __init__ imports a
    ("from pkg.c import x", False),
    ("if __name__ == '__main__':\n    import pkg.b", False),  # runs as __main__ only
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.b", False),
])
def test_the_graph_sees_every_kind_of_import(tmp_path, source, cyclic):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg import a\n")
    (package / "a.py").write_text(source + "\n")
    (package / "b.py").write_text("from pkg.a import x\n")
    (package / "c.py").write_text("x = 1\n")
    assert (find_cycle(import_graph(tmp_path, ["pkg"])) is not None) == cyclic
