# rtmcim: two set-up commands, `make run` and `make test` (see README.md).
# Each creates .venv, installs the project with its pinned dependencies and the
# data it needs, then runs the main job / the whole test suite.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
RTMCIM := $(VENV)/bin/rtmcim
STAMP  := $(VENV)/.installed
FMNIST := /usr/share/datasets/fashion-mnist

.PHONY: run test lint typecheck unit bench data browser venv clean

venv: $(STAMP)

# setup.py builds the C extension (src/rtmcim/memory/_native.c): a change to it reinstalls.
$(STAMP): pyproject.toml setup.py src/rtmcim/memory/_native.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml: pip takes its CPU wheel from this machine's disk.
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Fashion-MNIST ships as the Debian package dataset-fashion-mnist (IDX files).
data:
	@if [ -z "$$RTMCIM_DATA" ] && ! ls $(FMNIST)/*train-images* >/dev/null 2>&1; then \
	  echo "installing Debian package dataset-fashion-mnist"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dataset-fashion-mnist; \
	fi

# The report's browser test drives Debian's Chromium headless (playwright, no browser download).
CHROMIUM := /usr/bin/chromium
browser:
	@if ! [ -x $(CHROMIUM) ]; then \
	  echo "installing Debian package chromium"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy

# the quick loop: every test but the long integration ones (marked slow)
unit: venv
	$(VENV)/bin/pytest -q -n 2 -m "not slow"

# --dist loadgroup: the tests of one xdist_group (one study's report in one browser) share a worker
test: venv data browser lint typecheck
	$(VENV)/bin/pytest -q -n 2 --dist loadgroup

# The main job: co-explore racetrack hardware and CNN models on Fashion-MNIST (default space,
# <= 15 min on 2 cores); prints the best designs and the path of report.html.
run: venv data
	$(RTMCIM) explore --preset default --jobs 2 --out results/default

bench: venv data
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build src/*.egg-info
