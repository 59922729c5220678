# make demo: the worked example; make test: the whole test suite. Both set up .venv first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench

demo: $(VENV)/.installed
	$(PY) -m nn.demo

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# benchmarks need the [bench] extra (torch, micrograd), installed on first use
BENCHMARKS ?= benchmarks/scalar_engine.py
bench: $(VENV)/.installed-bench
	@for script in $(BENCHMARKS); do echo "== $$script"; $(PY) "$$script" || exit 1; done

$(PY):
	$(PYTHON) -m venv $(VENV)

# re-install only when the dependencies change
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev,report]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -e '.[dev,report,bench]'
	touch $@
