"""IL-6 versus IL-1 blockade in refractory systemic JIA: from curated evidence to the rendered review.

    curated tables (data/)  ->  validated, clean tables (results/clean/)
                            ->  analysis tables (results/tables/)
                            ->  figures (results/figures/)
                            ->  review (results/report/review.html, review.pdf)
                            ->  manifest of checksums and versions (results/manifest.json)

Run `snakemake --cores all`; see README.md for targets and options.
"""

import json

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/config.schema.yaml")

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
    "glucocorticoid_sparing",
    "safety_rates",
    "safety_events",
    "published_comparison",
    # sensitivity analyses of the IL-6 versus IL-1 indirect comparison
    "sensitivity_without_rilonacept",
    "sensitivity_without_withdrawal",
    "sensitivity_refractory_only",
]
FIGURES = ["evidence_map", "response_forest", "marker_changes", "rct_forest", "safety_rates"]


include: "rules/curate.smk"
include: "rules/analyse.smk"
include: "rules/figures.smk"
include: "rules/report.smk"


rule all:
    input:
        "results/report/review.html",
        "results/report/review.pdf",
        "results/manifest.json",
    default_target: True
