"""Behaviour of scripts/analyse.py on small hand-made clean tables.

The tables below carry the columns of the clean tables (scripts/clean.py) that the analysis functions read.
Every expected number is computed by hand from the textbook formula, written out in the comment beside it;
none comes from scripts/synthesis.py. z = 1.959964 (two-sided 95%).

    odds ratio   a = events active, b = n active - a, c = events placebo, d = n placebo - c
                 OR = (a d) / (b c), SE(log OR) = sqrt(1/a + 1/b + 1/c + 1/d) (Woolf)
    risk ratio   RR = (a / n1) / (c / n2), SE(log RR) = sqrt(1/a - 1/n1 + 1/c - 1/n2)
    zero cell    0.5 added to a, b, c, d (each arm total grows by 1)
    Bucher       log OR_AB = log OR_AC - log OR_BC, SE_AB = sqrt(SE_AC^2 + SE_BC^2)
    DL pooling   w_i = 1/v_i, Q = sum w_i (y_i - y_FE)^2, C = sum w - sum w^2 / sum w,
                 tau^2 = max(0, (Q - (k - 1)) / C), w*_i = 1 / (v_i + tau^2), I^2 = (Q - (k - 1)) / Q
    Wilson       centre = (p + z^2/2n) / (1 + z^2/n), half = z / (1 + z^2/n) sqrt(p(1-p)/n + z^2/4n^2)
"""

import math

import numpy as np
import pandas as pd
import pytest

import analyse
import randomised
import synthesis

NAN = np.nan

# Columns of results/clean/*.csv the analysis reads (as pandas reads them back: counts as floats with NaN).
STUDY_COLUMNS = ["study_id", "study_label", "year", "design", "population", "treatment_line", "target", "drugs",
                 "dose", "n_total", "follow_up", "country", "prior_biologic", "population_id", "background_therapy"]
ARM_COLUMNS = ["study_id", "arm_id", "drug", "target", "role", "n"]
EFFICACY_COLUMNS = ["study_id", "arm_id", "outcome", "outcome_as_reported", "timepoint", "events", "denominator",
                    "percent", "value", "spread", "statistic", "spread_type", "unit", "n_evaluated", "p_value",
                    "placebo_comparison", "percent_value", "central_value", "spread_lower", "spread_upper",
                    "timepoint_weeks", "exclusive_set", "source_kind"]


def study(study_id, *, year=2012, design="randomised_controlled_trial", line="after_conventional", target="IL-6",
          drugs="tocilizumab", n_total=NAN):
    return {"study_id": study_id, "study_label": study_id.capitalize(), "year": year, "design": design,
            "population": "children", "treatment_line": line, "target": target, "drugs": drugs, "dose": NAN,
            "n_total": n_total, "follow_up": NAN, "country": NAN, "prior_biologic": NAN, "population_id": study_id,
            "background_therapy": NAN}


def arm(study_id, arm_id, drug, target, role="active", n=NAN):
    return {"study_id": study_id, "arm_id": arm_id, "drug": drug, "target": target, "role": role, "n": n}


def outcome(study_id, arm_id, name, timepoint="week 12", *, events=NAN, denominator=NAN, percent=NAN, value=NAN,
            n_evaluated=NAN, placebo_comparison=NAN, weeks=NAN, source_kind="primary"):
    return {"study_id": study_id, "arm_id": arm_id, "outcome": name, "outcome_as_reported": f"{name} as reported",
            "timepoint": timepoint, "events": events, "denominator": denominator,
            "percent": NAN if pd.isna(percent) else f"{percent:g}", "value": NAN if pd.isna(value) else f"{value:g}",
            "spread": NAN, "statistic": NAN if pd.isna(value) else "median", "spread_type": NAN,
            "unit": "mg/L" if name == "crp" else NAN, "n_evaluated": n_evaluated, "p_value": NAN,
            "placebo_comparison": placebo_comparison, "percent_value": percent, "central_value": value,
            "spread_lower": NAN, "spread_upper": NAN, "timepoint_weeks": weeks, "exclusive_set": NAN,
            "source_kind": source_kind}


def placebo_trial(study_id, drug, target, active, placebo, *, name="investigator_defined_response",
                  timepoint="week 12", kind="primary", line="after_conventional", design="randomised_controlled_trial"):
    """A study with an active and a placebo arm and one marked responder comparison active/placebo."""
    return ([study(study_id, line=line, target=target, drugs=drug, design=design)],
            [arm(study_id, drug, drug, target), arm(study_id, "placebo", "placebo", "none", role="placebo")],
            [outcome(study_id, drug, name, timepoint, events=active[0], denominator=active[1],
                     placebo_comparison=kind),
             outcome(study_id, "placebo", name, timepoint, events=placebo[0], denominator=placebo[1],
                     placebo_comparison=kind)])


