# make demo: train on MNIST, write a report; make test: the test suite. Both set up .venv first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench

# the MNIST main job: full MNIST from $$CHAINRULE_DATA, the user cache or a download, else
# the 5,000-digit sample shipped with chainrule; --force: a new demo replaces the last one
demo: $(VENV)/.installed
	$(VENV)/bin/chainrule train --out runs/demo --force
	@echo "report: $(abspath runs/demo/report.md)"

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# benchmarks need the [bench] extra (torch, micrograd), installed on first use
BENCHMARKS ?= benchmarks/scalar_engine.py benchmarks/tensor_ops.py benchmarks/mnist_mlp.py \
              benchmarks/mnist_overhead.py benchmarks/nielsen.py \
              benchmarks/conv.py benchmarks/rnn.py benchmarks/explorer.py
bench: $(VENV)/.installed-bench
	@for script in $(BENCHMARKS); do echo "== $$script"; $(PY) "$$script" || exit 1; done

# notebooks need the [notebooks] extra (jupyter), installed on first use; 04 and 06 use full
# MNIST when $$CHAINRULE_DATA names it, as `make demo` does
.PHONY: notebooks
notebooks: $(VENV)/.installed-notebooks
	$(VENV)/bin/jupyter lab notebooks/

$(PY):
	$(PYTHON) -m venv $(VENV)

# re-install only when the dependencies change
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev,report]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -e '.[dev,report,bench]'
	touch $@

$(VENV)/.installed-notebooks: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -e '.[dev,report,notebooks]'
	touch $@
