# The project's commands. `make run` serves the app on the embedded defaults,
# `make test` runs the whole suite; both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run on both cores by default; PYTEST_ARGS="-n 0" runs them in one process.
PYTEST_ARGS ?= -n 2

.PHONY: install run test lint format bench faults migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the pinned versions change.
$(STAMP): $(BIN)/python requirements.in requirements-dev.in requirements.lock
	$(BIN)/pip install --quiet -r requirements-dev.in -c requirements.lock
	touch $(STAMP)

install: $(STAMP)

# The embedded defaults are a development set-up; production sets DEBUG=0 and SECRET_KEY.
migrate run: export DEBUG ?= 1

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py seed_demo

run: migrate
	@echo ""
	@echo "  FMEA risk register: http://$(HOST):$(PORT)/"
	@echo "  Demo login: demo / demo-password   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo ""
	FMEA_HOST=$(HOST) FMEA_PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

# The fault drill: Redis and the worker stopped and started under load (README).
faults: install
	$(BIN)/python -m tests.faults.drill

clean:
	rm -rf $(VENV) var .pytest_cache