def tables(*parts):
    """(studies, arms, efficacy) from any number of (study rows, arm rows, efficacy rows) triples."""
    studies = pd.DataFrame([row for part in parts for row in part[0]], columns=STUDY_COLUMNS)
    arms = pd.DataFrame([row for part in parts for row in part[1]], columns=ARM_COLUMNS)
    efficacy = pd.DataFrame([row for part in parts for row in part[2]], columns=EFFICACY_COLUMNS)
    return studies, arms, efficacy


# The four trials used throughout (counts as in the TENDER, ANAJIS, beta-SPECIFIC 1 and RAPPORT abstracts).
TOCILIZUMAB = placebo_trial("tcz", "tocilizumab", "IL-6", (64, 75), (9, 37), name="adapted_acr_pedi_30")
ANAKINRA = placebo_trial("ana", "anakinra", "IL-1", (8, 12), (1, 12), line="mixed")
CANAKINUMAB = placebo_trial("can", "canakinumab", "IL-1", (36, 43), (4, 41), name="adapted_acr_pedi_30")
RILONACEPT = placebo_trial("ril", "rilonacept", "IL-1", (20, 35), (9, 33), kind="withdrawal", line="not_reported")
RILONACEPT_PARALLEL = placebo_trial("ril", "rilonacept", "IL-1", (20, 35), (9, 33), kind="main", line="not_reported")

# Per-trial log odds ratios and variances, by hand:
#   tocilizumab 64/75 vs 9/37: OR = 64*28/(11*9) = 1792/99 = 18.10101, v = 1/64+1/11+1/9+1/28 = 0.2533595
#   anakinra     8/12 vs 1/12: OR = 8*11/(4*1) = 22,                    v = 1/8+1/4+1/1+1/11  = 1.4659091
#   canakinumab 36/43 vs 4/41: OR = 36*37/(7*4) = 1332/28 = 47.57143,   v = 1/36+1/7+1/4+1/37 = 0.4476619
#   rilonacept  20/35 vs 9/33: OR = 20*24/(15*9) = 480/135 = 3.555556,  v = 1/20+1/15+1/9+1/24 = 0.2694444


def approx(value, rel=1e-5):
    return pytest.approx(value, rel=rel)


# ---------------------------------------------------------------------------------------- rct_response

RCT_RESPONSE_COLUMNS = ["study_id", "drug", "target", "endpoint", "timepoint", "events_active", "n_active",
                        "events_placebo", "n_placebo", "odds_ratio", "or_ci_lower", "or_ci_upper", "risk_ratio",
                        "rr_ci_lower", "rr_ci_upper"]


def test_rct_response_has_the_published_columns_and_one_row_per_marked_comparison():
    studies, arms, efficacy = tables(TOCILIZUMAB, CANAKINUMAB)
    # a second marked comparison of the canakinumab study (another outcome), and unmarked rows that must
    # not become comparisons: an open-label percentage and an unmarked count on the same arms
    extra = pd.DataFrame([
        outcome("can", "canakinumab", "inactive_disease", "not reported", events=31, denominator=50,
                placebo_comparison="withdrawal"),
        outcome("can", "placebo", "inactive_disease", "not reported", events=17, denominator=50,
                placebo_comparison="withdrawal"),
        outcome("tcz", "tocilizumab", "adapted_acr_pedi_70", "week 52", percent=80.0),
        outcome("tcz", "tocilizumab", "acr_pedi_30", "week 52", events=60, denominator=70),
        outcome("tcz", "placebo", "acr_pedi_30", "week 52", events=20, denominator=35),
    ], columns=EFFICACY_COLUMNS)
    table = analyse.rct_response(studies, arms, pd.concat([efficacy, extra], ignore_index=True))
    assert list(table.columns)[:len(RCT_RESPONSE_COLUMNS)] == RCT_RESPONSE_COLUMNS  # the published columns, first
    assert list(table.columns)[len(RCT_RESPONSE_COLUMNS):] == ["analysis_set", "comparison_kind", "source_kind",
                                                               "placebo_response", "denominator_note"]
    assert len(table) == 3
    assert sorted(zip(table["study_id"], table["endpoint"], table["timepoint"])) == [
        ("can", "adapted_acr_pedi_30", "week 12"), ("can", "inactive_disease", "not reported"),
        ("tcz", "adapted_acr_pedi_30", "week 12")]


