"""The application sits above the library: nothing in autograd/ or nn/ imports chainrule."""

from pathlib import Path

from import_graph import import_graph

REPO = Path(__file__).resolve().parents[2]


def test_the_library_never_imports_the_application():
    graph = import_graph(REPO, ("autograd", "nn", "chainrule"))
    assert any(name.startswith("chainrule") for name in graph), "no chainrule modules found"
    offenders = [f"{module} imports {target}" for module, targets in sorted(graph.items())
                 if not module.startswith("chainrule")
                 for target in sorted(targets) if target.split(".")[0] == "chainrule"]
    assert not offenders, "library modules importing the application:\n" + "\n".join(offenders)
