"""Analysis tables computed from the clean tables: one pure function per table.

Every function takes clean tables (``pandas.DataFrame``) and returns one analysis table; the Snakemake
entry point at the bottom only reads inputs and writes the output. Proportions are fractions (0-1) with
95% intervals; continuous markers keep the unit of the clean table (CRP in mg/L).
"""


import inspect
from pathlib import Path

import numpy as np
import pandas as pd

import certainty
import synthesis
from conventions import EVIDENCE_SYNTHESES, REFRACTORY_LINES, UNINFORMATIVE_WIDTH
from vocabulary import label
from populations import one_report_per_population
from randomised import (PRIMARY, STUDY_COLUMNS, indirect_comparisons, indirect_table, interval_se,
                        maintenance_of_response, maintenance_rows, pool, pooled_versus_placebo, primary_comparisons,
                        rct_comparisons, rct_response, sensitivity_dersimonian_laird, sensitivity_refractory_only, sensitivity_with_secondary_comparisons,
                        sensitivity_without_rilonacept, transitivity, versus_placebo_table)

# Disease-status outcomes in the order of the Wallace hierarchy: each is "inactive disease or better".
INACTIVE_OR_BETTER = ["inactive_disease", "inactive_disease_off_glucocorticoids", "inactive_disease_off_medication",
                      "remission_on_medication", "remission_off_medication"]
RESPONSE_OUTCOMES = [
    "adapted_acr_pedi_30", "adapted_acr_pedi_50", "adapted_acr_pedi_70", "adapted_acr_pedi_90",
    "adapted_acr_pedi_100", "acr_pedi_30", "acr_pedi_50", "acr_pedi_70", "acr_pedi_90", "acr_pedi_100",
    *INACTIVE_OR_BETTER, "remission_undefined", "minimal_disease_activity", "jadas_le_1",
    "jadas_remission_on_medication", "jadas71_zero", "no_active_joints", "complete_response",
    "investigator_defined_response",
]
MARKER_OUTCOMES = ["das_crp", "crp", "esr", "active_joint_count", "haq", "larsen_score"]
GLUCOCORTICOID_OUTCOMES = ["glucocorticoid_discontinued", "glucocorticoid_tapered", "glucocorticoid_tapered_or_discontinued"]


OTHER_CLASS = {"IL-6": "IL-1", "IL-1": "IL-6"}  # a switch between classes goes from one to the other


def class_switch(treatment_line: str, target: str, prior_biologic) -> bool:
    """Whether a study is of one class after failure of the other: IL-1 blockade after an IL-6 blocker failed,
    or IL-6 blockade after an IL-1 blocker failed (``prior_biologic`` lists the failed classes, ';'-separated)."""
    other = OTHER_CLASS.get(target)
    failed = str(prior_biologic).split(";") if isinstance(prior_biologic, str) else []
    return treatment_line == "after_biologic" and other in failed


def study_characteristics(studies: pd.DataFrame, arms: pd.DataFrame) -> pd.DataFrame:
    """One row per included study: design, population, line of therapy, drugs, dose, n, follow-up, arms,
    the failed biologic class, whether it studies a switch between classes, and its population."""
    arm_counts = arms.groupby("study_id").size().rename("n_arms").reset_index()
    table = studies.merge(arm_counts, on="study_id", how="left")
    table["n_arms"] = table["n_arms"].fillna(0).astype(int)
    table["class_switch"] = [class_switch(*row) for row in
                             zip(table["treatment_line"], table["target"], table["prior_biologic"])]
    columns = STUDY_COLUMNS + ["target", "drugs", "dose", "n_total", "follow_up", "country", "n_arms",
                               "prior_biologic", "class_switch", "population_id"]
    return table[columns].sort_values(["year", "study_id"]).reset_index(drop=True)


