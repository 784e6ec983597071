# Curated tables -> validated, clean tables. One job validates every curated table against the data
# dictionary and only then writes the clean tables: a problem anywhere stops the build before any output.


rule clean_curated_tables:
    input:
        datapackage="data/datapackage.json",
        curated=expand("data/{table}.csv", table=CURATED_TABLES),
        bibliography="report/references.bib",
        sources=SOURCE_TEXTS,
    output:
        validation="results/validation/report.txt",
        awaiting="results/validation/awaiting_classification.csv",
        clean=expand("results/clean/{table}.csv", table=CURATED_TABLES),
    params:
        # the folder of the source texts (empty: no phrase-in-source check), read from the inputs themselves
        sources_dir=lambda wildcards, input: str(Path(input.sources[0]).parent) if input.sources else "",
    log:
        "results/logs/clean_curated_tables.log",
    benchmark:
        "results/benchmarks/clean_curated_tables.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/clean.py"
