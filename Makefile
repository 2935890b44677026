# Short aliases for the commands README.md spells out.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SCALE ?= small
# urls: one URL at a time; mixed: the realistic mix (bench/README.md).
SCENARIO ?= urls

.PHONY: run test lint format migrate bench

run: $(VENV)/.runtime .env  ## serve on http://127.0.0.1:5000 with the debugger
	$(BIN)/flask db upgrade
	$(BIN)/flask run --debug

test: $(VENV)/.dev  ## the whole test suite with coverage
	$(BIN)/pytest tests/ -v --cov=app

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(VENV)/.runtime .env
	$(BIN)/flask db upgrade

bench: $(VENV)/.runtime  ## load benchmark (PostgreSQL, Redis, wrk): make bench SCALE=tiny|small|large|huge SCENARIO=urls|mixed
	@command -v wrk >/dev/null 2>&1 || { \
		echo "wrk is missing: installing Debian's package"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	}
	$(BIN)/python -m bench.run --scale $(SCALE) --scenario $(SCENARIO)

.env:
	$(PYTHON) scripts/init_env.py .env

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements-dev.txt
	touch $@ $(VENV)/.runtime
