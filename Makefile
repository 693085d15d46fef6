# Two commands on a fresh machine with Python 3.11 and pip:
#   make run    create .venv, install, serve the bundled default model on http://127.0.0.1:8080
#   make test   create .venv, install with test extras, lint and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A CPU build of torch, installed before the project so pip does not pull a multi-GB CUDA build.
TORCH := torch==2.13.0
INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off

.PHONY: run test lint bench clean

$(VENV)/.installed-torch:
	$(PYTHON) -m venv $(VENV)
	$(INSTALL) $(TORCH)
	touch $@

$(VENV)/.installed-run: pyproject.toml $(VENV)/.installed-torch
	$(INSTALL) -e '.[server,parquet]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-torch
	$(INSTALL) -e '.[server,eval,mteb,train,onnx,curation,ray,dev]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/taskembed serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
