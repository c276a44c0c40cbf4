# Thin wrappers over `fupin` commands. Without make (a Windows office with
# conda): `conda env create -f environment.yml`, `conda activate fupin`, then
# run the same `fupin` commands that the targets below run.

VENV ?= .venv
PYTHON ?= python3
FUPIN := $(VENV)/bin/fupin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lab wheelhouse install system-deps clean-outputs

demo: install system-deps
	$(FUPIN) demo

test: install system-deps
	$(FUPIN) test

lab: install
	$(FUPIN) lab

wheelhouse: install
	$(FUPIN) wheelhouse --out wheelhouse

install: $(INSTALLED)

# Reinstalls when pyproject.toml changes; the project is installed editable.
$(INSTALLED): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

# Debian packages: Chromium for the browser tests, Noto CJK fonts for charts.
system-deps:
	bash scripts/system-deps.sh

clean-outputs:
	rm -rf outputs/*/ data/clean