def test_rct_response_odds_and_risk_ratio_of_a_known_table():
    table = analyse.rct_response(*tables(TOCILIZUMAB))
    row = table.iloc[0]
    assert (row["study_id"], row["drug"], row["target"]) == ("tcz", "tocilizumab", "IL-6")
    assert (row["events_active"], row["n_active"], row["events_placebo"], row["n_placebo"]) == (64, 75, 9, 37)
    # OR = (64 * 28) / (11 * 9) = 18.10101; SE = sqrt(0.2533595) = 0.5033483
    # CI = exp(log 18.10101 -/+ 1.959964 * 0.5033483) = exp(2.895968 -/+ 0.986544) = 6.749195 to 48.54602
    assert row["odds_ratio"] == approx(18.10101)
    assert row["or_ci_lower"] == approx(6.749195)
    assert row["or_ci_upper"] == approx(48.54602)
    # RR = (64/75) / (9/37) = 0.8533333 / 0.2432432 = 3.508148
    # SE = sqrt(1/64 - 1/75 + 1/9 - 1/37) = sqrt(0.08637575) = 0.2938975
    # CI = exp(1.255088 -/+ 0.576029) = 1.972023 to 6.240853
    assert row["risk_ratio"] == approx(3.508148)
    assert row["rr_ci_lower"] == approx(1.972023)
    assert row["rr_ci_upper"] == approx(6.240853)


def test_rct_response_zero_cell_gets_the_half_continuity_correction():
    trial = placebo_trial("zero", "anakinra", "IL-1", (5, 10), (0, 10))
    row = analyse.rct_response(*tables(trial)).iloc[0]
    # cells 5, 5, 0, 10 -> 5.5, 5.5, 0.5, 10.5: OR = 5.5 * 10.5 / (5.5 * 0.5) = 21
    # SE = sqrt(1/5.5 + 1/5.5 + 1/0.5 + 1/10.5) = sqrt(2.458874) = 1.568080
    # CI = exp(3.044522 -/+ 3.073381) = 0.9715548 to 453.9116
    assert row["odds_ratio"] == approx(21.0)
    assert row["or_ci_lower"] == approx(0.9715548)
    assert row["or_ci_upper"] == approx(453.9116)
    # RR = (5.5 / 11) / (0.5 / 11) = 11; SE = sqrt(1/5.5 - 1/11 + 1/0.5 - 1/11) = sqrt(2) = 1.414214
    # CI = exp(2.397895 -/+ 2.771808) = 0.6880372 to 175.8626
    assert row["risk_ratio"] == approx(11.0)
    assert row["rr_ci_lower"] == approx(0.6880372)
    assert row["rr_ci_upper"] == approx(175.8626)
    # the raw counts are reported, not the corrected ones
    assert (row["events_active"], row["n_active"], row["events_placebo"], row["n_placebo"]) == (5, 10, 0, 10)
    assert randomised.rct_comparisons(*tables(trial)).iloc[0]["continuity_corrected"]
    assert not randomised.rct_comparisons(*tables(TOCILIZUMAB)).iloc[0]["continuity_corrected"]


def test_rct_response_refuses_a_comparison_with_two_placebo_arms():
    studies, arms, efficacy = tables(ANAKINRA)
    arms = pd.concat([arms, pd.DataFrame([arm("ana", "placebo_2", "placebo", "none", role="placebo")])],
                     ignore_index=True)
    efficacy = pd.concat([efficacy, pd.DataFrame([
        outcome("ana", "placebo_2", "investigator_defined_response", events=2, denominator=11,
                placebo_comparison="primary")], columns=EFFICACY_COLUMNS)], ignore_index=True)
    with pytest.raises(ValueError, match=r"ana investigator_defined_response week 12: .*exactly one active and "
                                         r"one placebo arm, found 1 and 2"):
        analyse.rct_response(studies, arms, efficacy)


# -------------------------------------------------------------------------------- indirect_comparisons

INDIRECT_COLUMNS = ["comparison", "method", "odds_ratio", "ci_lower", "ci_upper", "k_trials", "note"]


