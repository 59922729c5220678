"""The examples in the docstrings of autograd, nn and chainrule run and print what they
show: each module with an example is one test."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "chainrule")


def modules_with_examples() -> list[str]:
    """The dotted names of the packages' modules whose source holds a `>>>` example (read,
    not imported, so that collecting the tests imports nothing)."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if ">>>" in path.read_text(encoding="utf-8"):
                parts = path.relative_to(ROOT).with_suffix("").parts
                names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    examples = doctest.DocTestFinder().find(module)
    assert any(example.examples for example in examples), f"{name}: no example found"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for example in examples:
        runner.run(example, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
