# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/backoffice

.DEFAULT_GOAL := help
.PHONY: help install run test serve lint format bench bench-cluster replica loadtest backup restore citus test-citus

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its development tools

# The demo signs in with the password alone (MFA_REQUIRED=false, for this demo only: load_demo
# says so and how to try the second factor); `MFA_REQUIRED=true make run` requires it.
RUN_ENV := DEBUG=true MFA_REQUIRED=$${MFA_REQUIRED:-false}

# The background worker (manage.py run_worker) runs beside the server and stops with it.
run: $(STAMP) ## Migrate the local SQLite database, load demo data and serve on :8000 (with the worker)
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	$(RUN_ENV) $(PY) manage.py load_demo
	$(RUN_ENV) $(PY) scripts/with_worker.py $(PY) manage.py runserver 127.0.0.1:8000

# axe-core for the browser tests (package.json), installed when missing or changed.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The suite runs in two pytest-xdist workers per core (an idle worker takes tests queued for a
# busy one; TEST_WORKERS=0 runs it in one process). A worker spends much of its time waiting for
# PostgreSQL, Chromium or its live server, which run on the same cores: on 2 cores the whole
# suite took 6:50 with 2 workers, 5:31 with 4 and 7:42 with 6 (docs/contributing.md).
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) )))

test: $(STAMP) node_modules/.installed ## Run the whole test suite against PostgreSQL (DATABASE_URL)
	bash scripts/chromium.sh
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) scripts/dbcheck.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

serve: $(STAMP) ## Serve with gunicorn and whitenoise, and the worker (production settings from the environment)
	$(PY) manage.py collectstatic --no-input
	$(PY) scripts/with_worker.py $(VENV)/bin/gunicorn config.wsgi --bind $${BIND:-127.0.0.1:8000} --workers $${WORKERS:-3} --threads $${THREADS:-1}

bench: $(STAMP) ## Build the large dataset in PostgreSQL and measure (BENCH_DATABASE_URL, BENCH_ARGS)
	$(PY) scripts/dbcheck.py
	$(PY) -m bench.run $(BENCH_ARGS)

bench-cluster: $(STAMP) ## The same measurements on one node and on the Citus cluster, side by side (make citus first)
	$(PY) -m bench.cluster $(BENCH_ARGS)

loadtest: $(STAMP) ## Find the capacity of make serve on a fresh demo, in steps of users (LOADTEST_DATABASE_URL)
	$(PY) scripts/dbcheck.py
	$(PY) -m bench.loadtest $(LOADTEST_ARGS)

replica: ## A streaming replica of the local PostgreSQL on port 5433 (Debian clusters; idempotent)
	$(PYTHON) scripts/localreplica.py

citus: ## A local Citus cluster: coordinator on 5440, workers on 5441 and 5442 (built when missing; idempotent)
	$(PYTHON) scripts/citus.py $(CITUS_ARGS)

# The tests of what the cluster distributes (the timeline, the ledger, Credit Activity and its
# CSV, the API, erasure, legacy history), in one process against a database made anew on the
# cluster: the tests' database must have Citus and know the workers before Django migrates it.
CITUS_TESTS ?= tests/activity tests/credits tests/legacy_history tests/api tests/accounts
CITUS_TEST_DATABASE ?= test_citus

test-citus: $(STAMP) ## Run the distributed tables' tests against the Citus cluster (make citus first)
	$(PYTHON) scripts/citus.py --database $(CITUS_TEST_DATABASE) --fresh
	DATABASE_URL=postgres://postgres@127.0.0.1:5440/$(CITUS_TEST_DATABASE) DATABASE_TEST_NAME=$(CITUS_TEST_DATABASE) \
		$(PY) -m pytest -p no:xdist --reuse-db $(CITUS_TESTS) $(PYTEST_ARGS)

backup: ## A base backup of the local PostgreSQL, its WAL archived from then on (BACKUP_DIR)
	$(PYTHON) scripts/pitr.py backup

restore: ## A new cluster on port 5435 as the local PostgreSQL was at TIME (point-in-time recovery)
	$(PYTHON) scripts/pitr.py restore --time "$(TIME)"

lint: $(STAMP) ## Check style (ruff), types (mypy) and the app layers (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(STAMP) ## Reformat with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
