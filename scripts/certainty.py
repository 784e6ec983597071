"""Certainty of the evidence per outcome, after GRADE, for the summary-of-findings table.

Each outcome starts at high certainty when its evidence is randomised and at low when it is observational, and
is rated down one level per serious and two per very serious concern in five domains. Where a concern can be
computed from the analysis tables it is computed, by rules stated here and in the review's Methods:

* risk of bias: the overall judgements (data/risk_of_bias.csv) of the studies behind the estimate, weighted by
  their size: -2 when at least half of the information comes from studies at high, serious or critical risk,
  -1 when at least half comes from studies with some concerns, moderate risk or moderate concern;
* inconsistency: -1 when two or more studies show I² of at least 50%, or effects are not pooled across studies;
* indirectness: -1 for an indirect comparison through placebo, -1 when no study's population is refractory by
  the review's definition (both together -2);
* imprecision: -1 when the 95% interval includes no effect (or, for a proportion, is wider than 50 percentage
  points), -1 when fewer than 300 events inform it (the usual optimal-information-size rule of thumb), or -1
  when there is no interval at all;
* publication bias: not assessed below ten studies (no funnel plot is interpretable), said in the reason.
"""

import numpy as np
import pandas as pd

from conventions import REFRACTORY_LINES, UNINFORMATIVE_WIDTH

LEVELS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
SEVERE = {"high", "serious", "critical"}
CONCERNS = {"some_concerns", "moderate"}
OPTIMAL_INFORMATION_EVENTS = 300
INCONSISTENT_I2_PERCENT = 50
SOF_COLUMNS = ["outcome", "comparison", "design", "studies", "k_studies", "participants", "relative_effect",
               "estimate", "ci_lower", "ci_upper", "placebo_per_1000", "drug_per_1000", "drug_per_1000_lower",
               "drug_per_1000_upper", "risk_of_bias", "inconsistency", "indirectness", "imprecision",
               "publication_bias", "certainty", "reasons"]


def risk_of_bias_downgrade(study_ids, risk_of_bias: pd.DataFrame, weights: pd.Series) -> tuple[int, str]:
    """Levels to rate down for risk of bias, from the studies' overall judgements weighted by size."""
    overall = risk_of_bias[(risk_of_bias["domain"] == "overall") & risk_of_bias["study_id"].isin(study_ids)]
    if overall.empty:
        return 0, "not appraised"
    weight = overall["study_id"].map(weights).fillna(1).clip(lower=1)
    severe = weight[overall["judgement"].isin(SEVERE)].sum() / weight.sum()
    concerns = weight[overall["judgement"].isin(SEVERE | CONCERNS)].sum() / weight.sum()
    if severe >= 0.5:
        return -2, "mostly high or serious risk"
    if concerns >= 0.5:
        return -1, "mostly some concerns or moderate risk"
    return 0, "mostly low risk"


def inconsistency_downgrade(k: int, i2_percent: float, pooled: bool = True) -> tuple[int, str]:
    """Levels to rate down for inconsistency."""
    if k < 2:
        return 0, "one study: not assessable"
    if not pooled:
        return -1, "not pooled (different definitions or measures)"
    if pd.notna(i2_percent) and i2_percent >= INCONSISTENT_I2_PERCENT:
        return -1, f"I² {i2_percent:.0f}%"
    return 0, f"I² {i2_percent:.0f}%"


def indirectness_downgrade(indirect: bool, lines) -> tuple[int, str]:
    """Levels to rate down for indirectness: comparison through placebo, populations not refractory."""
    reasons, levels = [], 0
    if indirect:
        levels, reasons = levels - 1, reasons + ["indirect comparison through placebo"]
    if not set(lines) & set(REFRACTORY_LINES):
        levels, reasons = levels - 1, reasons + ["population not described as refractory"]
    return max(levels, -2), "; ".join(reasons) or "direct, refractory population"


def imprecision_downgrade(lower: float, upper: float, events: float, ratio: bool = True) -> tuple[int, str]:
    """Levels to rate down for imprecision: an interval that includes no effect (ratios) or is too wide to inform
    (proportions), and fewer events than the optimal information size."""
    reasons, levels = [], 0
    if pd.isna(lower) or pd.isna(upper):
        levels, reasons = levels - 1, reasons + ["no interval"]
    elif ratio and lower <= 1 <= upper:
        levels, reasons = levels - 1, reasons + ["CI includes no effect"]
    elif not ratio and upper - lower > UNINFORMATIVE_WIDTH:
        levels, reasons = levels - 1, reasons + ["CI wider than 50 points"]
    if pd.isna(events):
        levels, reasons = levels - 1, reasons + ["number of events not reported"]
    elif events < OPTIMAL_INFORMATION_EVENTS:
        levels, reasons = levels - 1, reasons + [f"{int(events)} events (< {OPTIMAL_INFORMATION_EVENTS})"]
    return max(levels, -2), "; ".join(reasons) or "precise"


