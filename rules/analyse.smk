# Clean tables -> analysis tables (effect sizes, proportions, pooled estimates, sensitivity analyses).


rule analysis_tables:
    input:
        expand("results/clean/{table}.csv", table=CURATED_TABLES),
        "results/validation/awaiting_classification.csv",
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
