# Tables and figures -> the review (HTML and PDF) -> manifest of checksums and versions.


rule render_review:
    input:
        qmd="report/review.qmd",
        project="report/_quarto.yml",
        bibliography="report/references.bib",
        csl="report/american-medical-association.csl",
        css="report/style.css",
        helpers="scripts/report_helpers.py",
        renderer="scripts/render.py",
        crossref_filter="scripts/crossref.lua",
        datapackage="data/datapackage.json",
        clean=expand("results/clean/{table}.csv", table=CURATED_TABLES),
        tables=expand("results/tables/{name}.csv", name=ANALYSIS_TABLES),
        sensitivity=expand("results/tables/sensitivity_{analysis}.csv", analysis=SENSITIVITY_ANALYSES),
        figures=expand("results/figures/{name}.svg", name=FIGURES),
    output:
        html="results/report/review.html",
        pdf="results/report/review.pdf",
    params:
        renderer=config["renderer"],
        pdf_timestamp=config["pdf_timestamp"],
    log:
        "results/logs/render_review.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/render.py"


rule build_manifest:
    input:
        curated=expand("data/{table}.csv", table=CURATED_TABLES) + ["data/datapackage.json", "report/references.bib"],
        outputs=expand("results/clean/{table}.csv", table=CURATED_TABLES)
        + expand("results/tables/{name}.csv", name=ANALYSIS_TABLES)
        + expand("results/tables/sensitivity_{analysis}.csv", analysis=SENSITIVITY_ANALYSES)
        + expand("results/figures/{name}.svg", name=FIGURES)
        + ["results/report/review.html", "results/report/review.pdf"],
    output:
        "results/manifest.json",
    log:
        "results/logs/build_manifest.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/manifest.py"