def test_indirect_comparison_of_one_tocilizumab_and_one_anakinra_trial_is_the_bucher_ratio():
    table = randomised.indirect_comparisons(randomised.rct_comparisons(*tables(TOCILIZUMAB, ANAKINRA)))
    assert list(table.columns) == INDIRECT_COLUMNS
    assert list(table["comparison"]) == ["tocilizumab vs anakinra", "tocilizumab vs canakinumab",
                                         "tocilizumab vs rilonacept", "tocilizumab vs IL-1 blockade (all agents)"]
    rows = table.set_index("comparison")
    # an agent without a trial is reported, not dropped
    assert rows.loc["tocilizumab vs canakinumab", "note"] == "not estimable: no canakinumab trial in this analysis"
    for name in ("tocilizumab vs anakinra", "tocilizumab vs IL-1 blockade (all agents)"):  # one IL-1 trial: the class
        row = rows.loc[name]
        # OR = OR_tcz / OR_ana = 18.10101 / 22 = 0.8227732 (log: 2.895968 - 3.091042 = -0.1950747)
        # SE = sqrt(0.2533595 + 1.4659091) = sqrt(1.7192686) = 1.311209
        # CI = exp(-0.1950747 -/+ 1.959964 * 1.311209) = exp(-0.1950747 -/+ 2.569922) = 0.0629763 to 10.74937
        assert row["odds_ratio"] == approx(18.10101 / 22)
        assert row["ci_lower"] == approx(0.0629763)
        assert row["ci_upper"] == approx(10.74937)
        assert row["k_trials"] == 2
        assert row["method"].startswith("Bucher adjusted indirect comparison, common comparator placebo; REML")
        assert "single trial" in row["note"]


def test_indirect_comparison_with_dersimonian_laird_pools_the_il1_trials_for_the_class():
    comparisons = randomised.rct_comparisons(*tables(TOCILIZUMAB, ANAKINRA, CANAKINUMAB, RILONACEPT_PARALLEL))
    table = randomised.indirect_comparisons(comparisons, randomised.DL_METHOD)
    single = table.set_index("comparison")
    # agents: Bucher with one trial each, e.g. canakinumab 18.10101 / 47.57143 = 0.3805018,
    # rilonacept 18.10101 / 3.555556 = 5.090909
    assert single.loc["tocilizumab vs canakinumab", "odds_ratio"] == approx(18.10101 / 47.57143)
    assert single.loc["tocilizumab vs rilonacept", "odds_ratio"] == approx(18.10101 / 3.555556)
    assert list(table["k_trials"]) == [2, 2, 2, 4]
    row = single.loc["tocilizumab vs IL-1 blockade (all agents)"]
    # DerSimonian-Laird over the three IL-1 trials:
    #   y = log OR = 3.091042, 3.862232, 1.268511; w = 1/v = 0.6821705, 2.2338285, 3.7113402 (sum 6.6273392)
    #   y_FE = (0.6821705*3.091042 + 2.2338285*3.862232 + 3.7113402*1.268511) / 6.6273392 = 2.330356
    #   Q = 0.6821705*0.760686^2 + 2.2338285*1.531876^2 + 3.7113402*1.061845^2 = 9.821325 on 2 df
    #   C = 6.6273392 - (0.465357 + 4.989990 + 13.774046) / 6.6273392 = 3.725814
    #   tau^2 = (9.821325 - 2) / 3.725814 = 2.099226; I^2 = 7.821325 / 9.821325 = 79.6%
    #   w* = 1/(v + tau^2) = 0.2804943, 0.3926361, 0.4221778 (sum 1.0953082)
    #   pooled log OR = 2.665011, SE = sqrt(1/1.0953082) = 0.9555025
    # Bucher: log OR = 2.895968 - 2.665011 = 0.2309570, SE = sqrt(0.2533595 + 0.9555025^2) = 1.079974
    #   OR = 1.259804, CI = exp(0.2309570 -/+ 2.116710) = 0.1517145 to 10.46114
    assert row["odds_ratio"] == approx(1.259804)
    assert row["ci_lower"] == approx(0.1517145)
    assert row["ci_upper"] == approx(10.46114)
    assert "3 trials pooled" in row["note"]
    assert "tau\u00b2 2.099" in row["note"] and "I\u00b2 80%" in row["note"]
    assert "Q 9.82 on 2 df" in row["note"]


