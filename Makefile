# The two set-up commands of the README.  Each creates the virtual environment
# and installs what it needs on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test plan clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

plan: $(STAMP)
	$(VENV)/bin/routeplanner plan data/rokiskis/scenario.toml

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
