# qMachina — every target is one line; `make help` lists them.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := $(UV) run --frozen python
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run test lint typecheck bench fmt migrate validate-configs e2e

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

install: ## install uv if missing, then every workspace package and dev tool
	@bash deploy/local/ensure-uv.sh && $(UV) sync --frozen --all-packages

run: install ## start the whole platform on embedded defaults (Ctrl-C stops it)
	$(PY) -m qm_devstack.run

test: install ## run the whole test suite against real Postgres and Redis
	$(UV) run --frozen pytest libs services tests -p no:randomly -q $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: install ## ruff, mypy (strict) and import-linter
	$(UV) run --frozen ruff check libs services tests bench deploy gateway && $(UV) run --frozen ruff format --check libs services tests bench deploy gateway && $(MAKE) -s typecheck && $(UV) run --frozen lint-imports

typecheck: install ## mypy strict over libs, then services
	$(UV) run --frozen mypy $(foreach d,$(wildcard libs/*/src/qm_*),-p $(notdir $(d))) && $(UV) run --frozen mypy $(foreach d,$(wildcard services/*/src/qm_*),-p $(notdir $(d)))

fmt: install ## format and autofix
	$(UV) run --frozen ruff format libs services tests bench deploy gateway && $(UV) run --frozen ruff check --fix libs services tests bench deploy gateway

migrate: install ## apply every service's migrations to QM_DATABASE_URL (or the embedded server)
	$(PY) -m qm_devstack.migrate

bench: install ## run the benchmarks in bench/ (figures beside same-run references, written to var/bench/)
	$(PY) -m bench

e2e: install ## end-to-end tests only: the real stack through Envoy
	$(UV) run --frozen pytest tests/e2e -p no:randomly -q $(PYTEST_ARGS)

validate-configs: install ## validate every spec under configs/
	$(PY) -m qm_specs.validate configs