def test_primary_indirect_comparison_carries_the_hksj_interval_of_the_class_pool():
    comparisons = randomised.rct_comparisons(*tables(TOCILIZUMAB, ANAKINRA, CANAKINUMAB, RILONACEPT_PARALLEL))
    row = randomised.indirect_comparisons(comparisons).set_index("comparison").loc[
        "tocilizumab vs IL-1 blockade (all agents)"]
    il1 = comparisons[comparisons["target"] == "IL-1"]
    pooled = synthesis.random_effects_pool(il1["log_odds_ratio"], il1["se_log_odds_ratio"], method="reml",
                                           hartung_knapp=True)
    # The pooled class estimate enters with the SE that reproduces its t(2) interval, which is wider than its
    # classic SE: the indirect interval must be at least as wide as the pooled class interval itself.
    assert pooled.ci_distribution.startswith("t(df=2)")
    width = math.log(row["ci_upper"]) - math.log(row["ci_lower"])
    assert width > pooled.log_ci_upper - pooled.log_ci_lower
    assert row["odds_ratio"] == approx(18.10101 / pooled.estimate)


def test_indirect_comparisons_without_a_tocilizumab_trial_is_an_empty_table_with_the_columns():
    table = randomised.indirect_comparisons(randomised.rct_comparisons(*tables(ANAKINRA, CANAKINUMAB)))
    assert table.empty and list(table.columns) == INDIRECT_COLUMNS


def test_data_without_any_marked_placebo_comparison_give_empty_tables_not_errors():
    studies, arms, efficacy = tables(TOCILIZUMAB)
    efficacy = efficacy.assign(placebo_comparison=np.nan)
    assert analyse.rct_response(studies, arms, efficacy).empty
    assert randomised.indirect_comparisons(randomised.rct_comparisons(studies, arms, efficacy)).empty


# ------------------------------------------------------------------------------------ analysis sets

def test_primary_analysis_takes_one_comparison_per_trial_and_never_pools_withdrawal():
    studies, arms, efficacy = tables(TOCILIZUMAB, CANAKINUMAB)
    # the canakinumab study also reports a withdrawal comparison and a 'main' comparison on another end point
    extra = pd.DataFrame([
        outcome("can", "canakinumab", "inactive_disease", "not reported", events=31, denominator=50,
                placebo_comparison="withdrawal"),
        outcome("can", "placebo", "inactive_disease", "not reported", events=17, denominator=50,
                placebo_comparison="withdrawal"),
        outcome("can", "canakinumab", "adapted_acr_pedi_70", "week 12", events=20, denominator=43,
                placebo_comparison="main"),
        outcome("can", "placebo", "adapted_acr_pedi_70", "week 12", events=2, denominator=41,
                placebo_comparison="main"),
    ], columns=EFFICACY_COLUMNS)
    table = randomised.rct_comparisons(studies, arms, pd.concat([efficacy, extra], ignore_index=True))
    sets = dict(zip(zip(table["study_id"], table["endpoint"]), table["analysis_set"]))
    assert sets[("can", "adapted_acr_pedi_30")] == "primary analysis"  # the trial's primary end point
    assert sets[("can", "adapted_acr_pedi_70")] == "secondary-source comparison"  # a second induction comparison
    assert sets[("can", "inactive_disease")] == "maintenance of response"
    primary = table[table["analysis_set"] == "primary analysis"]
    assert primary["study_id"].is_unique
    pooled = randomised.pooled_versus_placebo(primary).set_index(["level", "group"])
    assert pooled.loc[("drug", "canakinumab"), "k_trials"] == 1  # the withdrawal trial is not pooled with it


def test_comparison_from_a_third_party_table_enters_only_the_sensitivity_analysis():
    secondary = placebo_trial("lov", "rilonacept", "IL-1", (3, 17), (1, 7), name="adapted_acr_pedi_70", kind="main")
    secondary[2][0]["source_kind"] = secondary[2][1]["source_kind"] = "secondary"
    table = randomised.rct_comparisons(*tables(TOCILIZUMAB, ANAKINRA, secondary))
    assert table.set_index("study_id").loc["lov", "analysis_set"] == "secondary-source comparison"
    sensitivity = randomised.sensitivity_with_secondary_comparisons(*tables(TOCILIZUMAB, ANAKINRA, secondary))
    assert list(sensitivity["k_trials"]) == [2, 3]


def test_withdrawal_denominator_is_the_arm_size_only_when_the_printed_percent_matches():
    trial = placebo_trial("yok", "tocilizumab", "IL-6", (15, np.nan), (3, np.nan), kind="withdrawal")
    trial[1][0]["n"], trial[1][1]["n"] = 20, 23
    trial[2][0].update(percent="75", percent_value=75.0)
    trial[2][1].update(percent="13", percent_value=13.0)
    row = randomised.rct_comparisons(*tables(trial)).iloc[0]
    assert (row["n_active"], row["n_placebo"]) == (20, 23)  # 15/20 = 75%, 3/23 = 13.0%
    assert "randomised arm size 20" in row["denominator_note"]
    trial[2][1].update(percent="31", percent_value=31.0)  # 3/23 is not 31%: no denominator can be assumed
    with pytest.raises(ValueError, match="needs counts and denominators"):
        randomised.rct_comparisons(*tables(trial))


