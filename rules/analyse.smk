# Clean tables -> analysis tables (effect sizes, proportions, pooled estimates, sensitivity analyses).


rule analysis_tables:
    input:
        clean=expand("results/clean/{table}.csv", table=CURATED_TABLES),
        awaiting="results/validation/awaiting_classification.csv",
        # the modules the script imports: an edit to a method reruns the tables it computes
        code=["scripts/randomised.py", "scripts/certainty.py", "scripts/populations.py", "scripts/conventions.py",
              "scripts/vocabulary.py", *sorted(str(path) for path in Path("scripts/synthesis").glob("*.py"))],
    output:
        expand("results/tables/{name}.csv", name=ANALYSIS_TABLES),
    log:
        "results/logs/analysis_tables.log",
    benchmark:
        "results/benchmarks/analysis_tables.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/analyse.py"
