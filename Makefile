# secaudit — all set-up happens here. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KEYDIR := .secaudit/keys
DEMO_OUT := reports

.PHONY: demo test lint typecheck pytest venv clean

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

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

$(KEYDIR)/demo.key: | $(STAMP)
	mkdir -p $(KEYDIR)
	$(BIN)/secaudit keys generate --out-dir $(KEYDIR) --name demo

demo: $(STAMP) $(KEYDIR)/demo.key
	@rm -f $(DEMO_OUT)/LATEST; set +e; $(BIN)/secaudit run --offline examples/evidence --inventory inventory \
	  --key $(KEYDIR)/demo.key --output $(DEMO_OUT) --latest-file $(DEMO_OUT)/LATEST \
	  --waivers examples/waivers.yaml --attestations examples/attestations.yaml \
	  --kpi examples/kpi-declared.yaml; rc=$$?; \
	  echo "audit exit code: $$rc (0 clean, 1 failures found, 3 incomplete evidence)"; \
	  if [ $$rc -eq 2 ] || [ ! -s $(DEMO_OUT)/LATEST ]; then echo "demo failed: usage or content error" >&2; exit 2; fi; \
	  run=$$(cat $(DEMO_OUT)/LATEST); \
	  for b in $$run/*/; do $(BIN)/secaudit verify "$$b" --pubkey $(KEYDIR)/demo.pub || exit 2; done; \
	  echo "reports: $$run/<operator>/report.html and $$run/city/report.html"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