# -------------------------------------------------------------------------------- response_proportions

def cohort(study_id, drug, target, line, rows, design="case_series", year=2010):
    return ([study(study_id, year=year, design=design, line=line, target=target, drugs=drug)],
            [arm(study_id, drug, drug, target)], rows)


def test_response_proportions_wilson_interval_where_counts_exist_and_percent_only_rows_kept_as_reported():
    counted = cohort("pont", "anakinra", "IL-1", "after_conventional", [
        outcome("pont", "anakinra", "investigator_defined_response", "not reported", events=11, denominator=16,
                percent=69.0, n_evaluated=20)])
    percent_only = cohort("alex", "tocilizumab", "IL-6", "after_conventional", [
        outcome("alex", "tocilizumab", "inactive_disease", "month 6", percent=64.0),
        outcome("alex", "tocilizumab", "crp", "month 6", value=1.2),  # a marker, not a response
        outcome("alex", "tocilizumab", "haq", "month 6", events=3, denominator=4)])  # a marker, not a response
    table = analyse.response_proportions(*tables(counted, percent_only)).set_index("study_id")
    assert list(table.index) == ["pont", "alex"]  # IL-1 before IL-6; the marker rows are not response rows
    pont = table.loc["pont"]
    # 11/16: p = 0.6875; Wilson centre = (0.6875 + 3.841459/32) / (1 + 3.841459/16) = 0.6511986,
    # half = 1.959964 / 1.2400912 * sqrt(0.6875*0.3125/16 + 3.841459/1024) = 0.2071550 -> 0.4440436 to 0.8583536
    assert (pont["responders"], pont["n_evaluated"]) == (11, 16)  # the denominator, not the 20 evaluated column
    assert pont["proportion"] == approx(0.6875)
    assert pont["ci_lower"] == approx(0.4440436)
    assert pont["ci_upper"] == approx(0.8583536)
    assert bool(pont["interval_available"]) is True
    alex = table.loc["alex"]
    assert alex["proportion"] == approx(0.64)  # 64% as printed, / 100
    assert math.isnan(alex["ci_lower"]) and math.isnan(alex["ci_upper"])
    assert bool(alex["interval_available"]) is False
    # a percentage without its denominator is never turned back into a count
    assert pd.isna(alex["responders"]) and pd.isna(alex["n_evaluated"])


# ---------------------------------------------------------------------------------- pooled_proportions

def test_pooled_proportions_pool_one_definition_at_a_time():
    # refractory IL-1: two case series reporting inactive disease (k = 2); refractory IL-6: one cohort (k = 1);
    # first-line IL-6: none (k = 0); a response by the study's own definition is never pooled; the tocilizumab
    # placebo-controlled trial is randomised and must not count as a cohort
    pascual = cohort("pasc", "anakinra", "IL-1", "after_conventional", [
        outcome("pasc", "anakinra", "inactive_disease", "not reported", events=7, denominator=9)])
    pontikaki = cohort("pont", "anakinra", "IL-1", "after_biologic", [
        outcome("pont", "anakinra", "inactive_disease", "not reported", events=11, denominator=16),
        outcome("pont", "anakinra", "investigator_defined_response", "not reported", events=11, denominator=16)])
    single = cohort("tczc", "tocilizumab", "IL-6", "after_conventional", [
        outcome("tczc", "tocilizumab", "inactive_disease", "month 6", events=3, denominator=4)],
        design="retrospective_cohort")
    table = analyse.pooled_proportions(*tables(pascual, pontikaki, single, TOCILIZUMAB))
    assert set(table["outcome_family"]) == {"inactive_disease"}  # the study-defined response is not pooled
    rows = table.set_index(["subset", "target"])

    none = rows.loc[("first line", "IL-6")]
    assert none["k_cohorts"] == 0 and none["patients"] == 0
    assert none["note"] == "no cohort reports this outcome with responders and a denominator"
    assert math.isnan(none["proportion"]) and math.isnan(none["ci_lower"])

    one = rows.loc[("refractory", "IL-6")]
    assert (one["k_cohorts"], one["patients"], one["studies"]) == (1, 4, "tczc")
    # 3/4 with its own Wilson interval: centre = (0.75 + 0.4801824) / (1 + 0.9603647) = 0.6275273,
    # half = 1.959964 / 1.9603647 * sqrt(0.1875/4 + 3.841459/64) = 0.3268854 -> 0.3006418 to 0.9544127
    assert one["proportion"] == approx(0.75)
    assert one["ci_lower"] == approx(0.3006418)
    assert one["ci_upper"] == approx(0.9544127)
    assert one["note"].startswith("one cohort")
    assert bool(one["informative"]) is False and "too wide to inform" in one["note"]  # 30% to 95%

    two = rows.loc[("refractory", "IL-1")]
    assert (two["k_cohorts"], two["patients"], two["studies"]) == (2, 25, "pasc;pont")


