# Clean tables -> analysis tables (effect sizes, proportions, pooled estimates). One job per table.


rule analysis_table:
    input:
        lambda wildcards: expand("results/clean/{table}.csv", table=ANALYSIS_TABLES[wildcards.name]),
    output:
        "results/tables/{name}.csv",
    log:
        "results/logs/analysis_table/{name}.log",
    wildcard_constraints:
        name="|".join(ANALYSIS_TABLES),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/analyse.py"


rule sensitivity_analysis:
    input:
        expand("results/clean/{table}.csv", table=["studies", "arms", "efficacy"]),
    output:
        "results/tables/sensitivity_{analysis}.csv",
    log:
        "results/logs/sensitivity_analysis/{analysis}.log",
    wildcard_constraints:
        analysis="|".join(SENSITIVITY_ANALYSES),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/analyse.py"