def certainty(randomised: bool, downgrades: list[int]) -> str:
    """GRADE level from the starting level (high if randomised, else low) and the downgrades."""
    return LEVELS[max(1, (4 if randomised else 2) + sum(downgrades))]


def absolute_per_1000(odds_ratio: float, placebo_risk: float) -> float:
    """Risk with the drug per 1000, from an odds ratio and the placebo risk: OR x p / (1 - p + OR x p)."""
    if pd.isna(odds_ratio) or pd.isna(placebo_risk):
        return np.nan
    return 1000 * odds_ratio * placebo_risk / (1 - placebo_risk + odds_ratio * placebo_risk)


def _row(outcome, comparison, design, study_ids, participants, relative, estimate, lower, upper, domains, randomised,
         placebo_risk=np.nan):
    """One summary-of-findings row from its numbers and the (levels, reason) of each GRADE domain."""
    levels = [domains[name][0] for name in ("risk_of_bias", "inconsistency", "indirectness", "imprecision")]
    reasons = [f"{name.replace('_', ' ')}: {domains[name][1]}" for name in
               ("risk_of_bias", "inconsistency", "indirectness", "imprecision") if domains[name][0] < 0]
    return {"outcome": outcome, "comparison": comparison, "design": design, "studies": ";".join(sorted(study_ids)),
            "k_studies": len(set(study_ids)), "participants": participants, "relative_effect": relative,
            "estimate": estimate, "ci_lower": lower, "ci_upper": upper,
            "placebo_per_1000": 1000 * placebo_risk if pd.notna(placebo_risk) else np.nan,
            "drug_per_1000": absolute_per_1000(estimate, placebo_risk) if relative == "odds ratio" else np.nan,
            "drug_per_1000_lower": absolute_per_1000(lower, placebo_risk) if relative == "odds ratio" else np.nan,
            "drug_per_1000_upper": absolute_per_1000(upper, placebo_risk) if relative == "odds ratio" else np.nan,
            **{name: levels[i] for i, name in enumerate(("risk_of_bias", "inconsistency", "indirectness", "imprecision"))},
            "publication_bias": 0, "certainty": certainty(randomised, levels),
            "reasons": "; ".join(reasons)}


