# The one entry point: CI, the README and developers all go through these targets.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

# Extra prerequisites of `make test`, added by the fragments in mk/ (checkov's venv, ...).
TEST_PREREQS :=
-include mk/*.mk

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

.PHONY: install
install: $(VENV)/.synced ## Create .venv with exactly the locked dependencies

.PHONY: install-runtime
install-runtime: $(UV) ## For a host that only runs the job or the helper (cron, a server): .venv without the dev tools
	$(UV) sync --frozen --no-dev
	rm -f $(VENV)/.synced

.PHONY: lock
lock: $(UV) ## Re-resolve uv.lock after a change to pyproject.toml
	$(UV) lock

.PHONY: lint
lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: format
format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

.PHONY: typecheck
typecheck: install ## mypy, strict on the packages
	$(VENV)/bin/mypy

.PHONY: demo
demo: install ## Run the job end to end on two throwaway local databases and print the summary
	$(PY) -m devstack.demo

.PHONY: test
test: install lint typecheck $(TEST_PREREQS) ## The whole suite: lint, types, and every test
	$(VENV)/bin/pytest -m "not bench and not soak"

# e.g. make bench BENCH_ARGS="--sizes 10000,100000,1000000"
BENCH_ARGS ?=

.PHONY: bench
bench: install ## Benchmarks (throughput figures, not pass/fail timings); the sync's figures go to bench/results
	$(VENV)/bin/pytest -m bench -p no:cacheprovider -s
	$(PY) -m bench $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove the environments and caches
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

