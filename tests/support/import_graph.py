"""The import graph of the project's packages, read from the source with `ast`.

Every import that can run counts, wherever it is written: at the top, inside a function,
at the bottom of a file. Two blocks are left out: `if TYPE_CHECKING:`, which never runs
(it names types for annotations), and `if __name__ == "__main__":`, which runs when the
file is a script, as the module `__main__`, which no other module imports.

`from P import name` is an edge to P, whose namespace it reads, and to P.name too when
that is a module. Importing P.sub also runs P's `__init__`, but that implicit edge is
left out: a package's `__init__` may import its own submodules (that is what it is for).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Module name -> file, for every .py file of the given packages under `root`
    (packages that do not exist are skipped)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _never_imported(node: ast.AST) -> bool:
    """Whether `node` is an `if TYPE_CHECKING:` or `if __name__ == "__main__":` block."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    if isinstance(test, ast.Name | ast.Attribute):
        return (getattr(test, "id", None) or getattr(test, "attr", None)) == "TYPE_CHECKING"
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
            and any(isinstance(c, ast.Constant) and c.value == "__main__"
                    for c in test.comparators))


def _imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of the module, at any depth, outside the blocks above."""
    pending: list[ast.AST] = list(tree.body)
    while pending:  # a loop, not recursion
        node = pending.pop()
        if _never_imported(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of the module a `from ... import` names (relative ones resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the modules of these packages that it imports."""
    known = modules(root, packages)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            else:
                source = _absolute(name, path.name == "__init__.py", node)
                targets.add(source)
                targets.update(f"{source}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in known and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            for nxt in stack[-1]:
                if state.get(nxt) == 1:
                    return path[path.index(nxt):] + [nxt]
                if nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(sorted(graph[nxt])))
                    break
            else:
                state[path.pop()] = 2
                stack.pop()
    return None
