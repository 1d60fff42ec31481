# Quick start: `make run` (the bot, on SQLite, console when no Slack tokens are set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test lint typecheck test-sqlite test-postgresql bench bench-postgresql clean

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

# The whole suite on SQLite, then the integration and end-to-end tests again on PostgreSQL (unit tests
# touch no database): a throwaway server started from the system's binaries (tests/support/postgres.py).
test-sqlite: $(STAMP)
	$(BIN)/pytest

test-postgresql: $(STAMP)
	@if $(BIN)/python -m tests.support.postgres >/dev/null; then \
		echo "SERVICEBOT_TEST_BACKEND=postgresql $(BIN)/pytest tests/integration tests/e2e"; \
		SERVICEBOT_TEST_BACKEND=postgresql $(BIN)/pytest tests/integration tests/e2e; \
	elif [ -n "$$SERVICEBOT_REQUIRE_POSTGRESQL" ]; then \
		$(BIN)/python -m tests.support.postgres; exit 1; \
	else \
		echo "*** SKIPPED the PostgreSQL pass: $$($(BIN)/python -m tests.support.postgres)."; \
		echo "*** Install PostgreSQL's server (e.g. apt-get install postgresql) to run it; .ci/run does."; \
	fi

test: lint typecheck test-sqlite test-postgresql

bench: $(STAMP)
	$(BIN)/python -m bench.bench_events
	$(BIN)/python -m bench.bench_triage
	$(BIN)/python -m bench.bench_intake_gate
	$(BIN)/python -m bench.bench_measure

# The dashboard and desk figures at 1M tickets on PostgreSQL beside SQLite (a server of its own, started
# from the system's binaries as the tests' is; BENCHMARKS.md, "On PostgreSQL").
bench-postgresql: $(STAMP)
	$(BIN)/python -m bench.bench_measure_pg

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