# -------------------------------------------------------------------------------------- marker_changes

def test_marker_changes_against_the_baseline_row():
    rows = [outcome("desl", "tocilizumab", "crp", "month 6", value=1.2, weeks=26.09),
            outcome("desl", "tocilizumab", "crp", "baseline", value=69.2, weeks=0.0),
            outcome("desl", "tocilizumab", "das_crp", "baseline", value=5.1, weeks=0.0),
            outcome("desl", "tocilizumab", "das_crp", "month 3", value=3.3, weeks=13.04),
            outcome("desl", "tocilizumab", "esr", "month 6", value=12.0, weeks=26.09),  # no baseline reported
            outcome("desl", "tocilizumab", "remission", "month 6", events=3, denominator=8)]  # not a marker
    studies, _, efficacy = tables(cohort("desl", "tocilizumab", "IL-6", "after_conventional", rows,
                                         design="retrospective_cohort"))
    table = analyse.marker_changes(studies, efficacy)
    assert list(zip(table["outcome"], table["timepoint"])) == [
        ("crp", "baseline"), ("crp", "month 6"), ("das_crp", "baseline"), ("das_crp", "month 3"), ("esr", "month 6")]
    by_key = table.set_index(["outcome", "timepoint"])
    # CRP: 1.2 - 69.2 = -68.0; -68.0 / 69.2 * 100 = -98.26590%
    assert by_key.loc[("crp", "month 6"), "baseline_value"] == 69.2
    assert by_key.loc[("crp", "month 6"), "change"] == approx(-68.0)
    assert by_key.loc[("crp", "month 6"), "percent_change"] == approx(-98.26590)
    # DAS-CRP: 3.3 - 5.1 = -1.8; -1.8 / 5.1 * 100 = -35.29412%
    assert by_key.loc[("das_crp", "month 3"), "change"] == approx(-1.8)
    assert by_key.loc[("das_crp", "month 3"), "percent_change"] == approx(-35.29412)
    # the baseline row against itself, and a marker without a baseline row
    assert by_key.loc[("crp", "baseline"), "change"] == 0 and by_key.loc[("crp", "baseline"), "percent_change"] == 0
    assert math.isnan(by_key.loc[("esr", "month 6"), "change"])
    assert math.isnan(by_key.loc[("esr", "month 6"), "percent_change"])


# --------------------------------------------------------------------------------- sensitivity tables

def test_sensitivity_without_rilonacept_drops_its_trial():
    table = analyse.sensitivity_without_rilonacept(*tables(TOCILIZUMAB, ANAKINRA, CANAKINUMAB, RILONACEPT_PARALLEL))
    assert list(table.columns) == ["analysis"] + INDIRECT_COLUMNS
    rows = table.set_index("analysis")
    assert rows.loc["primary analysis", "k_trials"] == 4
    assert rows.loc["excluding rilonacept", "k_trials"] == 3
    # anakinra + canakinumab: w = 0.6821705, 2.2338285 (sum 2.915999); y_FE = 3.681820; Q = 0.3107979 < 1,
    # so tau^2 = 0 (REML as well) and the pooled log OR is the fixed-effect one, classic SE 0.5856071.
    # HKSJ SE = sqrt(Q / ((k - 1) * sum w)) = 0.3264702 is below the classic SE, so the classic SE is kept
    # (IntHout 2014); t(1, 0.975) = 12.70620; half-width 7.440846, i.e. a normal-scale SE of
    # 7.440846 / 1.959964 = 3.796420 carried into Bucher:
    # log OR = 2.895968 - 3.681820 = -0.7858520, SE = sqrt(0.2533595 + 3.796420^2) = 3.829644
    # OR = 0.4557313, CI = exp(-0.7858520 -/+ 7.505965) = 0.000250 to 828.8
    assert rows.loc["excluding rilonacept", "odds_ratio"] == approx(0.4557313)
    assert rows.loc["excluding rilonacept", "ci_lower"] == approx(0.000250, rel=5e-3)
    assert rows.loc["excluding rilonacept", "ci_upper"] == approx(828.8, rel=5e-4)
    assert "2 trials pooled" in rows.loc["excluding rilonacept", "note"]


