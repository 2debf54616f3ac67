# The two commands that matter: `make run` (demo) and `make test` (whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist), one per core by default; each has its own database and Redis db.
TEST_WORKERS ?= auto
# The API contract runs in one process after the rest: schemathesis reports each operation as a
# subtest, and pytest-xdist does not carry subtest reports back to the main process.
CONTRACT_TESTS := tests/guardrails/test_api_contract.py
# Set by CI to collect a JUnit report of each run.
JUNIT_DIR ?=

.PHONY: install run test guardrails worker beat lint format messages translations clean bench bench-kpi

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations
	$(PY) manage.py collectstatic --noinput -v0

translations: $(STAMP)
	$(PY) manage.py compiletranslations

run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --ignore=$(CONTRACT_TESTS) $(PYTEST_ARGS) \
		$(if $(JUNIT_DIR),--junitxml=$(JUNIT_DIR)/parallel.xml)
	$(BIN)/pytest $(CONTRACT_TESTS) $(PYTEST_ARGS) $(if $(JUNIT_DIR),--junitxml=$(JUNIT_DIR)/contract.xml)

# Crawls every page as each role and checks status, accessibility, language, small screens,
# security headers and translation completeness (tests/guardrails).
guardrails: install
	$(BIN)/pytest tests/guardrails $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info --scheduler django_celery_beat.schedulers:DatabaseScheduler

# Needs DATABASE_URL=postgres://... and pgbench; prints name=value lines, ratios last.
bench: install
	$(PY) -m bench

# Needs DATABASE_URL=postgres://...; builds (once per ROWS, default 10,000,000 transactions) a
# database of 1 million customers in SQL, then prints kpi_dashboard_p95_ms= and
# kpi_rollup_vs_raw_ratio= (bench/kpi.py). Takes long: not part of `make bench`.
bench-kpi: install
	$(PY) -m bench.kpi

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Needs system gettext (xgettext); only developers extracting new strings need it.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --ignore=static --ignore=bench

clean:
	rm -rf $(VENV) .pytest_cache
	find var -mindepth 1 ! -name .gitkeep -delete
