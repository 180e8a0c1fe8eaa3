# Two commands for a fresh machine: `make run` (embedded, SQLite) and `make test` (PostgreSQL + Redis).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: run init test lint format install translations extract-messages bench clean

# Not quiet: pip's line per package (and download bars) is the progress of a long first install.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@echo "==> Installing the Python packages into $(VENV) (the first time takes a few minutes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -r requirements-dev.txt
	@touch $@

install: $(BIN)/.installed

translations: install
	@echo "==> Compiling the translations"
	@$(BIN)/pybabel -q compile -d translations

init: install translations
	@echo "==> Bringing the database up to date (instance/lms.sqlite3 unless DATABASE_URL is set)"
	@$(BIN)/flask db upgrade
	@echo "==> Roles, lookups and demo data (the first time takes a minute)"
	@$(BIN)/flask app init

run: init
	@echo "==> Starting the server: the portal at /, the back office at /admin/ (CTRL+C stops it)"
	@$(BIN)/python run.py

test: install translations
	scripts/services.sh
	scripts/browser.sh
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

extract-messages: install
	scripts/i18n.sh

bench: install translations
	scripts/services.sh
	$(BIN)/python -m bench.audit_list
	$(BIN)/python -m bench.audit_write
	$(BIN)/python -m bench.courses_catalog
	$(BIN)/python -m bench.lists
	$(BIN)/python -m bench.certificates
	$(BIN)/python -m bench.notifications
	$(BIN)/python -m bench.engagement
	$(BIN)/python -m bench.views

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
