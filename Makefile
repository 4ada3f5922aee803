# Two commands set up everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench clean desktop-entry

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

## make run [ARGS="--no-window"]: the Team app with an embedded diary server
run: $(RUN_STAMP)
	bash scripts/system-deps.sh run
	$(PY) app.py $(ARGS)

## make test: ruff and every test layer on a virtual desktop
test: $(DEV_STAMP)
	bash scripts/system-deps.sh test
	bash scripts/test.sh $(PYTEST_ARGS)

## make desktop-entry: Team in the Linux application menu, for this checkout
desktop-entry: $(RUN_STAMP)
	$(PY) -m desktop.autostart

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-artifacts
