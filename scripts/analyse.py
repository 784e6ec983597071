"""Analysis tables computed from the clean tables: one pure function per table.

Every function takes clean tables (``pandas.DataFrame``) and returns one analysis table; the Snakemake
entry point at the bottom only reads inputs and writes the output. Proportions are fractions (0-1) with
95% intervals; continuous markers keep the unit of the clean table (CRP in mg/L).
"""


from pathlib import Path

import numpy as np
import pandas as pd

import synthesis

RESPONSE_OUTCOMES = [
    "jia_acr30_no_fever", "adapted_acr_pedi_30", "adapted_acr_pedi_50", "adapted_acr_pedi_70",
    "adapted_acr_pedi_90", "adapted_acr_pedi_100", "acr_pedi_30", "acr_pedi_50", "acr_pedi_70", "acr_pedi_90",
    "acr_pedi_100", "clinically_inactive_disease", "minimal_disease_activity", "remission", "jadas_remission",
    "complete_response", "investigator_defined_response",
]
MARKER_OUTCOMES = ["das_crp", "crp", "esr", "active_joints", "haq", "larsen_score"]
STUDY_COLUMNS = ["study_id", "study_label", "year", "design", "population", "treatment_line"]


def study_characteristics(studies: pd.DataFrame, arms: pd.DataFrame) -> pd.DataFrame:
    """One row per included study: design, population, line of therapy, drugs, dose, n, follow-up, arms."""
    arm_counts = arms.groupby("study_id").size().rename("n_arms").reset_index()
    table = studies.merge(arm_counts, on="study_id", how="left")
    table["n_arms"] = table["n_arms"].fillna(0).astype(int)
    columns = STUDY_COLUMNS + ["target", "drugs", "dose", "n_total", "follow_up", "country", "n_arms"]
    return table[columns].sort_values(["year", "study_id"]).reset_index(drop=True)


def response_proportions(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Per-arm response proportions with Wilson 95% intervals, for every response outcome with a denominator.

    Only rows that report both responders and patients evaluated are used; a percentage without its
    denominator is not turned back into a count.
    """
    rows = efficacy[efficacy["outcome"].isin(RESPONSE_OUTCOMES) & efficacy["events"].notna()
                    & efficacy["denominator"].notna()]
    table = rows.merge(arms[["study_id", "arm_id", "drug", "target", "role"]], on=["study_id", "arm_id"])
    table = table.merge(studies[STUDY_COLUMNS], on="study_id")
    table = table.drop(columns="n_evaluated").rename(columns={"events": "responders", "denominator": "n_evaluated"})
    intervals = [synthesis.proportion_interval(int(r), int(n)) for r, n in zip(table["responders"], table["n_evaluated"])]
    table["proportion"] = [i.proportion for i in intervals]
    table["ci_lower"] = [i.ci_lower for i in intervals]
    table["ci_upper"] = [i.ci_upper for i in intervals]
    columns = STUDY_COLUMNS + ["arm_id", "drug", "target", "role", "outcome", "outcome_as_reported", "timepoint",
                               "responders", "n_evaluated", "proportion", "ci_lower", "ci_upper"]
    return table[columns].sort_values(["target", "year", "study_id", "arm_id", "outcome"]).reset_index(drop=True)


def marker_changes(studies: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Inflammatory markers and disease-activity scores at each timepoint beside their baseline value.

    ``change`` is follow-up minus baseline of the reported central values (medians stay medians: no
    conversion between statistics); ``percent_change`` is relative to baseline.
    """
    markers = efficacy[efficacy["outcome"].isin(MARKER_OUTCOMES) & efficacy["central_value"].notna()]
    keys = ["study_id", "arm_id", "outcome"]
    baseline = (markers[markers["timepoint"] == "baseline"][keys + ["central_value"]]
                .rename(columns={"central_value": "baseline_value"}))
    table = markers.merge(baseline, on=keys, how="left").merge(studies[STUDY_COLUMNS], on="study_id")
    table["change"] = table["central_value"] - table["baseline_value"]
    table["percent_change"] = np.where(table["baseline_value"] > 0,
                                       100 * table["change"] / table["baseline_value"], np.nan)
    table = table.rename(columns={"value": "value_as_reported", "central_value": "value"})
    columns = STUDY_COLUMNS + ["arm_id", "outcome", "outcome_as_reported", "timepoint", "timepoint_weeks",
                               "statistic", "value_as_reported", "value", "spread_lower", "spread_upper", "spread_type", "unit",
                               "n_evaluated", "p_value", "baseline_value", "change", "percent_change"]
    order = table["timepoint_weeks"].fillna(np.inf)
    return table.assign(_order=order).sort_values(["study_id", "outcome", "_order"])[columns].reset_index(drop=True)


TABLE_FUNCTIONS = {
    "study_characteristics": study_characteristics,
    "response_proportions": response_proportions,
    "marker_changes": marker_changes,
}


def run_rule(smk) -> None:
    """Snakemake entry point: compute one analysis table from the clean tables it lists as inputs."""
    from pipeline_io import read_table, rule_logger, write_table

    log = rule_logger(smk.log[0], "analysis_table")
    name = smk.wildcards.name
    inputs = [read_table(path) for path in smk.input]
    table = TABLE_FUNCTIONS[name](*inputs)
    write_table(table, smk.output[0])
    log.info("%s: %d rows from %s", name, len(table), ", ".join(Path(p).name for p in smk.input))


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
