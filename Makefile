# Bookstore microservices. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt common/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e ./common
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned requirements

run: install ## Migrate and start all eight services, each restarted if it exits (Ctrl-C stops them)
	$(PY) -m tools.run

restart: ## Restart one process of a running make run: SERVICE=order (or order-dispatcher, ...); KILL=1 for SIGKILL
	@test -n "$(SERVICE)" || { echo "usage: make restart SERVICE=name [KILL=1]; names: python -m tools.restart --help" >&2; exit 2; }
	$(PY) -m tools.restart $(SERVICE) $(if $(KILL),--kill)

test: install ## Every service's tests and the end-to-end suite (PostgreSQL if DATABASE_SERVER_URL is set)
	$(PY) -m tools.test $(SUITES)

test-postgres: install ## The same suites on PostgreSQL ($(POSTGRES_URL)), one database per service
	DATABASE_SERVER_URL=$(POSTGRES_URL) $(PY) -m tools.test $(SUITES)

lint: install ## ruff lint and format check (no changes), mypy (tools/typecheck.py), then check-compose and check-kubernetes
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m tools.typecheck
	$(PY) -m tools.check_compose
	$(PY) -m tools.check_k8s

fmt: install ## Fix lint and format what can be fixed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test-compose: install ## docker compose for real (needs a Docker engine): build, start on a fresh volume, smoke journey through the gateway, stop (all exit 0), down -v
	$(PY) -m pytest -p no:cacheprovider tests/compose $(PYTEST_ARGS)

check-compose: install ## Check docker-compose.yml: compose-spec schema, make run's processes, .env.example
	$(PY) -m tools.check_compose

check-kubernetes: install ## Check deploy/k8s/: Kubernetes schemas (offline), make run's processes, probes, config
	$(PY) -m tools.check_k8s

requirements: install ## Re-pin requirements*.txt from requirements*.in
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(PY) -m piptools compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in
	$(PY) -m piptools compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements-bench.txt requirements-bench.in

fuzz: install ## Schemathesis at length against every service and the gateway (FUZZ_MAX_EXAMPLES=300, a new seed; FUZZ_SEED=n to repeat one)
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-300} FUZZ_SEED=$${FUZZ_SEED:-random} FUZZ_ALL_PHASES=1 $(PY) -m tools.test fuzz -- -s

$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $@

bench: $(VENV)/.bench-installed ## Load benchmark of the whole shop on SQLite and PostgreSQL (bench/results/load.md), the capacity curve on PostgreSQL (capacity.md), then tracing's cost (tracing_cost.md); BENCH_ARGS="--help" for options
	DATABASE_SERVER_URL=$${DATABASE_SERVER_URL:-$(POSTGRES_URL)} $(PY) -m bench.load $(BENCH_ARGS)
	DATABASE_SERVER_URL=$${DATABASE_SERVER_URL:-$(POSTGRES_URL)} $(PY) -m bench.capacity
	$(PY) -m bench.tracing_cost

clean: ## Remove databases, test reports and caches (keeps .venv)
	rm -rf var .pytest_cache .ruff_cache .mypy_cache

.PHONY: help install run restart test test-postgres test-compose lint fmt check-compose check-kubernetes requirements fuzz bench clean
