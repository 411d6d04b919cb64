# Spreekkamer. `make run` for a laptop (SQLite, no broker); `make test` for the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The suite runs against the real PostgreSQL and Redis that every development machine has.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/spreekkamer
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
# pytest-xdist: one process per core, each with its own test database (test_<name>_gwN) and its own
# Redis database (tests/worker_support.py); a module's tests stay on one worker, so data a module
# builds once is built once.
TEST_WORKERS ?= auto
CHROMIUM_PATH ?= /usr/bin/chromium
PYTEST := DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_TEST_BROKER_URL=$${CELERY_TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

.PHONY: install run seed test test-fast chromium lint migrations-check bench load messages

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p node_modules && touch $@

install: $(VENV)/.installed node_modules/.installed

messages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

seed: install messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py createcachetable
	$(PY) manage.py load_seed_content
	$(PY) manage.py import_statements content/statements/*.yaml
	@echo "Demo accounts:"
	@$(PY) manage.py create_demo_accounts

# `make run PORT=8010` serves elsewhere; links in e-mails and certificates follow (SITE_URL).
HOST ?= 127.0.0.1
PORT ?= 8000
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: seed
	@echo "Spreekkamer: open $(SITE_URL)/ (log in with a demo account above; stop with Ctrl+C)"
	@$(PY) manage.py runserver $(HOST):$(PORT)

test: install messages chromium
	$(PYTEST) $(PYTEST_ARGS)

# Everything but the tests that drive chromium: the inner loop.
test-fast: install messages
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)

# The browser tests use Debian's chromium (never a downloaded browser): installed as .ci/run does
# when we may, otherwise one line says what to install.
chromium:
	@test -x $(CHROMIUM_PATH) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium && test -x $(CHROMIUM_PATH); } \
		|| { echo "make test: $(CHROMIUM_PATH) is missing; install it with 'sudo apt-get install chromium' (or run 'make test-fast')"; exit 1; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Both create their own databases (<name>_bench, <name>_load) next to DATABASE_URL's and serve
# gunicorn on 127.0.0.1 only. Results: bench/results/latest.md and bench/results/load.md.
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) bench/run.py $(BENCH_ARGS)

load: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) bench/load.py $(LOAD_ARGS)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) bench/load_conversations.py $(LOAD_CONVERSATIONS_ARGS)
