# Analysis tables -> figures (deterministic SVG: vector in the PDF, crisp in the HTML).


rule figure:
    input:
        lambda wildcards: expand("results/tables/{table}.csv", table=FIGURES[wildcards.name]),
        style="scripts/figure_style.py",
    output:
        "results/figures/{name}.svg",
    log:
        "results/logs/figure/{name}.log",
    wildcard_constraints:
        name="|".join(FIGURES),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figures.py"
