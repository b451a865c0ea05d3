# secaudit — all set-up happens here. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KEYDIR := .secaudit/keys
DEMO_OUT := reports
LAB_DIR ?= /tmp/secaudit-lab-$(shell id -u)

.PHONY: demo demo-offline bench bench-fleet test lint typecheck pytest venv clean chromium redis-server realworld realworld-fetch

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

# Browser tests use Debian's chromium; install it when missing (CI runs as root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	  || echo "warning: chromium could not be installed; browser tests will be skipped"; }

# The fleet tests start their own redis-server processes (127.0.0.1, random ports, password and ACL
# users, temporary folders); install Debian's redis-server when missing (CI runs as root). Only the
# binary is used: the tests never talk to a system redis.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { echo "installing Debian redis-server for the fleet tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 \
	  || { echo "error: redis-server could not be installed (apt-get install redis-server)" >&2; exit 1; }; }

pytest: $(STAMP) chromium redis-server
	$(BIN)/pytest

test: lint typecheck pytest

$(KEYDIR)/demo.key: | $(STAMP)
	mkdir -p $(KEYDIR)
	$(BIN)/secaudit keys generate --out-dir $(KEYDIR) --name demo

demo: $(STAMP) $(KEYDIR)/demo.key
	@$(BIN)/secaudit lab start --state-dir $(LAB_DIR) || exit 2; \
	trap '$(BIN)/secaudit lab stop --state-dir $(LAB_DIR)' EXIT; \
	rm -f $(DEMO_OUT)/LATEST; set +e; \
	$(BIN)/secaudit run --inventory $(LAB_DIR)/inventory --secrets $(LAB_DIR)/secrets.yaml \
	  --known-hosts-dir $(LAB_DIR)/known_hosts --timeout 8 --config-timeout 30 \
	  --key $(KEYDIR)/demo.key --output $(DEMO_OUT) --latest-file $(DEMO_OUT)/LATEST \
	  --waivers examples/lab-waivers.yaml --attestations examples/attestations.yaml \
	  --kpi examples/kpi-declared.yaml; rc=$$?; \
	echo "audit exit code: $$rc (0 clean, 1 failures found, 3 incomplete evidence)"; \
	if [ $$rc -eq 2 ] || [ ! -s $(DEMO_OUT)/LATEST ]; then echo "demo failed: usage or content error" >&2; exit 2; fi; \
	run=$$(cat $(DEMO_OUT)/LATEST); \
	$(BIN)/secaudit verify "$$run" --pubkey $(KEYDIR)/demo.pub --replay || exit 2; \
	echo "reports: $$run/<operator>/report.html and $$run/city/report.html"

demo-offline: $(STAMP) $(KEYDIR)/demo.key
	$(BIN)/secaudit run --offline examples/evidence --inventory inventory --key $(KEYDIR)/demo.key \
	  --output $(DEMO_OUT) --waivers examples/waivers.yaml --kpi examples/kpi-declared.yaml || test $$? -ne 2

# Benchmarks (never timed tests): ratios against a baseline measured in the same run.
# BENCH_FULL=1: the live bench at 100, 200, 500 and 1,000 devices (default: 100 and 200).
bench: $(STAMP)
	$(BIN)/python tests/bench/bench_offline.py
	$(BIN)/python tests/bench/bench_reports.py 1000
	$(BIN)/python tests/bench/bench_live.py

# The fleet engine: local vs Celery with 2 workers on lab devices (BENCH_FLEET_N, default 200; the
# issue's size is 2000), then a chunk-size sweep; prints `celery/local ratio: X`.
bench-fleet: $(STAMP) redis-server
	$(BIN)/python tests/bench/bench_fleet.py

# Real-world corpus (tests/realworld/README.md): third-party device files, never committed.
# `make realworld-fetch DIR=/tmp/corpus MIRRORS=<folder of bare clones owner+name>` writes them;
# `make realworld DIR=/tmp/corpus` scores secaudit against the auditor's verdicts.
MIRRORS ?= .secaudit/mirrors

realworld: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make realworld DIR=<folder holding the corpus files>" >&2; exit 2; }
	$(BIN)/python tests/realworld/score.py --dir "$(DIR)" --min-agreement 95

realworld-fetch: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make realworld-fetch DIR=<folder> [MIRRORS=<bare clones>]" >&2; exit 2; }
	$(BIN)/python tests/realworld/fetch_corpus.py --mirrors "$(MIRRORS)" --out "$(DIR)"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
