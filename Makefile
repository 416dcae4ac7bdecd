# The two commands of the quick start are `make demo` and `make test`; both are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export RISKDESK_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test venv lint typecheck bench screenshots clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/riskdesk demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app risk_models compliance tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy app risk_models compliance


# The console's screenshots in docs/console, taken by its browser tests.
screenshots: $(STAMP)
	RISKDESK_CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console $(BIN)/python -m pytest -q tests/browser

bench: $(STAMP)
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) var
