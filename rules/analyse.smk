# Clean tables -> analysis tables (effect sizes, proportions, pooled estimates, sensitivity analyses), one job per
# evidence family: each reads only the clean tables its functions take (scripts/analyse.py), so a safety edit
# does not recompute the efficacy tables.

# The modules behind the tables: an edit to a method reruns the families that use it.
SYNTHESIS_CODE = ["scripts/conventions.py", "scripts/vocabulary.py", "scripts/populations.py",
                  *sorted(str(path) for path in Path("scripts/synthesis").glob("*.py"))]
ANALYSIS_CODE = {
    "efficacy": ["scripts/randomised.py", *SYNTHESIS_CODE],
    "safety": SYNTHESIS_CODE,
    "appraisal": SYNTHESIS_CODE,
    "evidence_summary": ["scripts/randomised.py", "scripts/certainty.py", *SYNTHESIS_CODE],
}

for family, tables in ANALYSIS_TABLES.items():

    rule:
        name:
            f"{family}_tables"
        input:
            clean=expand("results/clean/{table}.csv", table=ANALYSIS_INPUTS[family]),
            awaiting=["results/validation/awaiting_classification.csv"] if family == "evidence_summary" else [],
            code=ANALYSIS_CODE[family],
        output:
            expand("results/tables/{name}.csv", name=tables),
        log:
            f"results/logs/{family}_tables.log",
        benchmark:
            f"results/benchmarks/{family}_tables.tsv"
        conda:
            "../envs/pipeline.yaml"
        script:
            "../scripts/analyse.py"
