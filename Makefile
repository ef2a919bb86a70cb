# rollout-metrics: two commands from a fresh clone, and a quicker check while editing.
#   make report   set up .venv if missing, install, write reports/sample_report.html
#   make test     set up .venv with the dev extras, run ruff, mypy and pytest (notebooks included)
#   make quick    ruff, mypy and pytest without the slow and Spark tests (under 3 minutes)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: report test quick lint typecheck pytest pytest-quick bench clean help

help:
	@echo "make report  - write reports/sample_report.html from the bundled sample data"
	@echo "make test    - ruff, mypy and the whole pytest suite (notebooks and slow tests included)"
	@echo "make quick   - ruff, mypy and pytest without slow and Spark tests (under 3 minutes)"
	@echo "make bench   - benchmarks on generated data (prints tables; not a test)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev,notebooks,spark]'
	@touch $@ $(VENV)/.installed-core

report: $(VENV)/.installed-core
	$(BIN)/rollout-metrics report --sample --out reports/sample_report.html

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks notebooks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint typecheck pytest

pytest-quick: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not slow and not spark"

quick: lint typecheck pytest-quick

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) reports/*.html reports/*.png .pytest_cache .mypy_cache .ruff_cache