def response_proportions(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Per-arm response proportions for every response outcome, with Wilson 95% intervals where counts exist.

    A row with responders and patients evaluated gets its proportion and Wilson interval; a row that reports
    only a percentage keeps that percentage (``proportion`` = percent / 100) with no interval and
    ``interval_available`` False: a percentage without its denominator is never turned back into a count.
    """
    rows = efficacy[efficacy["outcome"].isin(RESPONSE_OUTCOMES)
                    & ((efficacy["events"].notna() & efficacy["denominator"].notna()) | efficacy["percent_value"].notna())]
    table = rows.merge(arms[["study_id", "arm_id", "drug", "target", "role"]], on=["study_id", "arm_id"])
    table = table.merge(studies[STUDY_COLUMNS], on="study_id")
    table = table.drop(columns="n_evaluated").rename(columns={"events": "responders", "denominator": "n_evaluated"})
    table["interval_available"] = table["responders"].notna() & table["n_evaluated"].notna()
    intervals = [synthesis.proportion_interval(int(r), int(n)) if ok else None
                 for r, n, ok in zip(table["responders"].fillna(0), table["n_evaluated"].fillna(1),
                                     table["interval_available"])]
    table["proportion"] = [i.proportion if i else p / 100 for i, p in zip(intervals, table["percent_value"])]
    table["ci_lower"] = [i.ci_lower if i else np.nan for i in intervals]
    table["ci_upper"] = [i.ci_upper if i else np.nan for i in intervals]
    columns = STUDY_COLUMNS + ["arm_id", "drug", "target", "role", "outcome", "outcome_as_reported", "timepoint",
                               "responders", "n_evaluated", "percent", "proportion", "ci_lower", "ci_upper",
                               "interval_available"]
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


NON_RANDOMISED = ["open_label_extension", "single_arm_trial", "prospective_cohort", "retrospective_cohort", "registry",
                  "post_marketing_surveillance", "case_series", "case_report"]
# For "response (study definition)", one row per cohort arm: the first outcome of this list that it reports.
SAFETY_EVENTS = ["macrophage_activation_syndrome", "serious_infection", "serious_adverse_event"]
def inactive_or_better(efficacy: pd.DataFrame) -> pd.DataFrame:
    """Efficacy rows with "inactive disease or better" added up from mutually exclusive categories.

    A source that classifies the same patients into exclusive categories (``exclusive_set``; e.g. active
    disease 6/24, inactive disease 5/24, remission 13/24) reports as "inactive disease" only the part of those
    with inactive disease or better that is not in remission; read alone, that category under-states the
    outcome. Its ``inactive_disease`` row is replaced by the sum of the categories at or above inactive disease
    (18/24), coded ``inactive_disease``; every other row, including the other categories, is kept.
    """
    columns = list(efficacy.columns)
    sets = efficacy[efficacy["exclusive_set"].notna() & efficacy["events"].notna() & efficacy["denominator"].notna()]
    derived, replaced = [], []
    for _, group in sets.groupby(["study_id", "arm_id", "timepoint", "exclusive_set"], sort=True):
        better = group[group["outcome"].isin(INACTIVE_OR_BETTER)]
        if better.empty or group["denominator"].nunique() != 1:
            continue
        row = better.iloc[0].copy()
        row["outcome"] = "inactive_disease"
        row["outcome_as_reported"] = "inactive disease or better: " + " + ".join(better["outcome_as_reported"])
        row["events"] = int(better["events"].sum())
        row["percent"], row["percent_value"] = np.nan, np.nan
        derived.append(row)
        replaced += list(group.index[group["outcome"] == "inactive_disease"])
    kept = efficacy.drop(index=replaced)
    return pd.concat([kept, pd.DataFrame(derived, columns=columns)], ignore_index=True) if derived else kept


def _cohort_arms(studies, arms, efficacy) -> pd.DataFrame:
    rows = inactive_or_better(efficacy)
    rows = rows[rows["events"].notna() & rows["denominator"].notna()]
    rows = rows.merge(arms[["study_id", "arm_id", "drug", "target", "role"]], on=["study_id", "arm_id"])
    rows = rows.merge(studies[STUDY_COLUMNS + ["population_id"]], on="study_id")
    return rows[rows["design"].isin(NON_RANDOMISED) & rows["target"].isin(["IL-6", "IL-1"])]


# Outcomes with one definition across studies, so that cohorts reporting them can be pooled. Responses "by the
# study's own definition" (investigator-defined, complete response, undefined remission) are never pooled.
POOLABLE_OUTCOMES = ["inactive_disease", "inactive_disease_off_glucocorticoids", "inactive_disease_off_medication",
                     "remission_on_medication", "adapted_acr_pedi_30", "adapted_acr_pedi_50", "adapted_acr_pedi_70",
                     "adapted_acr_pedi_90", "acr_pedi_30", "acr_pedi_50", "acr_pedi_70", "acr_pedi_90", "jadas_le_1"]


def pooled_proportions(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Random-effects pooled proportions (logit scale, Hartung-Knapp) by target in non-randomised cohorts, one
    outcome definition at a time (``POOLABLE_OUTCOMES``; "inactive disease or better" added up from exclusive
    categories counts as inactive disease).

    Each cohort arm contributes its latest timepoint of that outcome ("final follow-up" and "not reported" count
    as later than any dated timepoint) and each population once (the report with the most patients). Subsets:
    refractory cohorts, first-line cohorts, and all cohorts. Nothing is pooled from fewer than two cohorts; the
    prediction interval needs three; ``informative`` is False when the 95% interval is wider than
    ``UNINFORMATIVE_WIDTH``, and the ``note`` says so. Rows only for outcomes some cohort reports.
    """
    cohorts = _cohort_arms(studies, arms, efficacy).copy()
    cohorts["weeks"] = cohorts["timepoint_weeks"].fillna(np.inf)  # undated = latest
    subsets = {"refractory": list(REFRACTORY_LINES), "first line": ["first_line_biologic"],
               "all cohorts": [*REFRACTORY_LINES, "first_line_biologic", "mixed", "not_reported"]}
    rows = []
    for outcome in POOLABLE_OUTCOMES:
        table = cohorts[cohorts["outcome"] == outcome].sort_values(["weeks"], kind="stable")
        table = table.groupby(["study_id", "arm_id"]).tail(1)
        if table.empty:
            continue
        for subset, lines in subsets.items():
            for target in ("IL-6", "IL-1"):
                part = table[table["treatment_line"].isin(lines) & (table["target"] == target)]
                part = one_report_per_population(part, "denominator")  # each population once per pool
                row = {"outcome_family": outcome, "subset": subset, "target": target, "k_cohorts": len(part),
                       "patients": int(part["denominator"].sum()), "studies": ";".join(sorted(set(part["study_id"])))}
                notes = []
                if len(part) >= 2:
                    pooled = synthesis.pooled_proportion_logit(part["events"].astype(int).tolist(),
                                                               part["denominator"].astype(int).tolist(),
                                                               method="dl", hartung_knapp=True)
                    row.update(proportion=pooled.proportion, ci_lower=pooled.ci_lower, ci_upper=pooled.ci_upper,
                               pi_lower=pooled.pi_lower, pi_upper=pooled.pi_upper, tau2=pooled.tau2,
                               i2_percent=pooled.i2_percent)
                    if len(part) < 3:
                        notes.append("prediction interval needs at least 3 cohorts")
                elif len(part) == 1:
                    single = synthesis.proportion_interval(int(part["events"].iloc[0]), int(part["denominator"].iloc[0]))
                    row.update(proportion=single.proportion, ci_lower=single.ci_lower, ci_upper=single.ci_upper)
                    notes.append("one cohort: its own proportion with Wilson interval, nothing pooled")
                else:
                    notes.append("no cohort reports this outcome with responders and a denominator")
                width = row.get("ci_upper", np.nan) - row.get("ci_lower", np.nan)
                row["informative"] = bool(width <= UNINFORMATIVE_WIDTH)
                if width > UNINFORMATIVE_WIDTH:
                    notes.append("interval too wide to inform: not presented as a finding")
                row["note"] = "; ".join(notes)
                rows.append(row)
    return pd.DataFrame(rows, columns=["outcome_family", "subset", "target", "k_cohorts", "patients", "studies",
                                       "note", "proportion", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "tau2",
                                       "i2_percent", "informative"])


def switching_evidence(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Every study of a biologic started after another biologic failed (the whole cohort, or part of a mixed
    cohort), with what it reports: which class failed, whether it is a switch between IL-6 and IL-1 blockade
    (yes, in part, no), and each efficacy result as reported (a study without one still has its row)."""
    after = studies[(studies["treatment_line"] == "after_biologic")
                    | ((studies["treatment_line"] == "mixed") & studies["prior_biologic"].notna())]
    rows = []
    for study in after.itertuples():
        failed = str(study.prior_biologic) if isinstance(study.prior_biologic, str) else ""
        other = OTHER_CLASS.get(study.target)
        switch = "no" if other not in failed.split(";") else "yes" if study.treatment_line == "after_biologic" else "in part"
        base = {"study_id": study.study_id, "study_label": study.study_label, "year": study.year,
                "target": study.target, "drugs": study.drugs, "line": study.treatment_line, "failed_class": failed,
                "class_switch": switch, "n_total": study.n_total}
        results = efficacy[efficacy["study_id"] == study.study_id]
        if results.empty:
            rows.append({**base, "outcome": "", "outcome_as_reported": "no efficacy result retrieved"})
        for r in results.itertuples():
            rows.append({**base, "outcome": r.outcome, "outcome_as_reported": r.outcome_as_reported,
                         "timepoint": r.timepoint, "events": r.events, "denominator": r.denominator,
                         "percent": r.percent, "value": r.value, "unit": r.unit, "p_value": r.p_value})
    return pd.DataFrame(rows, columns=["study_id", "study_label", "year", "target", "drugs", "line", "failed_class",
                                       "class_switch", "n_total", "outcome", "outcome_as_reported", "timepoint",
                                       "events", "denominator", "percent", "value", "unit", "p_value"])


def glucocorticoid_sparing(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame) -> pd.DataFrame:
    """Glucocorticoid discontinuation or tapering as reported, with Wilson intervals where counts are given."""
    rows = efficacy[efficacy["outcome"].isin(GLUCOCORTICOID_OUTCOMES)]
    table = rows.merge(arms[["study_id", "arm_id", "drug", "target"]], on=["study_id", "arm_id"]).merge(
        studies[STUDY_COLUMNS], on="study_id")
    has_counts = table["events"].notna() & table["denominator"].notna()
    intervals = [synthesis.proportion_interval(int(e), int(n)) if ok else None
                 for e, n, ok in zip(table["events"].fillna(0), table["denominator"].fillna(1), has_counts)]
    table["proportion"] = [i.proportion if i else p / 100 for i, p in zip(intervals, table["percent_value"])]
    table["ci_lower"] = [i.ci_lower if i else np.nan for i in intervals]
    table["ci_upper"] = [i.ci_upper if i else np.nan for i in intervals]
    columns = STUDY_COLUMNS + ["arm_id", "drug", "target", "outcome", "outcome_as_reported", "timepoint", "events",
                               "denominator", "percent", "proportion", "ci_lower", "ci_upper"]
    return table[columns].sort_values(["target", "year", "study_id"]).reset_index(drop=True)


def safety_rates(studies: pd.DataFrame, arms: pd.DataFrame, safety: pd.DataFrame) -> pd.DataFrame:
    """MAS, serious infections and serious adverse events per 100 patient-years as the sources report them."""
    rows = safety[safety["event"].isin(SAFETY_EVENTS) & safety["rate_per_100py_value"].notna()]
    table = rows.merge(arms[["study_id", "arm_id", "drug", "target"]], on=["study_id", "arm_id"]).merge(
        studies[STUDY_COLUMNS], on="study_id")
    table = table.drop(columns=["rate_per_100py", "rate_ci_lower", "rate_ci_upper"]).rename(columns={
        "rate_per_100py_value": "rate_per_100py_reported",
        "rate_ci_lower_value": "rate_ci_lower", "rate_ci_upper_value": "rate_ci_upper"})
    columns = STUDY_COLUMNS + ["arm_id", "drug", "target", "event", "event_as_reported", "count", "count_unit",
                               "rate_per_100py_reported", "rate_ci_lower", "rate_ci_upper"]
    return table[columns].sort_values(["event", "target", "drug", "study_id"]).reset_index(drop=True)


def safety_events(studies: pd.DataFrame, arms: pd.DataFrame, safety: pd.DataFrame) -> pd.DataFrame:
    """Every MAS, serious infection, serious adverse event and death count as reported, by study arm."""
    rows = safety[safety["event"].isin(SAFETY_EVENTS + ["death"])]
    table = rows.merge(arms[["study_id", "arm_id", "drug", "target"]], on=["study_id", "arm_id"]).merge(
        studies[STUDY_COLUMNS], on="study_id")
    columns = STUDY_COLUMNS + ["arm_id", "drug", "target", "event", "event_as_reported", "timepoint", "count",
                               "count_unit", "denominator", "percent", "rate_per_100py"]
    return table[columns].sort_values(["event", "target", "study_id"]).reset_index(drop=True)


CLASS_NAMES = {"IL-1 inhibitors": "IL-1", "IL-6 inhibitors": "IL-6", "IL-6Ri": "IL-6"}


def published_comparison(studies, arms, efficacy, meta_estimates) -> pd.DataFrame:
    """Published meta-analytic odds ratios beside this review's estimate of the same contrast.

    This review's estimate: a drug (or class) versus placebo is the random-effects pool of its trials; a
    drug versus another drug is the Bucher indirect comparison through placebo. The outcome definitions of
    the published analyses (e.g. ACR50) can differ from the trials' responder end points used here.
    """
    comparisons = primary_comparisons(studies, arms, efficacy)
    published = meta_estimates[meta_estimates["measure"] == "odds_ratio"].merge(
        studies[["study_id", "study_label"]], on="study_id")

    def subset(name: str) -> pd.DataFrame:
        name = CLASS_NAMES.get(name, name)
        return comparisons[(comparisons["drug"] == name) | (comparisons["target"] == name)]

    rows = []
    for record in published.itertuples():
        ours = {"estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "k": 0}
        treated, comparator = subset(record.treatment), record.comparator
        if not treated.empty and comparator == "placebo":
            pooled = pool(treated)
            ours = {"estimate": pooled.estimate, "ci_lower": pooled.ci_lower, "ci_upper": pooled.ci_upper, "k": pooled.k}
        elif not treated.empty and isinstance(comparator, str) and not subset(comparator).empty:
            a, b = pool(treated), pool(subset(comparator))
            indirect = synthesis.bucher_indirect(a.log_estimate, interval_se(a), b.log_estimate, interval_se(b))
            ours = {"estimate": indirect.estimate, "ci_lower": indirect.ci_lower, "ci_upper": indirect.ci_upper,
                    "k": a.k + b.k}
        rows.append({"comparison": record.comparison, "published_in": record.study_id, "published_label": record.study_label,
                     "outcome_as_reported": record.outcome_as_reported, "published_or": record.estimate_value,
                     "published_ci_lower": record.ci_lower_value, "published_ci_upper": record.ci_upper_value,
                     "published_interval": record.interval, "this_review_or": ours["estimate"],
                     "this_review_ci_lower": ours["ci_lower"], "this_review_ci_upper": ours["ci_upper"],
                     "this_review_k_trials": ours["k"],
                     "agreement": agreement(record.estimate_value, record.ci_lower_value, record.ci_upper_value,
                                            ours["estimate"], ours["ci_lower"], ours["ci_upper"])})
    return pd.DataFrame(rows)


def _verdict(lower: float, upper: float) -> str:
    return "above 1" if lower > 1 else "below 1" if upper < 1 else "includes 1"


def agreement(published: float, published_lower: float, published_upper: float,
              ours: float, lower: float, upper: float) -> str:
    """How this review's estimate of a contrast relates to a published one (both ratios with 95% intervals).

    'agree': both intervals lead to the same conclusion (above 1, below 1, or including 1) and each point
    estimate lies inside the other's interval; 'same direction, different precision': the point estimates lie
    on the same side of 1 but one interval includes 1; 'same direction, different size': same side and same
    conclusion, but a point estimate outside the other's interval; 'opposite direction' otherwise;
    'not estimable here' when this review has no estimate.
    """
    if pd.isna(ours):
        return "not estimable here"
    if (published > 1) != (ours > 1):
        return "opposite direction"
    if _verdict(published_lower, published_upper) != _verdict(lower, upper):
        return "same direction, different precision"
    if lower <= published <= upper and published_lower <= ours <= published_upper:
        return "agree"
    return "same direction, different size"


def source_flow(inclusion_log: pd.DataFrame, studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame,
                awaiting_classification: pd.DataFrame) -> pd.DataFrame:
    """The PRISMA 2020 flow of the source collection, one row per box: texts in the collection, awaiting
    classification, excluded (one row per reason), texts merged into their study (fuller texts, secondary
    tables), included studies, reports of a population already counted, and studies in the quantitative
    synthesis (a randomised comparison or a pooled proportion) or in the narrative synthesis only.

    The review synthesises a curated collection of source texts, not a new database search: the first box is
    the collection, and there is no screening of search records.
    """
    excluded = inclusion_log[inclusion_log["decision"] == "excluded"]
    included_texts = inclusion_log[inclusion_log["decision"] == "included"]
    primary = studies[~studies["design"].isin(EVIDENCE_SYNTHESES)]
    trials = set(efficacy.loc[efficacy["placebo_comparison"].notna(), "study_id"])
    pooled = pooled_proportions(studies, arms, efficacy)
    pooled_studies = {s for row in pooled[pooled["k_cohorts"] >= 2]["studies"] for s in str(row).split(";")}
    quantitative = sorted((trials | pooled_studies) & set(studies["study_id"]))
    rows = [
        ("collection", "source texts in the collection", len(inclusion_log) + len(awaiting_classification), ""),
        ("awaiting", "awaiting classification (not yet in the inclusion log)", len(awaiting_classification),
         ";".join(awaiting_classification["source_file"].astype(str))),
        *[("excluded", f"excluded: {label(category)}", int(n), "") for category, n in
          excluded["exclusion_category"].value_counts().sort_index().items()],
        ("merged", "included texts that add to a study already counted (fuller texts, third-party tables)",
         len(included_texts) - included_texts["study_id"].nunique(), ""),
        ("studies", "studies included", len(studies), ""),
        ("syntheses", "of which evidence syntheses (published estimates only)",
         int(studies["design"].isin(EVIDENCE_SYNTHESES).sum()), ""),
        ("shared", "primary reports of a population already counted", len(primary) - primary["population_id"].nunique(), ""),
        ("quantitative", "studies in a quantitative synthesis (randomised comparison or pooled proportion)",
         len(quantitative), ";".join(quantitative)),
        ("narrative", "primary studies in the narrative synthesis only",
         len(set(primary["study_id"]) - set(quantitative)), ""),
    ]
    return pd.DataFrame(rows, columns=["box", "label", "count", "studies"])


def risk_of_bias(studies: pd.DataFrame, risk_of_bias: pd.DataFrame) -> pd.DataFrame:
    """Every risk-of-bias judgement with the study's label, year, design and number of patients (for the
    traffic-light and the weighted summary figures)."""
    table = risk_of_bias.merge(studies[["study_id", "study_label", "year", "design", "n_total"]], on="study_id")
    return table[["study_id", "study_label", "year", "design", "n_total", "tool", "domain", "judgement",
                  "support_phrase", "support_file", "rationale"]].sort_values(["tool", "year", "study_id"],
                                                                             kind="stable").reset_index(drop=True)


def certainty_of_evidence(studies: pd.DataFrame, arms: pd.DataFrame, efficacy: pd.DataFrame, safety: pd.DataFrame,
                          risk_of_bias: pd.DataFrame) -> pd.DataFrame:
    """The summary-of-findings table with GRADE certainty per outcome (``certainty.summary_of_findings``), plus
    the observational outcomes that are reported but not pooled: MAS, serious infections and glucocorticoid
    discontinuation, from primary studies only."""
    comparisons = rct_comparisons(studies, arms, efficacy)  # once: every trial table below derives from it
    primary = comparisons[comparisons["analysis_set"] == PRIMARY]
    rows = certainty.summary_of_findings(
        studies, primary, pooled_versus_placebo(primary), indirect_comparisons(primary), maintenance_rows(comparisons),
        pooled_proportions(studies, arms, efficacy), risk_of_bias)
    primary_studies = set(studies.loc[~studies["design"].isin(EVIDENCE_SYNTHESES), "study_id"])
    extra = [certainty.observational_outcome(name, table[table["study_id"].isin(primary_studies)], studies,
                                             risk_of_bias)
             for name, table in (
                 ("Macrophage activation syndrome", safety[safety["event"] == "macrophage_activation_syndrome"]),
                 ("Serious infections", safety[safety["event"] == "serious_infection"]),
                 ("Glucocorticoids discontinued", efficacy[efficacy["outcome"] == "glucocorticoid_discontinued"]))
             if not table[table["study_id"].isin(primary_studies)].empty]
    return pd.concat([rows, pd.DataFrame(extra, columns=certainty.SOF_COLUMNS)], ignore_index=True)


TABLE_FUNCTIONS = {
    "study_characteristics": study_characteristics,
    "response_proportions": response_proportions,
    "marker_changes": marker_changes,
    "rct_response": rct_response,
    "indirect_comparisons": indirect_table,
    "pooled_versus_placebo": versus_placebo_table,
    "maintenance_of_response": maintenance_of_response,
    "transitivity": transitivity,
    "pooled_proportions": pooled_proportions,
    "switching_evidence": switching_evidence,
    "risk_of_bias": risk_of_bias,
    "source_flow": source_flow,
    "certainty_of_evidence": certainty_of_evidence,
    "glucocorticoid_sparing": glucocorticoid_sparing,
    "safety_rates": safety_rates,
    "safety_events": safety_events,
    "published_comparison": published_comparison,
    "sensitivity_dersimonian_laird": sensitivity_dersimonian_laird,
    "sensitivity_with_secondary_comparisons": sensitivity_with_secondary_comparisons,
    "sensitivity_without_rilonacept": sensitivity_without_rilonacept,
    "sensitivity_refractory_only": sensitivity_refractory_only,
}


def analysis_table(name: str, clean: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Analysis table ``name`` from the clean tables, passed by name: each function's parameters name the
    clean tables it reads (``studies``, ``arms``, ``efficacy``, ``safety``, ``meta_estimates``)."""
    function = TABLE_FUNCTIONS[name]
    return function(*(clean[parameter] for parameter in inspect.signature(function).parameters))


def run_rule(smk) -> None:
    """Snakemake entry point: compute one family's analysis tables from the clean tables it reads."""
    from pipeline_io import read_table, rule_logger, write_table

    log = rule_logger(smk.log[0], smk.rule)
    clean = {Path(path).stem: read_table(path) for path in [*smk.input.clean, *smk.input.awaiting]}
    for path in smk.output:
        table = analysis_table(Path(path).stem, clean)
        write_table(table, path)
        log.info("%s: %d rows", path, len(table))


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
