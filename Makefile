# Quick start: `make run` (the bot, on SQLite, console when no Slack tokens are set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ServiceBot needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

servicebot.yaml:
	cp servicebot.example.yaml servicebot.yaml

run: $(STAMP) servicebot.yaml
	$(BIN)/servicebot db upgrade
	$(BIN)/servicebot demo load --if-empty
	$(BIN)/servicebot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy servicebot handlers intents bot.py

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m bench.bench_events
	$(BIN)/python -m bench.bench_triage
	$(BIN)/python -m bench.bench_intake_gate
	$(BIN)/python -m bench.bench_measure

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
