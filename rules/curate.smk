# Curated tables -> validated, clean tables. Each table is validated together with the tables its checks
# look up (foreign keys, inclusion log), so editing one table revalidates only what depends on it.
# Validation jobs have top priority: all of them run before any cleaning or analysis starts.


rule validate_table:
    input:
        datapackage="data/datapackage.json",
        table="data/{table}.csv",
        lookups=lambda wildcards: expand("data/{name}.csv", name=VALIDATION_LOOKUPS[wildcards.table]),
        bibliography="report/references.bib",
    output:
        "results/validation/{table}.txt",
    params:
        sources_dir=config["sources_dir"],
    log:
        "results/logs/validate_table/{table}.log",
    wildcard_constraints:
        table="|".join(CURATED_TABLES),
    priority: 100
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/validate.py"


rule clean_table:
    input:
        validation="results/validation/{table}.txt",
        curated="data/{table}.csv",
        bibliography="report/references.bib",
    output:
        "results/clean/{table}.csv",
    log:
        "results/logs/clean_table/{table}.log",
    wildcard_constraints:
        table="|".join(CURATED_TABLES),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/clean.py"
