# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint types pytest bench mutate sysdeps clean

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

# The demo's sealed repro step needs bubblewrap: installed like `make test` does (root + apt), else the
# demo runs everything else and says what it skipped and why.
demo: $(STAMP)
	@bash scripts/sysdeps.sh bubblewrap
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

# Mutation testing of the security and arithmetic cores (slow: not part of `make test`); prints a score
# per module, survivors listed, equivalent mutants explained in scripts/mutate-equivalent.txt.
mutate: $(STAMP)
	$(PY) scripts/mutate.py --show-survivors

clean:
	rm -rf $(VENV) build dist demo-out .mypy_cache .ruff_cache .pytest_cache
