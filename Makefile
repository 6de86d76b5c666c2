# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint types pytest bench sysdeps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import provenance, archive, pytest, hypothesis, bagit' 
	@touch $@

# System tools the tests use: bubblewrap (sealed sandbox) and Chromium (report screenshot).
# Installed when we are root and apt is there; otherwise the tests that need them say why they skip.
sysdeps:
	@bash scripts/sysdeps.sh

demo: $(STAMP)
	@$(VENV)/bin/provenance demo --workdir demo-out

lint: $(STAMP)
	$(VENV)/bin/ruff check provenance archive tests bench scripts

types: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

test: $(STAMP) sysdeps lint types pytest

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build dist demo-out .mypy_cache .ruff_cache .pytest_cache
