"""Analysis tables of the randomised placebo-controlled trials: one comparison per trial, pooling, Bucher
indirect comparisons, maintenance of response, transitivity, and the sensitivity analyses.

Which comparisons enter which analysis is decided from the data, by rules a methodologist can check:

* **primary analysis** (efficacy of induction against placebo): one comparison per trial, from its
  parallel-group double-blind phase, at the trial's primary end point (``placebo_comparison`` =
  ``primary``) or, where that end point is not a proportion or was not retrieved, the main responder
  comparison at the end of the blinded phase (``main``), provided it comes from the trial's own report;
* **secondary-source comparisons** (``main`` taken from a third-party table, e.g. another end point) enter
  only a sensitivity analysis;
* **randomised-withdrawal comparisons** (``withdrawal``) measure maintenance of response in patients already
  selected as responders: they form their own analysis and are never pooled with induction trials.

Random effects follow the methods Cochrane endorsed in 2022 (RevMan, 2025): REML tau^2 with its Q-profile
interval, Hartung-Knapp-Sidik-Jonkman interval for the summary effect, prediction interval from three trials;
DerSimonian-Laird with a Wald interval is a sensitivity analysis. Odds ratios above 1 favour the first-named
treatment (the active drug against placebo; tocilizumab in an indirect comparison).
"""

import numpy as np
import pandas as pd

import synthesis
from conventions import REFRACTORY_LINES
from synthesis._common import Z_95
from vocabulary import label

STUDY_COLUMNS = ["study_id", "study_label", "year", "design", "population", "treatment_line"]
RCT_RESPONSE_COLUMNS = ["study_id", "drug", "target", "endpoint", "timepoint", "events_active", "n_active",
                        "events_placebo", "n_placebo", "odds_ratio", "or_ci_lower", "or_ci_upper", "risk_ratio",
                        "rr_ci_lower", "rr_ci_upper"]
COMPARISON_COLUMNS = ["study_id", "drug", "target", "endpoint", "endpoint_as_reported", "timepoint", "comparison_kind",
                      "source_kind", "events_active", "n_active", "events_placebo", "n_placebo", "odds_ratio",
                      "or_ci_lower", "or_ci_upper", "log_odds_ratio", "se_log_odds_ratio", "risk_ratio", "rr_ci_lower",
                      "rr_ci_upper", "continuity_corrected", "placebo_response", "denominator_note"]
INDIRECT_COLUMNS = ["comparison", "method", "odds_ratio", "ci_lower", "ci_upper", "k_trials", "note"]
TOCILIZUMAB = "tocilizumab"
CLASS = "IL-1 blockade (all agents)"
PRIMARY, SECONDARY_SOURCE, MAINTENANCE = "primary analysis", "secondary-source comparison", "maintenance of response"
# The primary random-effects method, and the sensitivity analysis's
PRIMARY_METHOD = {"method": "reml", "hartung_knapp": True}
DL_METHOD = {"method": "dl", "hartung_knapp": False}
METHOD_NAMES = {"reml": "REML tau\u00b2, Hartung-Knapp-Sidik-Jonkman interval",
                "dl": "DerSimonian-Laird tau\u00b2, Wald interval"}


def _denominator(row: pd.Series, arm_n: float) -> tuple[float, str]:
    """The denominator of a responder count, and how it was obtained.

    As printed when the source gives one. Otherwise the randomised arm size, but only when the source's own
    percentage equals count / arm size (rounded as printed): a count printed as "15 (75%)" in an arm of 20.
    """
    if pd.notna(row["denominator"]):
        return float(row["denominator"]), ""
    if pd.notna(arm_n) and pd.notna(row["events"]) and pd.notna(row["percent_value"]):
        digits = len(str(row["percent"]).replace(",", ".").partition(".")[2])
        if round(100 * row["events"] / arm_n, digits) == round(row["percent_value"], digits):
            return float(arm_n), f"denominator = randomised arm size {int(arm_n)} ({row['percent']}% as printed)"
    return np.nan, "no denominator"


