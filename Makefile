# secaudit — all set-up happens here. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KEYDIR := .secaudit/keys
DEMO_OUT := reports
# The demo lab's state (inventory, known_hosts, secrets): one folder per checkout, keyed by its path
# and outside it (the secrets file must live outside the repository). `secaudit lab start|stop|status`
# without --state-dir use the same folder when run from the checkout.
LAB_DIR ?= $(or $(XDG_RUNTIME_DIR),/tmp)/secaudit-lab-$(shell id -u)-$(shell printf %s "$(CURDIR)" | sha256sum | cut -c1-12)

.PHONY: demo demo-offline demo-remediate bench bench-fleet test lint typecheck pytest venv clean chromium redis-server realworld realworld-fetch

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
	@fc-list :lang=zh 2>/dev/null | grep -q . || { echo "installing a CJK font so zh-CN screenshots show Chinese"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
	  || echo "warning: no CJK font; zh-CN screenshots will show boxes"; }

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

# The demo's X.509 identity for the CMS co-signature (manifest.p7s): ECDSA P-256 key demo-cms.key and
# its self-signed certificate demo.crt (CMS cannot carry the Ed25519 demo key: docs/signing-notes.md).
$(KEYDIR)/demo.crt: | $(STAMP)
	mkdir -p $(KEYDIR)
	rm -f $(KEYDIR)/demo-cms.key
	$(BIN)/secaudit keys generate --suite ecdsa-x509 --out-dir $(KEYDIR) --name demo-cms --cert-name demo \
	  --common-name "secaudit demo"

DEMO_KEYS := $(KEYDIR)/demo.key $(KEYDIR)/demo.crt
DEMO_SIGN := --key $(KEYDIR)/demo.key --cosign $(KEYDIR)/demo-cms.key:$(KEYDIR)/demo.crt

demo: $(STAMP) $(DEMO_KEYS)
	@$(BIN)/secaudit lab start --state-dir $(LAB_DIR) || exit 2; \
	trap '$(BIN)/secaudit lab stop --state-dir $(LAB_DIR)' EXIT; \
	rm -f $(DEMO_OUT)/LATEST; set +e; \
	$(BIN)/secaudit run --inventory $(LAB_DIR)/inventory --secrets $(LAB_DIR)/secrets.yaml \
	  --known-hosts-dir $(LAB_DIR)/known_hosts --timeout 8 --config-timeout 30 \
	  $(DEMO_SIGN) --output $(DEMO_OUT) --latest-file $(DEMO_OUT)/LATEST \
	  --waivers examples/lab-waivers.yaml --attestations examples/attestations.yaml \
	  --kpi examples/kpi-declared.yaml; rc=$$?; \
	echo "audit exit code: $$rc (0 clean, 1 failures found, 3 incomplete evidence)"; \
	if [ $$rc -eq 2 ] || [ ! -s $(DEMO_OUT)/LATEST ]; then echo "demo failed: usage or content error" >&2; exit 2; fi; \
	run=$$(cat $(DEMO_OUT)/LATEST); \
	$(BIN)/secaudit verify "$$run" --pubkey $(KEYDIR)/demo.pub --replay || exit 2; \
	$(BIN)/secaudit verify "$$run" --trust $(KEYDIR) || exit 2; \
	echo "reports: $$run/<operator>/report.html and $$run/city/report.html"

demo-offline: $(STAMP) $(DEMO_KEYS)
	$(BIN)/secaudit run --offline examples/evidence --inventory inventory $(DEMO_SIGN) \
	  --output $(DEMO_OUT) --waivers examples/waivers.yaml --kpi examples/kpi-declared.yaml || test $$? -ne 2

# Closed loop on the lab: audit, apply every non-compliant host's plan (remediate apply: lab hosts
# only), audit again; ends with `closed loop: fixed X of Y`. Placeholder values for new objects
# come from the environment (SECAUDIT_FIX_<NAME>), never from the plans.
demo-remediate: $(STAMP) $(KEYDIR)/demo.key
	@$(BIN)/secaudit lab start --state-dir $(LAB_DIR) || exit 2; \
	trap '$(BIN)/secaudit lab stop --state-dir $(LAB_DIR)' EXIT; \
	common="--secrets $(LAB_DIR)/secrets.yaml --known-hosts-dir $(LAB_DIR)/known_hosts"; \
	audit() { $(BIN)/secaudit run --inventory $(LAB_DIR)/inventory $$common --timeout 8 --config-timeout 30 \
	  --key $(KEYDIR)/demo.key --output $(DEMO_OUT) --latest-file $(DEMO_OUT)/LATEST --quiet; }; \
	rm -f $(DEMO_OUT)/LATEST; audit; rc=$$?; echo "audit before: exit code $$rc"; \
	if [ $$rc -eq 2 ] || [ ! -s $(DEMO_OUT)/LATEST ]; then echo "demo failed: usage or content error" >&2; exit 2; fi; \
	run=$$(cat $(DEMO_OUT)/LATEST); \
	SECAUDIT_FIX_IP_1=10.20.3.21 SECAUDIT_FIX_IP_2=10.20.3.22 SECAUDIT_FIX_VRF=MGMT \
	  $(BIN)/secaudit remediate apply --host '*' --run "$$run" --key $(KEYDIR)/demo.key \
	  --inventory $(LAB_DIR)/inventory $$common --timeout 8 --config-timeout 30 > $(DEMO_OUT)/apply.log; \
	rc=$$?; grep -v '^closed loop:' $(DEMO_OUT)/apply.log; echo "apply: exit code $$rc"; \
	if [ $$rc -eq 2 ]; then echo "demo failed: apply refused" >&2; exit 2; fi; \
	audit; echo "audit after: exit code $$? ($$(cat $(DEMO_OUT)/LATEST))"; \
	grep '^closed loop:' $(DEMO_OUT)/apply.log

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
