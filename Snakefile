"""IL-6 versus IL-1 blockade in refractory systemic JIA: from curated evidence to the rendered review.

    curated tables (data/)  ->  validation report, clean tables (results/validation/, results/clean/)
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
    RESOURCES = json.load(handle)["resources"]
CURATED_TABLES = [resource["name"] for resource in RESOURCES]
# The other curated tables each table's validation looks up (foreign keys, its texts in the inclusion log).
LOOKUPS = {resource["name"]: resource.get("lookups", []) for resource in RESOURCES}
# The other curated tables each clean table joins (the population of each study, the kind of text of each row).
JOINED_TABLES = {
    "studies": ["overlaps"],
    "efficacy": ["inclusion_log"],
    "safety": ["inclusion_log"],
    "meta_estimates": ["inclusion_log"],
}


# Each stage runs as one job per evidence family (efficacy, safety, appraisal, and the evidence summary that
# draws on all three), so that an edit reruns the family it touches, not every table and figure. One job per
# table would be mostly start-up time (imports of pandas, SciPy, statsmodels, seaborn). The functions behind
# each output, and the tables each one reads, are in scripts/analyse.py and scripts/figures.py.
ANALYSIS_TABLES = {
    "efficacy": [
        "study_characteristics",
        "response_proportions",
        "marker_changes",
        "rct_response",
        "indirect_comparisons",
        "pooled_versus_placebo",
        "pooled_proportions",
        "switching_evidence",
        "glucocorticoid_sparing",
        "published_comparison",
        "maintenance_of_response",
        "transitivity",
        # sensitivity analyses of the IL-6 versus IL-1 indirect comparison
        "sensitivity_dersimonian_laird",
        "sensitivity_with_secondary_comparisons",
        "sensitivity_without_rilonacept",
        "sensitivity_refractory_only",
    ],
    "safety": ["safety_rates", "safety_events"],
    "appraisal": ["risk_of_bias"],
    "evidence_summary": ["source_flow", "certainty_of_evidence"],
}
# The clean tables each family reads (the parameters of its table functions).
ANALYSIS_INPUTS = {
    "efficacy": ["studies", "arms", "efficacy", "meta_estimates"],
    "safety": ["studies", "arms", "safety"],
    "appraisal": ["studies", "risk_of_bias"],
    "evidence_summary": ["inclusion_log", "studies", "arms", "efficacy", "safety", "risk_of_bias"],
}
FIGURES = {
    "efficacy": ["evidence_map", "response_forest", "marker_changes", "rct_forest"],
    "safety": ["safety_rates"],
    "appraisal": ["risk_of_bias_rob2", "risk_of_bias_robins_i", "risk_of_bias_jbi"],
    "evidence_summary": ["source_flow"],
}
# The analysis tables each family of figures draws.
FIGURE_INPUTS = {
    "efficacy": ["study_characteristics", "response_proportions", "marker_changes", "rct_response",
                 "indirect_comparisons", "pooled_versus_placebo"],
    "safety": ["safety_rates"],
    "appraisal": ["risk_of_bias"],
    "evidence_summary": ["source_flow"],
}
ALL_TABLES = [name for names in ANALYSIS_TABLES.values() for name in names]
ALL_FIGURES = [name for names in FIGURES.values() for name in names]


include: "rules/common.smk"
include: "rules/curate.smk"
include: "rules/analyse.smk"
include: "rules/figures.smk"
include: "rules/report.smk"


onerror:
    # Snakemake prints its own traceback after a failed job; the curator needs the problems, so they come last.
    for CLEAN_LOG in sorted(Path("results/logs/clean_table").glob("*.log")):
        if "nothing was built" in CLEAN_LOG.read_text(encoding="utf-8"):
            PROBLEMS = CLEAN_LOG.read_text(encoding="utf-8").removeprefix("ERROR ").rstrip()
            print(f"\n{PROBLEMS}", file=sys.stderr)


rule all:
    input:
        "results/report/review.html",
        "results/report/review.pdf",
        "results/manifest.json",
    default_target: True
