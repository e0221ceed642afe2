# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export FEDI_AID_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Demo instance on http://localhost:8080 with a demo group and a few needs and offers.
run: $(STAMP)
	FEDI_AID_DEVELOPMENT=$${FEDI_AID_DEVELOPMENT:-true} $(BIN)/fedi-aid demo
	FEDI_AID_DEVELOPMENT=$${FEDI_AID_DEVELOPMENT:-true} $(BIN)/fedi-aid serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data .pytest_cache