def rct_comparisons(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Every placebo-controlled responder comparison marked in the curated data, with OR and RR (95% CI) and the
    analysis it belongs to (``analysis_set``: primary analysis, secondary-source comparison, maintenance).

    Rows of one comparison share study, outcome, timepoint and ``placebo_comparison``; there must be exactly one
    active and one placebo arm among them. Zero cells get the 0.5 continuity correction. One induction
    comparison per trial enters the primary analysis: the ``primary`` one if the trial has it, else ``main``.
    """
    marked = efficacy[efficacy["placebo_comparison"].notna()].merge(
        arms[["study_id", "arm_id", "drug", "target", "role", "n"]], on=["study_id", "arm_id"])
    records = []
    for (study_id, outcome, timepoint, kind), group in marked.groupby(
            ["study_id", "outcome", "timepoint", "placebo_comparison"], sort=True):
        active, placebo = group[group["role"] == "active"], group[group["role"] == "placebo"]
        if len(active) != 1 or len(placebo) != 1:
            raise ValueError(f"{study_id} {outcome} {timepoint}: a placebo comparison needs exactly one active and "
                             f"one placebo arm, found {len(active)} and {len(placebo)}")
        a, p = active.iloc[0], placebo.iloc[0]
        (n_active, note_a), (n_placebo, note_p) = _denominator(a, a["n"]), _denominator(p, p["n"])
        if np.isnan(n_active) or np.isnan(n_placebo) or pd.isna(a["events"]) or pd.isna(p["events"]):
            raise ValueError(f"{study_id} {outcome} {timepoint}: a marked comparison needs counts and denominators")
        counts = (int(a["events"]), int(n_active), int(p["events"]), int(n_placebo))
        odds, risk = synthesis.odds_ratio(*counts), synthesis.risk_ratio(*counts)
        secondary = "secondary" in {a["source_kind"], p["source_kind"]}
        records.append({
            "study_id": study_id, "drug": a["drug"], "target": a["target"], "endpoint": outcome,
            "endpoint_as_reported": a["outcome_as_reported"], "timepoint": timepoint, "comparison_kind": kind,
            "source_kind": "secondary" if secondary else "own report",
            "events_active": counts[0], "n_active": counts[1], "events_placebo": counts[2], "n_placebo": counts[3],
            "odds_ratio": odds.estimate, "or_ci_lower": odds.ci_lower, "or_ci_upper": odds.ci_upper,
            "log_odds_ratio": odds.log_estimate, "se_log_odds_ratio": odds.se_log,
            "risk_ratio": risk.estimate, "rr_ci_lower": risk.ci_lower, "rr_ci_upper": risk.ci_upper,
            "continuity_corrected": odds.continuity_correction_applied,
            "placebo_response": counts[2] / counts[3],
            "denominator_note": "; ".join(n for n in (note_a, note_p) if n),
        })
    table = pd.DataFrame(records, columns=COMPARISON_COLUMNS)
    if table.empty:
        return table.assign(analysis_set=pd.Series(dtype=str)).reindex(
            columns=COMPARISON_COLUMNS + ["analysis_set"] + STUDY_COLUMNS[1:] + ["background_therapy"])
    table["analysis_set"] = [MAINTENANCE if kind == "withdrawal" else
                             SECONDARY_SOURCE if source == "secondary" else PRIMARY
                             for kind, source in zip(table["comparison_kind"], table["source_kind"])]
    # One induction comparison per trial in the primary analysis: 'primary' before 'main'.
    induction = table[table["analysis_set"] == PRIMARY].assign(
        _rank=lambda t: t["comparison_kind"].map({"primary": 0, "main": 1}))
    extra = induction.sort_values(["_rank"], kind="stable").duplicated("study_id", keep="first")
    table.loc[extra[extra].index, "analysis_set"] = SECONDARY_SOURCE
    table = table.merge(studies[STUDY_COLUMNS + ["background_therapy"]], on="study_id")
    order = table["analysis_set"].map({PRIMARY: 0, SECONDARY_SOURCE: 1, MAINTENANCE: 2})
    return (table.assign(_order=order)
            .sort_values(["_order", "target", "drug", "year", "study_id"], ascending=[True, False, True, True, True],
                         kind="stable").drop(columns="_order").reset_index(drop=True))


def rct_response(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """One row per placebo-controlled comparison: the published columns of ``rct_response.csv``, then the
    analysis each belongs to, the kind of comparison and source, and how a missing denominator was obtained."""
    table = rct_comparisons(studies, arms, efficacy)
    extra = ["analysis_set", "comparison_kind", "source_kind", "placebo_response", "denominator_note"]
    return table[RCT_RESPONSE_COLUMNS + extra].reset_index(drop=True)


def pool(comparisons: pd.DataFrame, method: dict = PRIMARY_METHOD) -> synthesis.PooledRatio:
    """Random-effects pool of the comparisons' log odds ratios (REML with HKSJ unless told otherwise)."""
    return synthesis.random_effects_pool(comparisons["log_odds_ratio"].tolist(),
                                         comparisons["se_log_odds_ratio"].tolist(), **method)


def interval_se(pooled: synthesis.PooledRatio) -> float:
    """The standard error that reproduces the pooled 95% interval on a normal scale: with HKSJ the t(k - 1)
    interval is wider than +/- 1.96 SE, and that width is what the indirect comparison must carry."""
    return (pooled.log_ci_upper - pooled.log_ci_lower) / (2 * Z_95)


def _heterogeneity(pooled: synthesis.PooledRatio) -> str:
    if pooled.k < 2:
        return "single trial, no heterogeneity to estimate"
    return (f"{pooled.k} trials pooled: tau\u00b2 {pooled.tau2:.3f} (Q-profile 95% CI {pooled.tau2_ci_lower:.3f} to "
            f"{pooled.tau2_ci_upper:.3f}), I\u00b2 {pooled.i2_percent:.0f}%, Q {pooled.q:.2f} on {pooled.q_df} df "
            f"(p {pooled.q_p_value:.3f})")


def indirect_comparisons(comparisons: pd.DataFrame, method: dict = PRIMARY_METHOD) -> pd.DataFrame:
    """Bucher adjusted indirect comparisons (common comparator placebo) of tocilizumab with each IL-1 agent and
    with IL-1 blockade as a class, from the comparisons given (the primary analysis unless a sensitivity
    analysis passes others).

    Trials of one agent (or of the class) are pooled first by ``method``; the pooled log odds ratio enters the
    Bucher difference with the standard error implied by its 95% interval (so an HKSJ t-interval keeps its
    width). Odds ratios above 1 favour tocilizumab. An agent without a trial gets a row that says so.
    """
    tocilizumab = comparisons[comparisons["drug"] == TOCILIZUMAB]
    il1 = comparisons[comparisons["target"] == "IL-1"]
    if tocilizumab.empty or il1.empty:
        return pd.DataFrame(columns=INDIRECT_COLUMNS)
    reference = pool(tocilizumab, method)
    rows = []
    groups = [(drug, il1[il1["drug"] == drug]) for drug in ("anakinra", "canakinumab", "rilonacept")] + [(CLASS, il1)]
    for name, group in groups:
        row = {"comparison": f"tocilizumab vs {name}",
               "method": f"Bucher adjusted indirect comparison, common comparator placebo; {METHOD_NAMES[method['method']]}"}
        if group.empty:
            rows.append({**row, "k_trials": len(tocilizumab), "note": f"not estimable: no {name} trial in this analysis"})
            continue
        pooled = pool(group, method)
        indirect = synthesis.bucher_indirect(reference.log_estimate, interval_se(reference), pooled.log_estimate,
                                             interval_se(pooled))
        endpoints = ", ".join(sorted({label(e) for e in set(group["endpoint"]) | set(tocilizumab["endpoint"])}))
        rows.append({**row, "odds_ratio": indirect.estimate, "ci_lower": indirect.ci_lower,
                     "ci_upper": indirect.ci_upper, "k_trials": len(tocilizumab) + len(group),
                     "note": f"{_heterogeneity(pooled)}; end points compared: {endpoints}"})
    return pd.DataFrame(rows, columns=INDIRECT_COLUMNS)


def pooled_versus_placebo(comparisons: pd.DataFrame, method: dict = PRIMARY_METHOD) -> pd.DataFrame:
    """Each drug and each class against placebo: random-effects pooled odds ratio with tau^2 (Q-profile interval),
    I^2, Q and, from three trials, the prediction interval."""
    rows = []
    for level, key in (("drug", "drug"), ("target", "target")):
        for name, group in comparisons.groupby(key, sort=True):
            pooled = pool(group, method)
            rows.append({"level": level, "group": name, "k_trials": pooled.k, "odds_ratio": pooled.estimate,
                         "ci_lower": pooled.ci_lower, "ci_upper": pooled.ci_upper, "tau2": pooled.tau2,
                         "i2_percent": pooled.i2_percent, "q": pooled.q, "q_p_value": pooled.q_p_value,
                         "pi_lower": pooled.pi_lower, "pi_upper": pooled.pi_upper, "note": pooled.notes,
                         "tau2_ci_lower": pooled.tau2_ci_lower, "tau2_ci_upper": pooled.tau2_ci_upper,
                         "method": METHOD_NAMES[method["method"]], "studies": ";".join(group["study_id"])})
    return pd.DataFrame(rows, columns=["level", "group", "k_trials", "odds_ratio", "ci_lower", "ci_upper", "tau2",
                                       "i2_percent", "q", "q_p_value", "pi_lower", "pi_upper", "note",
                                       "tau2_ci_lower", "tau2_ci_upper", "method", "studies"])


def primary_comparisons(studies, arms, efficacy) -> pd.DataFrame:
    comparisons = rct_comparisons(studies, arms, efficacy)
    return comparisons[comparisons["analysis_set"] == PRIMARY]


def indirect_table(studies, arms, efficacy) -> pd.DataFrame:
    """``indirect_comparisons.csv``: the primary analysis."""
    return indirect_comparisons(primary_comparisons(studies, arms, efficacy))


def versus_placebo_table(studies, arms, efficacy) -> pd.DataFrame:
    """``pooled_versus_placebo.csv``: the primary analysis."""
    return pooled_versus_placebo(primary_comparisons(studies, arms, efficacy))


def maintenance_of_response(studies, arms, efficacy) -> pd.DataFrame:
    """Randomised-withdrawal trials side by side: patients who responded on open-label drug, then randomised to
    continue it or to placebo. Each trial's odds ratio (continuing versus placebo) is shown alone: the trials
    measure different end points, and none is pooled with an induction trial."""
    return maintenance_rows(rct_comparisons(studies, arms, efficacy))


def maintenance_rows(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The randomised-withdrawal comparisons among ``rct_comparisons``, in the columns of ``maintenance_of_response``."""
    table = comparisons[comparisons["analysis_set"] == MAINTENANCE]
    return table[["study_id", "study_label", "drug", "target", "endpoint", "endpoint_as_reported", "timepoint",
                  "events_active", "n_active", "events_placebo", "n_placebo", "odds_ratio", "or_ci_lower",
                  "or_ci_upper", "risk_ratio", "rr_ci_lower", "rr_ci_upper", "source_kind",
                  "denominator_note"]].reset_index(drop=True)


def transitivity(studies, arms, efficacy) -> pd.DataFrame:
    """What an indirect comparison assumes alike, trial by trial: design, population, line of therapy, background
    therapy, end point, time point and placebo response of every randomised comparison (primary analysis first)."""
    table = rct_comparisons(studies, arms, efficacy)
    order = {PRIMARY: 0, SECONDARY_SOURCE: 1, MAINTENANCE: 2}
    table = table.assign(_order=table["analysis_set"].map(order)).sort_values(["_order", "target", "year"],
                                                                               ascending=[True, False, True])
    return table[["study_id", "study_label", "drug", "target", "analysis_set", "design", "population",
                  "treatment_line", "background_therapy", "endpoint", "endpoint_as_reported", "timepoint",
                  "placebo_response", "n_active", "n_placebo", "source_kind"]].reset_index(drop=True)


def _class_row(analysis: str, comparisons: pd.DataFrame, method: dict) -> dict:
    table = indirect_comparisons(comparisons, method)
    table = table[table["comparison"] == f"tocilizumab vs {CLASS}"]
    if table.empty or pd.isna(table.iloc[0].get("odds_ratio")):
        missing = "tocilizumab" if comparisons[comparisons["drug"] == TOCILIZUMAB].empty else "IL-1"
        return {"analysis": analysis, "comparison": f"tocilizumab vs {CLASS}", "k_trials": len(comparisons),
                "method": METHOD_NAMES[method["method"]], "note": f"not estimable: no {missing} trial in this subset"}
    return {"analysis": analysis, **table.iloc[0].to_dict()}


def _sensitivity(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["analysis"] + INDIRECT_COLUMNS)


def sensitivity_dersimonian_laird(studies, arms, efficacy) -> pd.DataFrame:
    """The primary indirect comparisons again with DerSimonian-Laird tau^2 and Wald intervals."""
    primary = primary_comparisons(studies, arms, efficacy)
    reml = indirect_comparisons(primary, PRIMARY_METHOD).assign(analysis="primary: REML, HKSJ")
    dl = indirect_comparisons(primary, DL_METHOD).assign(analysis="DerSimonian-Laird, Wald")
    return pd.concat([reml, dl], ignore_index=True)[["analysis"] + INDIRECT_COLUMNS]


def sensitivity_with_secondary_comparisons(studies, arms, efficacy) -> pd.DataFrame:
    """Tocilizumab versus IL-1 blockade with the comparisons from third-party tables (other end points) added."""
    comparisons = rct_comparisons(studies, arms, efficacy)
    induction = comparisons[comparisons["analysis_set"] != MAINTENANCE]
    return _sensitivity([_class_row("primary analysis", induction[induction["analysis_set"] == PRIMARY], PRIMARY_METHOD),
                         _class_row("with secondary-source comparisons", induction, PRIMARY_METHOD)])


def sensitivity_without_rilonacept(studies, arms, efficacy) -> pd.DataFrame:
    """Tocilizumab versus IL-1 blockade with and without the rilonacept trials (rilonacept is not marketed for
    sJIA in most countries)."""
    primary = primary_comparisons(studies, arms, efficacy)
    return _sensitivity([_class_row("primary analysis", primary, PRIMARY_METHOD),
                         _class_row("excluding rilonacept", primary[primary["drug"] != "rilonacept"], PRIMARY_METHOD)])


def sensitivity_refractory_only(studies, arms, efficacy) -> pd.DataFrame:
    """Tocilizumab versus IL-1 blockade in all primary-analysis trials and in trials whose randomised population is
    refractory by the review's definition (after conventional therapy or another biologic failed)."""
    primary = primary_comparisons(studies, arms, efficacy)
    refractory = primary[primary["treatment_line"].isin(REFRACTORY_LINES)]
    return _sensitivity([_class_row("primary analysis", primary, PRIMARY_METHOD),
                         _class_row("refractory populations only", refractory, PRIMARY_METHOD)])
