# The one entry point. `make run` and `make test` set everything up on a machine
# that has only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install system-deps axe-core messages run test lint fmt check bench bench-transfer bench-policy bench-ledger bench-assistant bench-load clean

$(BIN)/steward: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Steward needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/steward

# The worker runs in the background for as long as the server does.
run: install
	$(BIN)/steward migrate --no-input
	$(BIN)/steward seed-demo
	$(BIN)/steward worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/steward serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium (Playwright never downloads a browser of its
# own), the upload script's tests run under Node.js, and the translation tests and
# `make messages` need GNU gettext (xgettext, msgmerge, msgfmt). tests/test_deploy.py
# validates deploy/compose.yaml with docker-compose (no Docker engine needed) and runs
# deploy/nginx's locations in a real nginx.
system-deps:
	@command -v chromium >/dev/null && command -v node >/dev/null && \
	  command -v msgfmt >/dev/null && command -v docker-compose >/dev/null && \
	  command -v nginx >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq chromium nodejs gettext docker-compose nginx)

# After changing a text of the interface: update each language's message file (new texts
# come in untranslated), then, once translated, compile them. Both files are committed.
messages: install system-deps
	cd steward && $(abspath $(BIN))/steward makemessages $(foreach lang,fr es sw ar,-l $(lang)) \
	  --ignore=tests --add-location=file --no-obsolete
	cd steward && $(abspath $(BIN))/steward compilemessages

# The browser journeys run axe-core in every page: one pinned version from the npm registry,
# checked against its published sha512 and kept in .cache/ (tests/browser/axe.py).
axe-core: install
	$(BIN)/python -m tests.browser.axe

test: install system-deps axe-core
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/steward makemigrations --check --dry-run

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

bench: install
	$(BIN)/python bench/catalog.py

bench-transfer: install
	$(BIN)/python bench/transfer.py

bench-policy: install
	$(BIN)/python bench/policy.py

bench-ledger: install
	$(BIN)/python bench/ledger.py

bench-assistant: install
	$(BIN)/python bench/assistant.py

# PostgreSQL's server programs (initdb, pg_ctl) must be installed: the benchmark runs a
# cluster of its own, which it restarts during the load.
bench-load: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var
