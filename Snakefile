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

# The curated tables, their columns, types and vocabularies, and the tables each one's validation looks up
# (foreign keys, inclusion log) are defined once, in the data dictionary.
with open("data/datapackage.json", encoding="utf-8") as handle:
    DATA_DICTIONARY = json.load(handle)
CURATED_TABLES = [resource["name"] for resource in DATA_DICTIONARY["resources"]]
VALIDATION_LOOKUPS = {resource["name"]: resource["lookups"] for resource in DATA_DICTIONARY["resources"]}

# Analysis tables and the clean tables each one is computed from.
ANALYSIS_TABLES = {
    "study_characteristics": ["studies", "arms"],
    "response_proportions": ["studies", "arms", "efficacy"],
    "marker_changes": ["studies", "efficacy"],
    "rct_response": ["studies", "arms", "efficacy"],
    "indirect_comparisons": ["studies", "arms", "efficacy"],
    "pooled_versus_placebo": ["studies", "arms", "efficacy"],
    "pooled_proportions": ["studies", "arms", "efficacy"],
    "glucocorticoid_sparing": ["studies", "arms", "efficacy"],
    "safety_rates": ["studies", "arms", "safety"],
    "safety_events": ["studies", "arms", "safety"],
    "published_comparison": ["studies", "arms", "efficacy", "meta_estimates"],
}

# Sensitivity analyses of the IL-6 versus IL-1 indirect comparison, one job and one table each.
SENSITIVITY_ANALYSES = ["without_rilonacept", "without_withdrawal", "refractory_only"]

# Figures and the analysis tables each one draws.
FIGURES = {
    "evidence_map": ["study_characteristics"],
    "response_forest": ["response_proportions"],
    "marker_changes": ["marker_changes"],
    "rct_forest": ["rct_response", "indirect_comparisons", "pooled_versus_placebo", "study_characteristics"],
    "safety_rates": ["safety_rates"],
}


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
