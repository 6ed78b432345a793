# Every target creates .venv and installs into it on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest run demo bench docs template clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers scheduler models services faketg sim bench tools
	$(BIN)/pytest

pytest: $(STAMP)
	$(BIN)/pytest

run: $(STAMP)
	$(BIN)/firegrid run

demo: $(STAMP)
	$(BIN)/firegrid demo

# Page PNGs of the sample 通报 through LibreOffice (skipped with a message when not installed).
docs: $(STAMP)
	$(BIN)/python -m pip install -q pypdfium2 || echo "pypdfium2 not installed: pages cannot be drawn"
	$(BIN)/python -m tools.render_docs

# Rewrite the shipped Word template from services/bulletin/template.py.
template: $(STAMP)
	$(BIN)/python -m services.bulletin.template

# Benchmarks print figures (they are not tests); see the README for what each measures.
bench: $(STAMP)
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.cases
	$(BIN)/python -m bench.digest --sizes 10000,100000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
