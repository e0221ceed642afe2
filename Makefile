# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export FEDI_AID_DATA_DIR ?= $(CURDIR)/data
# Playwright only drives Debian's chromium: never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test lint format bench clean messages

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
	sh tests/setup_system.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks on loopback against their goals (bench/RESULTS.md); installs Debian's wrk when
# missing. `make bench BENCH_ARGS=--smoke` for the seconds-long run.
bench: $(STAMP)
	bash bench/setup.sh
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache

# Interface translations: extract the messages, merge them into every catalogue, compile the .mo
# files (committed, so an install has them). A new language: pybabel init -l CODE, then this.
messages: $(STAMP)
	$(BIN)/pybabel extract -F fedi_aid/web/babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output --project fedi-aid -o fedi_aid/web/locale/messages.pot .
	$(BIN)/pybabel update -i fedi_aid/web/locale/messages.pot -d fedi_aid/web/locale -D messages --ignore-obsolete
	$(BIN)/pybabel compile -d fedi_aid/web/locale -D messages --statistics
