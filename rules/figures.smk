# Analysis tables -> figures (deterministic SVG: vector in the PDF, crisp in the HTML).


rule figures:
    input:
        tables=expand("results/tables/{name}.csv", name=ANALYSIS_TABLES),
        style=["scripts/figure_style.py", "scripts/appraisal_figures.py"],
    output:
        expand("results/figures/{name}.svg", name=FIGURES),
    log:
        "results/logs/figures.log",
    benchmark:
        "results/benchmarks/figures.tsv"
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figures.py"
