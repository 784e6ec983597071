# Analysis tables -> figures (deterministic SVG: vector in the PDF, crisp in the HTML), one job per evidence
# family, each reading only the tables it draws (scripts/figures.py, FIGURE_FUNCTIONS).

for family, names in FIGURES.items():

    rule:
        name:
            f"{family}_figures"
        input:
            tables=expand("results/tables/{name}.csv", name=FIGURE_INPUTS[family]),
            style=["scripts/figure_style.py", "scripts/appraisal_figures.py"],
        output:
            expand("results/figures/{name}.svg", name=names),
        log:
            f"results/logs/{family}_figures.log",
        benchmark:
            f"results/benchmarks/{family}_figures.tsv"
        conda:
            "../envs/pipeline.yaml"
        script:
            "../scripts/figures.py"
