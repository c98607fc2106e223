# Two entry points: `make run` and `make test`. Each creates or refreshes .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of torch, installed before sentence-transformers so that pip never
# pulls a multi-GB CUDA build. Override on machines that have another CPU wheel.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH)"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev,local]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/copilot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	LANGSMITH_TEST_TRACKING=false $(BIN)/python -m pytest

bench: $(STAMP)
	for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
