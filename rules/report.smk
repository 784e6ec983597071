# Tables and figures -> the review (HTML and PDF) -> manifest of checksums and versions.


# Quarto's stages as rules: execution needs only the tables, so it runs while the figures are drawn; the two
# formats are then written side by side. With `renderer: quarto` (or `auto` with the Quarto CLI on PATH)
# the formats come from `quarto render`, which executes the document again.


rule execute_review:
    input:
        qmd="report/review.qmd",
        project="_quarto.yml",
        bibliography="report/references.bib",
        helpers=["scripts/report_helpers.py", "scripts/claims.py", "scripts/vocabulary.py", "scripts/conventions.py",
                 "scripts/populations.py", "scripts/certainty.py"],
        renderer=["scripts/render.py", "scripts/qmd.py", "scripts/qmd_execution.py", "scripts/quarto_project.py"],
        datapackage="data/datapackage.json",
        protocol=["docs/protocol.md", "report/prisma_2020_checklist.csv"],
        # the article information: the config's review block, the version, the data's licence
        article=["config/config.yaml", "pyproject.toml"],
        clean=expand("results/clean/{table}.csv", table=CURATED_TABLES),
        validation=["results/validation/report.txt", "results/validation/awaiting_classification.csv"],
        tables=expand("results/tables/{name}.csv", name=ALL_TABLES),
    output:
        markdown="results/report/review.md",
        # every inline value with the expression that made it and its provenance ids, and the coverage
        claims="results/report/claims.json",
    log:
        "results/logs/execute_review.log",
    benchmark:
        "results/benchmarks/execute_review.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/render.py"


rule render_html:
    input:
        executed="results/report/review.md",
        qmd="report/review.qmd",
        bibliography="report/references.bib",
        csl="report/american-medical-association.csl",
        css=["report/style.css", "report/claim_cards.html", "scripts/offline_layout.css", "scripts/offline_enhance.html"],
        crossref_filter="scripts/crossref.lua",
        figures=expand("results/figures/{name}.svg", name=ALL_FIGURES),
    output:
        "results/report/review.html",
    params:
        renderer=config["renderer"],
    log:
        "results/logs/render_html.log",
    benchmark:
        "results/benchmarks/render_html.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/render.py"


rule render_pdf:
    input:
        executed="results/report/review.md",
        qmd="report/review.qmd",
        bibliography="report/references.bib",
        csl="report/american-medical-association.csl",
        crossref_filter="scripts/crossref.lua",
        figures=expand("results/figures/{name}.svg", name=ALL_FIGURES),
    output:
        "results/report/review.pdf",
    params:
        renderer=config["renderer"],
        pdf_timestamp=config["pdf_timestamp"],
    log:
        "results/logs/render_pdf.log",
    benchmark:
        "results/benchmarks/render_pdf.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/render.py"


rule build_manifest:
    input:
        curated=expand("data/{table}.csv", table=CURATED_TABLES) + ["data/datapackage.json", "report/references.bib"],
        version="pyproject.toml",
        outputs=expand("results/clean/{table}.csv", table=CURATED_TABLES)
        + expand("results/tables/{name}.csv", name=ALL_TABLES)
        + expand("results/figures/{name}.svg", name=ALL_FIGURES)
        + ["results/report/review.md", "results/report/claims.json", "results/report/review.html",
           "results/report/review.pdf"],
    output:
        "results/manifest.json",
    log:
        "results/logs/build_manifest.log",
    benchmark:
        "results/benchmarks/build_manifest.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/manifest.py"
