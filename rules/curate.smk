# Curated tables -> validated, clean tables. One job validates every curated table against the data
# dictionary and only then writes the clean tables: a problem anywhere stops the build before any output.


rule clean_curated_tables:
    input:
        datapackage="data/datapackage.json",
        curated=expand("data/{table}.csv", table=CURATED_TABLES),
        bibliography="report/references.bib",
    output:
        validation="results/validation/report.txt",
        clean=expand("results/clean/{table}.csv", table=CURATED_TABLES),
    params:
        sources_dir=config["sources_dir"],
    log:
        "results/logs/clean_curated_tables.log",
    benchmark:
        "results/benchmarks/clean_curated_tables.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/clean.py"
