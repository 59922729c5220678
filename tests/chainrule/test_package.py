"""The application sits above the library: nothing in autograd/ or nn/ imports chainrule."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported_names(source: str) -> set[str]:
    """Every module name an `import` or `from ... import` statement in `source` names."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_imported_names_sees_every_form_of_import():
    source = ("import chainrule\nimport os, chainrule.cli as c\n"
              "def f():\n    from chainrule.report import markdown\n")
    assert imported_names(source) == {"chainrule", "os", "chainrule.cli", "chainrule.report"}


def test_the_library_never_imports_the_application():
    offenders = []
    for package in ("autograd", "nn"):
        files = sorted((REPO / package).rglob("*.py"))
        assert files, f"no Python files under {package}/"
        for path in files:
            names = imported_names(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(REPO)}: {name}" for name in sorted(names)
                          if name == "chainrule" or name.startswith("chainrule.")]
    assert not offenders, "library modules importing the application:\n" + "\n".join(offenders)
