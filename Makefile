# The verbs a person types. Everything installs itself on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed
AGENCY ?= pemkab-oku-timur

.DEFAULT_GOAL := help
.PHONY: help run demo watch test lint unit integration bench kafka topics clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(READY): pyproject.toml
	@# The browser tests drive Debian's chromium (never a downloaded browser).
	command -v chromium >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q --no-install-recommends chromium)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(READY)  ## start Kafka and every service in this terminal (Ctrl-C stops all)
	$(BIN)/python -m dev run

demo: $(READY)  ## file sample complaints into a running platform and show where each went
	$(BIN)/python -m dev demo

watch: $(READY)  ## follow one agency's topic: make watch AGENCY=pemkab-oku-timur
	$(BIN)/python -m dev watch $(AGENCY)

test: lint  ## lint, type-check, then unit, integration and end-to-end tests on a real broker
	$(BIN)/pytest

lint: $(READY)  ## ruff, mypy and the layer rules (import-linter)
	$(BIN)/ruff check shared services dev tests bench
	$(BIN)/ruff format --check shared services dev tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(READY)  ## the fast tests only (no broker)
	$(BIN)/pytest tests/unit

bench: $(READY)  ## intake's ceiling, the platform's sustained rate, the notifier's cost, router throughput, SLA memory and lag, replay speed, national scale (INTAKE_ARGS= PLATFORM_ARGS= NOTIFIER_ARGS= ARGS= SLA_ARGS= SLA_CHECK_ARGS= REPLAY_ARGS= NATIONAL_ARGS=)
	$(BIN)/python -m bench.intake $(INTAKE_ARGS)
	$(BIN)/python -m bench.platform $(PLATFORM_ARGS)
	$(BIN)/python -m bench.notifier $(NOTIFIER_ARGS)
	$(BIN)/python -m bench.router $(ARGS)
	$(BIN)/python -m bench.sla $(SLA_ARGS)
	$(BIN)/python -m bench.sla_check $(SLA_CHECK_ARGS)
	$(BIN)/python -m bench.replay $(REPLAY_ARGS)
	$(BIN)/python -m bench.national $(NATIONAL_ARGS)

kafka: $(READY)  ## run only the development broker on 127.0.0.1:9092
	$(BIN)/python -m dev kafka

topics: $(READY)  ## create the missing topics on $$KAFKA_BOOTSTRAP_SERVERS (idempotent)
	$(BIN)/pintu topics

clean:  ## remove the virtualenv and local data (broker log, read models)
	rm -rf $(VENV) .pintu