def summary_of_findings(studies: pd.DataFrame, comparisons: pd.DataFrame, pooled: pd.DataFrame,
                        indirect: pd.DataFrame, maintenance: pd.DataFrame, proportions: pd.DataFrame,
                        risk_of_bias: pd.DataFrame) -> pd.DataFrame:
    """The summary-of-findings table: one row per outcome and comparison, with its GRADE certainty and reasons.

    ``comparisons`` are the primary-analysis comparisons; ``pooled`` is ``pooled_versus_placebo``; ``indirect``
    is ``indirect_comparisons``; ``maintenance`` is ``maintenance_of_response``; ``proportions`` is
    ``pooled_proportions``.
    """
    size = studies.set_index("study_id")["n_total"]
    lines = studies.set_index("study_id")["treatment_line"]
    rows = []
    for name, group, label in (("tocilizumab", comparisons[comparisons["drug"] == "tocilizumab"], "Tocilizumab"),
                               ("IL-1", comparisons[comparisons["target"] == "IL-1"], "IL-1 blockade (all agents)")):
        if group.empty:
            continue
        level = "drug" if name == "tocilizumab" else "target"
        row = pooled[(pooled["level"] == level) & (pooled["group"] == name)].iloc[0]
        ids = list(group["study_id"])
        placebo_risk = group["events_placebo"].sum() / group["n_placebo"].sum()
        events = group["events_active"].sum() + group["events_placebo"].sum()
        rows.append(_row("Response, induction (trial's primary end point)", f"{label} vs placebo", "randomised", ids,
                         int(group["n_active"].sum() + group["n_placebo"].sum()), "odds ratio", row["odds_ratio"],
                         row["ci_lower"], row["ci_upper"], {
                             "risk_of_bias": risk_of_bias_downgrade(ids, risk_of_bias, size),
                             "inconsistency": inconsistency_downgrade(len(ids), row["i2_percent"]),
                             "indirectness": indirectness_downgrade(False, lines[ids]),
                             "imprecision": imprecision_downgrade(row["ci_lower"], row["ci_upper"], events)},
                         True, placebo_risk))
    class_row = indirect[indirect["comparison"] == "tocilizumab vs IL-1 blockade (all agents)"]
    if not class_row.empty and pd.notna(class_row.iloc[0]["odds_ratio"]):
        row = class_row.iloc[0]
        ids = list(comparisons["study_id"])
        il1 = comparisons[comparisons["target"] == "IL-1"]
        i2 = pooled[(pooled["level"] == "target") & (pooled["group"] == "IL-1")]["i2_percent"]
        events = comparisons["events_active"].sum() + comparisons["events_placebo"].sum()
        rows.append(_row("Response, induction (trial's primary end point)", "Tocilizumab vs IL-1 blockade (indirect)",
                         "randomised", ids, int(comparisons["n_active"].sum() + comparisons["n_placebo"].sum()),
                         "odds ratio", row["odds_ratio"], row["ci_lower"], row["ci_upper"], {
                             "risk_of_bias": risk_of_bias_downgrade(ids, risk_of_bias, size),
                             "inconsistency": inconsistency_downgrade(len(il1), i2.iloc[0] if len(i2) else np.nan),
                             "indirectness": indirectness_downgrade(True, lines[ids]),
                             "imprecision": imprecision_downgrade(row["ci_lower"], row["ci_upper"], events)}, True))
    for trial in maintenance.itertuples():
        events = trial.events_active + trial.events_placebo
        rows.append(_row("Maintenance of response (randomised withdrawal)", f"Continued {trial.drug} vs placebo",
                         "randomised", [trial.study_id], int(trial.n_active + trial.n_placebo), "odds ratio",
                         trial.odds_ratio, trial.or_ci_lower, trial.or_ci_upper, {
                             "risk_of_bias": risk_of_bias_downgrade([trial.study_id], risk_of_bias, size),
                             "inconsistency": inconsistency_downgrade(1, np.nan),
                             "indirectness": indirectness_downgrade(False, lines[[trial.study_id]]),
                             "imprecision": imprecision_downgrade(trial.or_ci_lower, trial.or_ci_upper, events)},
                         True, trial.events_placebo / trial.n_placebo))
    cohorts = proportions[(proportions["outcome_family"] == "inactive_disease") & (proportions["subset"] == "all cohorts")
                          & (proportions["k_cohorts"] > 0)]
    for row in cohorts.itertuples():
        ids = [s for s in str(row.studies).split(";") if s]
        events = round(row.proportion * row.patients) if pd.notna(row.proportion) else np.nan
        rows.append(_row("Inactive disease (non-randomised cohorts)", f"{row.target} blockade, single arm",
                         "observational", ids, int(row.patients), "proportion", row.proportion, row.ci_lower,
                         row.ci_upper, {
                             "risk_of_bias": risk_of_bias_downgrade(ids, risk_of_bias, size),
                             "inconsistency": inconsistency_downgrade(int(row.k_cohorts), row.i2_percent),
                             "indirectness": indirectness_downgrade(False, lines[ids]),
                             "imprecision": imprecision_downgrade(row.ci_lower, row.ci_upper, events, ratio=False)},
                         False))
    return pd.DataFrame(rows, columns=SOF_COLUMNS)


def observational_outcome(outcome: str, rows: pd.DataFrame, studies: pd.DataFrame,
                          risk_of_bias: pd.DataFrame) -> dict:
    """A summary-of-findings row for an outcome reported by observational studies only and not pooled (rates or
    counts as reported): start low, inconsistency for unpooled effects, imprecision for the missing interval."""
    ids = sorted(set(rows["study_id"]))
    size = studies.set_index("study_id")["n_total"]
    lines = studies.set_index("study_id")["treatment_line"]
    return _row(outcome, "IL-6 and IL-1 blockade, as reported", "observational", ids,
                int(size.reindex(ids).fillna(0).sum()), "not pooled", np.nan, np.nan, np.nan, {
                    "risk_of_bias": risk_of_bias_downgrade(ids, risk_of_bias, size),
                    "inconsistency": inconsistency_downgrade(len(ids), np.nan, pooled=False),
                    "indirectness": indirectness_downgrade(False, lines.reindex(ids).dropna()),
                    "imprecision": imprecision_downgrade(np.nan, np.nan, np.nan)}, False)
