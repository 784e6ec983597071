"""IL-6 versus IL-1 blockade in refractory systemic JIA: from curated evidence to the rendered review.

    curated tables (data/)  ->  validated, clean tables (results/clean/)
                            ->  analysis tables (results/tables/)
                            ->  figures (results/figures/)
                            ->  review (results/report/review.html, review.pdf)
                            ->  manifest of checksums and versions (results/manifest.json)

Run `snakemake --cores all`; see README.md for targets and options.
"""

import json
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/config.schema.yaml")

# 'auto' means the source texts beside the repository when they are there, so that `snakemake --cores all` and
# `make report` resolve the same folder and neither rebuilds what the other built.
SOURCES_DIR = config["sources_dir"] or ""  # `--config sources_dir=` arrives as None
if SOURCES_DIR == "auto":
    SOURCES_DIR = "../shared/sources" if Path("../shared/sources").is_dir() else ""
if SOURCES_DIR and not Path(SOURCES_DIR).is_dir():
    raise WorkflowError(f"config sources_dir '{SOURCES_DIR}' is not a folder; set it to the folder of the source "
                        "texts, to 'auto', or to '' to skip the phrase-in-source check")
SOURCE_TEXTS = sorted(str(path) for path in Path(SOURCES_DIR).glob("*.txt")) if SOURCES_DIR else []

# The curated tables, their columns, types and vocabularies are defined once, in the data dictionary.
with open("data/datapackage.json", encoding="utf-8") as handle:
    CURATED_TABLES = [resource["name"] for resource in json.load(handle)["resources"]]

# Each stage runs as one job: a fresh Python process costs more (imports of pandas, SciPy, statsmodels,
# seaborn) than computing every table of the stage, so one job per table would be mostly start-up time.
# The functions behind each output, and the tables each one reads, are in scripts/analyse.py and
# scripts/figures.py.
ANALYSIS_TABLES = [
    "study_characteristics",
    "response_proportions",
    "marker_changes",
    "rct_response",
    "indirect_comparisons",
    "pooled_versus_placebo",
    "pooled_proportions",
    "switching_evidence",
    "risk_of_bias",
    "source_flow",
    "certainty_of_evidence",
    "glucocorticoid_sparing",
    "safety_rates",
    "safety_events",
    "published_comparison",
    "maintenance_of_response",
    "transitivity",
    # sensitivity analyses of the IL-6 versus IL-1 indirect comparison
    "sensitivity_dersimonian_laird",
    "sensitivity_with_secondary_comparisons",
    "sensitivity_without_rilonacept",
    "sensitivity_refractory_only",
]
FIGURES = ["evidence_map", "response_forest", "marker_changes", "rct_forest", "safety_rates", "risk_of_bias_rob2",
           "risk_of_bias_robins_i", "risk_of_bias_jbi", "source_flow"]


include: "rules/curate.smk"
include: "rules/analyse.smk"
include: "rules/figures.smk"
include: "rules/report.smk"


onerror:
    # Snakemake prints its own traceback after a failed job; the curator needs the problems, so they come last.
    CLEAN_LOG = Path("results/logs/clean_curated_tables.log")
    if CLEAN_LOG.exists() and "nothing was built" in CLEAN_LOG.read_text(encoding="utf-8"):
        PROBLEMS = CLEAN_LOG.read_text(encoding="utf-8").removeprefix("ERROR ").rstrip()
        print(f"\n{PROBLEMS}", file=sys.stderr)


rule all:
    input:
        "results/report/review.html",
        "results/report/review.pdf",
        "results/manifest.json",
    default_target: True
