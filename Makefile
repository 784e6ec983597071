# Two commands for a fresh machine with Python >= 3.11, make and git:
#   make report   build the review (results/report/review.html, review.pdf, results/manifest.json)
#   make test     run the whole test suite
# The first call creates .venv from requirements.lock (pinned, hashed); later calls reuse it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
# Phrase-in-source check: on when the source texts sit beside the repository (as in CI).
SOURCES ?= $(wildcard ../shared/sources)
CORES ?= all

.PHONY: report test lint dry-run bench lock clean

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --config sources_dir=$(SOURCES)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/snakemake --lint

dry-run: $(STAMP)
	$(BIN)/snakemake --dry-run --config sources_dir=$(SOURCES)

bench: $(STAMP)
	$(BIN)/python benchmarks/benchmark.py

$(STAMP): requirements.lock
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

# Re-resolve requirements.in into requirements.lock (needs network access to the package index).
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet uv
	.lock-venv/bin/uv pip compile --universal --generate-hashes --python-version 3.11 requirements.in -o requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf results .snakemake
