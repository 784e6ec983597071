# Two commands for a fresh machine with Python >= 3.11, make and git:
#   make report   build the review (results/report/review.html, review.pdf, results/manifest.json)
#   make test     run the whole test suite
# The first call creates .venv from requirements.lock (pinned, hashed); later calls reuse it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
# Source texts for the phrase-in-source check. By default the workflow's config (sources_dir: auto) uses
# ../shared/sources when it exists, exactly as plain `snakemake --cores all` does, so neither rebuilds what the
# other built. `make report SOURCES=/path/to/sources` points the build (and verify) at another folder.
SOURCES ?=
CORES ?= all
# `make report RENDERER=offline` (or quarto) overrides the config's renderer (auto: Quarto when on PATH).
RENDERER ?=
CONFIG := $(if $(SOURCES)$(RENDERER),--config $(if $(SOURCES),sources_dir=$(abspath $(SOURCES))) $(if $(RENDERER),renderer=$(RENDERER)))
VERIFY_SOURCES := $(abspath $(or $(SOURCES),$(wildcard ../shared/sources)))
# After a failed build, repeat the curated-data problems (if that is what failed) as the last lines printed.
LAST_WORDS = { grep -lq 'nothing was built' results/logs/clean_table/*.log 2>/dev/null && \
	{ printf '\nThe build stopped on these problems in the curated data:\n'; \
	sed -n 's/^ERROR The curated data have/The curated data have/p; s/^  data/  data/p' \
	$$(grep -l 'nothing was built' results/logs/clean_table/*.log); } >&2; exit 1; }

.PHONY: report test lint dry-run bench lock clean verify update-reference unlock

# --rerun-incomplete: a build killed mid-job (SIGKILL, power loss) leaves outputs Snakemake marks incomplete;
# without the flag the next build refuses to start ("IncompleteFilesException"), with it they are rebuilt.
report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete $(CONFIG) || $(LAST_WORDS)

# Rebuild from scratch in a temporary copy and compare tables, figures, HTML and PDF with reference/.
verify: $(STAMP)
	$(BIN)/python scripts/verify.py check --build --cores $(CORES) $(if $(VERIFY_SOURCES),--sources $(VERIFY_SOURCES))

# After a deliberate change of outputs: rebuild from scratch and rewrite reference/ (then commit it).
update-reference: $(STAMP)
	$(BIN)/python scripts/verify.py update --build --cores $(CORES) $(if $(VERIFY_SOURCES),--sources $(VERIFY_SOURCES))

# Only after a killed build ("Directory cannot be locked" while no other Snakemake runs here).
unlock: $(STAMP)
	$(BIN)/snakemake --unlock

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/snakemake --lint

dry-run: $(STAMP)
	$(BIN)/snakemake --dry-run $(CONFIG)

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