def test_sensitivity_dersimonian_laird_repeats_every_indirect_comparison_with_dl():
    table = analyse.sensitivity_dersimonian_laird(*tables(TOCILIZUMAB, ANAKINRA, CANAKINUMAB, RILONACEPT_PARALLEL))
    assert list(table["analysis"].unique()) == ["primary: REML, HKSJ", "DerSimonian-Laird, Wald"]
    dl = table[table["analysis"] == "DerSimonian-Laird, Wald"].set_index("comparison")
    assert len(dl) == 4
    assert dl.loc["tocilizumab vs IL-1 blockade (all agents)", "odds_ratio"] == approx(1.259804)  # as by hand above
    assert dl.loc["tocilizumab vs IL-1 blockade (all agents)", "ci_upper"] == approx(10.46114)


@pytest.mark.parametrize("parts, k_trials, missing", [
    # nothing refractory at all: no tocilizumab trial in the subset
    ((placebo_trial("tcz", "tocilizumab", "IL-6", (64, 75), (9, 37), line="first_line_biologic"), ANAKINRA), 0, "tocilizumab"),
    # only the tocilizumab trial is refractory: no IL-1 trial in the subset
    ((TOCILIZUMAB, ANAKINRA, RILONACEPT), 1, "IL-1"),
])
def test_sensitivity_with_an_empty_subset_says_not_estimable(parts, k_trials, missing):
    table = analyse.sensitivity_refractory_only(*tables(*parts))
    rows = table.set_index("analysis")
    assert rows.loc["primary analysis", "note"].startswith(("single trial", "not estimable"))
    row = rows.loc["refractory populations only"]
    assert row["comparison"] == "tocilizumab vs IL-1 blockade (all agents)"
    assert row["k_trials"] == k_trials
    assert row["note"] == f"not estimable: no {missing} trial in this subset"
    assert math.isnan(row["odds_ratio"]) and math.isnan(row["ci_lower"]) and math.isnan(row["ci_upper"])


@pytest.mark.parametrize("published, ours, expected", [
    ((0.12, 0.03, 0.44), (0.196, 0.048, 0.81), "agree"),  # Tarp 2016, rilonacept vs tocilizumab
    ((6.02, 2.24, 21.36), (14.2, 0.42, 474.1), "same direction, different precision"),
    ((0.12, 0.03, 0.44), (0.9, 0.85, 0.95), "same direction, different size"),
    ((0.5, 0.3, 0.8), (2.0, 1.2, 3.0), "opposite direction"),
    ((0.5, 0.3, 0.8), (math.nan, math.nan, math.nan), "not estimable here"),
])
def test_agreement_with_a_published_estimate_is_named_by_a_stated_rule(published, ours, expected):
    assert analyse.agreement(*published, *ours) == expected


def test_switching_evidence_lists_every_study_after_a_failed_biologic_even_without_results():
    switch = cohort("qiu", "canakinumab", "IL-1", "after_biologic", [
        outcome("qiu", "canakinumab", "glucocorticoid_discontinued", "week 24", events=4)])
    switch[0][0]["prior_biologic"] = "IL-6"
    silent = cohort("alx", "canakinumab", "IL-1", "after_biologic", [])
    silent[0][0]["prior_biologic"] = "IL-6"
    after_tnf = cohort("pont", "anakinra", "IL-1", "after_biologic", [])
    after_tnf[0][0]["prior_biologic"] = "TNF"
    partly = cohort("des", "tocilizumab", "IL-6", "mixed", [])
    partly[0][0]["prior_biologic"] = "IL-1;TNF"  # 7 of 8 had failed a biologic, one of them anakinra
    table = analyse.switching_evidence(*tables(switch, silent, after_tnf, partly, TOCILIZUMAB)).set_index("study_id")
    assert sorted(table.index) == ["alx", "des", "pont", "qiu"]  # the tocilizumab trial is not after a biologic
    assert table.loc["des", "class_switch"] == "in part"
    assert table.loc["qiu", "class_switch"] == table.loc["alx", "class_switch"] == "yes"
    assert table.loc["pont", "class_switch"] == "no"  # anakinra after TNF blockade is not a switch between IL-6 and IL-1
    assert table.loc["alx", "outcome_as_reported"] == "no efficacy result retrieved"
