# Anthology: `make build` builds the sample anthology into build/, `make test` runs the suite
# (`make test-all` with the slow end-to-end cases too),
# `make fuzz` builds at least 500 generated manuscripts and EPUBChecks every EPUB (slow).
# Both set up what is missing first: system packages (scripts/setup-system.sh) and .venv.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Ace by DAISY, the EPUB accessibility checker the tests run: npm installs the pinned version
# (tools/ace/package-lock.json) without install scripts, so puppeteer downloads no browser;
# the tests run it with the system Chromium.
ACE    := tools/ace/node_modules/.installed-stamp
BENCH  ?= book

.PHONY: all setup build test test-all bench fuzz clean

all: build

$(STAMP): pyproject.toml scripts/setup-system.sh
	bash scripts/setup-system.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -m compileall -q src  # an editable install is not byte-compiled: every run would compile it
	touch $@

$(ACE): tools/ace/package.json tools/ace/package-lock.json scripts/setup-system.sh
	bash scripts/setup-system.sh
	cd tools/ace && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(ACE)

build: setup
	$(VENV)/bin/anthology build manuscript --out build

test: setup
	$(PY) -m pytest -n auto --dist loadfile

# Everything make test runs, and the slow end-to-end cases (marked slow) as well: what CI runs.
test-all: setup
	$(PY) -m pytest -m '' -n auto --dist loadfile

# Speed and memory against the baselines of issue 7 (BENCH=small|book|large): prints a table
# and writes build/bench.json. pandoc comes from PyPI's pypandoc-binary, for comparison only.
bench: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(PY) benchmarks/bench.py --size $(BENCH)

# At least 500 generated manuscripts through the whole build (tests/test_fuzz.py).
fuzz: setup
	mkdir -p build && HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -m "" -n 0 tests/test_fuzz.py -s -p no:cacheprovider --basetemp=build/fuzz

clean:
	rm -rf build
