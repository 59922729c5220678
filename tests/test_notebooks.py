"""The notebooks in notebooks/ run from top to bottom, and are stored without outputs.

Each is executed in a fresh python3 kernel with CHAINRULE_NOTEBOOK_FAST=1, which makes
the cells that train run a short version (fewer epochs, less data); any cell that
raises fails the test.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = [
    "01_value_and_graph",
    "02_gradient_check",
    "03_mlp_moons",
    "04_mnist_784_16_16_10",
    "05_activations_and_vanishing_gradients",
    "06_convolution",
    "07_regularisation_and_overfitting",
    "08_four_equations_of_backprop",
    "09_costs_and_learning_slowdown",
    "10_perceptron_to_mlp",
    "11_gradient_descent_three_ways",
    "12_initialisation_and_regularisation",
    "13_recurrent_nets",
    "14_outgrowing_chainrule",
]
# notebooks that run other libraries: skipped, saying which, where one is missing
NEEDS = {"14_outgrowing_chainrule": ("onnx", "onnxruntime", "torch")}
CELL_TIMEOUT = 300  # seconds; a hung cell fails rather than blocking the suite


def test_the_notebooks_are_the_expected_ones() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: cell {index} has stored outputs"
            assert cell.execution_count is None, f"{name}: cell {index} has an execution count"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for package in NEEDS.get(name, ()):
        pytest.importorskip(package, reason=f"{name} needs {package} (pip install {package})")
    monkeypatch.setenv("CHAINRULE_NOTEBOOK_FAST", "1")  # the kernel inherits it
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError naming the cell that failed
