# Curated tables -> validated, clean tables -> the validation report.
#
# One job per curated table validates it against the data dictionary, with the tables it looks up (foreign
# keys, its texts in the inclusion log) and the source texts its phrases come from, and only then writes its
# clean version: a problem stops the build before anything is computed from that table, and an edit to one
# table re-validates and re-cleans that table only. The report lists what was checked once every table passed.

rule clean_table:
    input:
        datapackage="data/datapackage.json",
        curated="data/{table}.csv",
        read=tables_read,
        # study labels come from the bibliography, and every study must have an entry there
        bibliography=lambda wildcards: ["report/references.bib"] if wildcards.table == "studies" else [],
        sources=SOURCE_TEXTS,
    output:
        "results/clean/{table}.csv",
    params:
        joined=lambda wildcards: JOINED_TABLES.get(wildcards.table, []),
        sources_dir=sources_folder,
    wildcard_constraints:
        table="|".join(CURATED_TABLES),
    log:
        "results/logs/clean_table/{table}.log",
    benchmark:
        "results/benchmarks/clean_table/{table}.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/clean.py"


rule validation_report:
    input:
        # after every table passed its checks
        clean=expand("results/clean/{table}.csv", table=CURATED_TABLES),
        datapackage="data/datapackage.json",
        inclusion_log="data/inclusion_log.csv",
        sources=SOURCE_TEXTS,
    output:
        validation="results/validation/report.txt",
        awaiting="results/validation/awaiting_classification.csv",
    params:
        sources_dir=sources_folder,
    log:
        "results/logs/validation_report.log",
    benchmark:
        "results/benchmarks/validation_report.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/validation_report.py"
