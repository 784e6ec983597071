"""Tests for scripts/synthesis.py against independently computed references.

Every expected number below comes from outside this code base: R metafor /
R meta output (as printed in those packages' own test suites or saved by
statsmodels' test suite), published worked examples, or a hand calculation
written out step by step in the comment.  Run with

    cd /work/main && PYTHONPATH=scripts python -m pytest -q tests/test_synthesis.py

Tolerances: references printed to 4 decimals are checked to half a unit in
the 4th decimal (abs=5e-5), full-precision R output to rtol=1e-6 or tighter.
Both are far tighter than the gap between competing methods (e.g. Wilson vs
Clopper-Pearson, z vs Hartung-Knapp, t(k-1) vs t(k-2) prediction intervals,
DL vs PM), so a wrong method fails.
"""

import math

import pytest

import synthesis as syn

# ---------------------------------------------------------------------------
# Reference data sets
# ---------------------------------------------------------------------------

# BCG vaccine trials, Colditz et al. 1994 (metafor / metadat `dat.bcg`,
# identical to `dat.colditz1994`); rows copied from
# github.com/wviechtb/metadat data-raw/dat.colditz1994.txt.
# Columns: tpos, tneg (vaccinated: TB / no TB), cpos, cneg (control).
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]

# CLASP example of DerSimonian & Kacker 2007 (Contemp Clin Trials 28:105),
# as coded in metafor's tests/testthat/test_analysis_example_dersimonian2007.r
# (github.com/wviechtb/metafor): events ai/ci out of n1i/n2i.
CLASP_N_ACTIVE = [156, 303, 565, 1570, 103, 4659]
CLASP_N_CONTROL = [74, 303, 477, 1565, 105, 4650]
CLASP_EVENTS_ACTIVE = [5, 5, 12, 69, 9, 313]
CLASP_EVENTS_CONTROL = [8, 17, 9, 94, 11, 352]

# Kacker 2004 example (generic estimates y with variances v), with R metafor
# output saved in statsmodels: statsmodels/stats/tests/results/results_meta.py
# (github.com/statsmodels/statsmodels), objects exk1_metafor, exk1_dl,
# exk1_dl_hksj.
KACKER_Y = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]
KACKER_V = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]
KACKER_SE = [math.sqrt(v) for v in KACKER_V]

# 17 two-arm trials (a variant of metafor's dat.fine1993) analysed with
# R meta: metabin(event.e, n.e, event.c, n.c, sm="OR", method="Inverse",
# method.tau="DL", hakn=TRUE, Q.Cochrane=FALSE); counts and output saved in
# statsmodels/stats/tests/results/results_meta.py, object results_or_dl_hk.
META_EVENTS_E = [18, 22, 21, 14, 42, 80, 13, 37, 23, 19, 106, 170, 34, 18, 13, 12, 42]
META_N_E = [19, 34, 72, 22, 70, 183, 26, 61, 36, 45, 246, 386, 59, 45, 14, 26, 74]
META_EVENTS_C = [12, 12, 15, 5, 13, 33, 18, 30, 12, 14, 76, 46, 17, 3, 14, 10, 40]
META_N_C = [22, 35, 68, 20, 32, 94, 50, 55, 25, 35, 208, 141, 32, 15, 18, 19, 75]


def _log_effects(function, rows):
    """(log estimates, SEs) of `function` (odds_ratio / risk_ratio) for BCG-style rows."""
    effects = [function(tpos, tpos + tneg, cpos, cpos + cneg) for tpos, tneg, cpos, cneg in rows]
    return [e.log_estimate for e in effects], [e.se_log for e in effects]


def _counts_effects(function, events_active, n_active, events_control, n_control):
    effects = [function(*row) for row in zip(events_active, n_active, events_control, n_control)]
    return [e.log_estimate for e in effects], [e.se_log for e in effects]


# ---------------------------------------------------------------------------
# 1. proportion_interval
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "responders, n_evaluated, lower, upper",
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(responders, n_evaluated, lower, upper):
    # Newcombe RG. Two-sided confidence intervals for the single proportion:
    # comparison of seven methods. Stat Med 1998;17:857-872, Table II,
    # method 3 (score interval without continuity correction).
    result = syn.proportion_interval(responders, n_evaluated)
    assert result.method == "wilson"
    assert result.proportion == pytest.approx(responders / n_evaluated, abs=1e-12)
    assert result.ci_lower == pytest.approx(lower, abs=5e-5)
    assert result.ci_upper == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize(
    "responders, n_evaluated, lower, upper",
    [(15, 148, 0.0578, 0.1617), (0, 20, 0.0, 0.1684), (1, 29, 0.0009, 0.1776)],
)
def test_exact_interval_matches_newcombe_1998_clopper_pearson(responders, n_evaluated, lower, upper):
    # Newcombe 1998 Table II, method 5 (Clopper-Pearson "exact"), as checked
    # in R package ratesci, tests/testthat/test3.R ("Single proportion,
    # Newcombe examples", exactci(..., midp=FALSE)), github.com/PeteLaud/ratesci.
    result = syn.proportion_interval(responders, n_evaluated, method="exact")
    assert result.method == "exact"
    assert result.ci_lower == pytest.approx(lower, abs=5e-5)
    assert result.ci_upper == pytest.approx(upper, abs=5e-5)


def test_proportion_interval_unpacks_as_three_floats():
    proportion, lower, upper = syn.proportion_interval(81, 263)
    assert (proportion, lower, upper) == pytest.approx((81 / 263, 0.2553, 0.3662), abs=5e-5)


def test_all_responders_gives_upper_limit_one():
    # x = n: both the score and the exact upper limit are exactly 1.
    assert syn.proportion_interval(20, 20).ci_upper == 1.0
    assert syn.proportion_interval(20, 20, method="exact").ci_upper == 1.0


@pytest.mark.parametrize("responders, n_evaluated", [(21, 20), (-1, 20), (5, 0), (2.5, 10)])
def test_proportion_interval_rejects_impossible_counts(responders, n_evaluated):
    with pytest.raises(ValueError):
        syn.proportion_interval(responders, n_evaluated)


def test_proportion_interval_rejects_unknown_method():
    with pytest.raises(ValueError):
        syn.proportion_interval(5, 10, method="wald")


# ---------------------------------------------------------------------------
# 2. odds_ratio / risk_ratio
# ---------------------------------------------------------------------------


def test_odds_ratio_matches_hand_calculation_aronson_trial():
    # BCG trial 1 (Aronson 1948): a=4, b=119, c=11, d=128, no zero cell.
    # OR = (4*128)/(119*11) = 512/1309 = 0.391138
    # log OR = -0.938694;  var = 1/4 + 1/119 + 1/11 + 1/128 = 0.357125
    # SE = 0.597599;  CI = exp(-0.938694 -/+ 1.959964*0.597599)
    #    = exp(-2.109955), exp(0.232566) = 0.121242, 1.261850
    # (log OR and var agree with metafor escalc(measure="OR") for dat.bcg.)
    result = syn.odds_ratio(4, 123, 11, 139)
    assert result.measure == "odds_ratio"
    assert result.estimate == pytest.approx(0.391138, rel=1e-5)
    assert result.log_estimate == pytest.approx(-0.938694, abs=1e-6)
    assert result.se_log**2 == pytest.approx(0.357125, abs=1e-6)
    assert result.ci_lower == pytest.approx(0.121242, rel=1e-5)
    assert result.ci_upper == pytest.approx(1.261850, rel=1e-5)
    assert result.continuity_correction_applied is False
    assert result.continuity_added == 0.0


def test_risk_ratio_matches_hand_calculation_aronson_trial():
    # RR = (4/123)/(11/139) = 0.410939
    # log RR = -0.889311;  var = 1/4 - 1/123 + 1/11 - 1/139 = 0.325585
    # SE = 0.570600;  CI = exp(-0.889311 -/+ 1.959964*0.570600) = 0.134302, 1.257398
    result = syn.risk_ratio(4, 123, 11, 139)
    assert result.measure == "risk_ratio"
    assert result.estimate == pytest.approx(0.410939, rel=1e-5)
    assert result.log_estimate == pytest.approx(-0.889311, abs=1e-6)
    assert result.se_log**2 == pytest.approx(0.325585, abs=1e-6)
    assert result.ci_lower == pytest.approx(0.134302, rel=1e-5)
    assert result.ci_upper == pytest.approx(1.257398, rel=1e-5)
    assert result.continuity_correction_applied is False


def test_zero_cell_gets_half_continuity_correction_odds_ratio():
    # 0/20 active vs 5/20 placebo: cells 0, 20, 5, 15 -> +0.5 to all four:
    # 0.5, 20.5, 5.5, 15.5.  OR = 0.5*15.5/(20.5*5.5) = 7.75/112.75 = 0.068736
    # log OR = -2.677480; var = 1/0.5 + 1/20.5 + 1/5.5 + 1/15.5 = 2.295115
    result = syn.odds_ratio(0, 20, 5, 20)
    assert result.continuity_correction_applied is True
    assert result.continuity_added == 0.5
    assert result.estimate == pytest.approx(0.068736, rel=1e-5)
    assert result.log_estimate == pytest.approx(-2.677480, abs=1e-6)
    assert result.se_log**2 == pytest.approx(2.295115, abs=1e-6)


def test_zero_cell_gets_half_continuity_correction_risk_ratio():
    # Same table; corrected arm totals 21 and 21.
    # RR = (0.5/21)/(5.5/21) = 0.090909; log RR = -2.397895
    # var = 1/0.5 - 1/21 + 1/5.5 - 1/21 = 2.086580
    result = syn.risk_ratio(0, 20, 5, 20)
    assert result.continuity_correction_applied is True
    assert result.estimate == pytest.approx(0.090909, rel=1e-5)
    assert result.log_estimate == pytest.approx(-2.397895, abs=1e-6)
    assert result.se_log**2 == pytest.approx(2.086580, abs=1e-6)


def test_all_patients_with_event_in_one_arm_counts_as_zero_cell():
    # 20/20 active vs 10/20 placebo: the active non-event cell is 0.
    # Corrected: 20.5, 0.5, 10.5, 10.5 -> OR = 20.5*10.5/(0.5*10.5) = 41
    result = syn.odds_ratio(20, 20, 10, 20)
    assert result.continuity_correction_applied is True
    assert result.estimate == pytest.approx(41.0, rel=1e-12)


def test_no_correction_without_zero_cell_even_when_continuity_given():
    # 1/10 vs 2/10: OR = (1*8)/(9*2) = 0.444444, uncorrected.
    result = syn.odds_ratio(1, 10, 2, 10, continuity=0.5)
    assert result.continuity_correction_applied is False
    assert result.estimate == pytest.approx(8 / 18, rel=1e-12)


def test_double_zero_study_is_not_estimable():
    # Zero events in both arms: documented to raise NotEstimableError (a
    # ValueError); the study is excluded, not corrected to OR = 1.
    with pytest.raises(syn.NotEstimableError, match="zero events in both arms"):
        syn.odds_ratio(0, 25, 0, 24)
    with pytest.raises(ValueError):
        syn.risk_ratio(0, 25, 0, 24)
    assert syn.is_estimable_2x2(0, 25, 0, 24) is False
    assert syn.is_estimable_2x2(0, 25, 1, 24) is True


def test_events_in_every_patient_of_both_arms_is_not_estimable():
    with pytest.raises(syn.NotEstimableError, match="every patient"):
        syn.odds_ratio(25, 25, 24, 24)
    assert syn.is_estimable_2x2(25, 25, 24, 24) is False


def test_two_by_two_rejects_more_events_than_patients():
    with pytest.raises(ValueError):
        syn.odds_ratio(11, 10, 2, 10)


# ---------------------------------------------------------------------------
# 3. random_effects_pool
# ---------------------------------------------------------------------------


def test_dersimonian_laird_matches_metafor_bcg_risk_ratio():
    # metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
    # (github.com/wviechtb/metafor), "RE model w/ DL estimator, measure='RR'",
    # checked there against Stata metan:
    #   rma(yi, vi, data=dat, method="DL"): beta -0.7141, ci -1.0644 to
    #   -0.3638, zval -3.9952, tau2 0.3088, I2 92.1173;
    #   predict(res, transf=exp): 0.4896 (0.3449, 0.6950).
    # (SE = 0.1787 follows from the CI.  Note: I^2 = 92.22% often quoted for
    # dat.bcg belongs to the REML fit, tau^2 = 0.3132; DL gives 92.12%.)
    # Cochran's Q = 152.2330 (QE of the FE model in the same file).
    log_rr, se = _log_effects(syn.risk_ratio, BCG)
    pooled = syn.random_effects_pool(log_rr, se, method="dl")
    assert pooled.k == 13
    assert pooled.log_estimate == pytest.approx(-0.7141, abs=5e-5)
    assert pooled.se_log == pytest.approx(0.1787, abs=5e-5)
    assert pooled.log_ci_lower == pytest.approx(-1.0644, abs=5e-5)
    assert pooled.log_ci_upper == pytest.approx(-0.3638, abs=5e-5)
    assert pooled.log_estimate / pooled.se_log == pytest.approx(-3.9952, abs=5e-5)
    assert pooled.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert pooled.i2_percent == pytest.approx(92.1173, abs=5e-5)
    assert pooled.q == pytest.approx(152.2330, abs=5e-5)
    assert pooled.q_df == 12
    assert pooled.estimate == pytest.approx(0.4896, abs=5e-5)
    assert pooled.ci_lower == pytest.approx(0.3449, abs=5e-5)
    assert pooled.ci_upper == pytest.approx(0.6950, abs=5e-5)
    assert pooled.ci_distribution == "normal"


def test_dersimonian_laird_matches_metafor_bcg_odds_ratio():
    # Same metafor file, "RE model w/ DL estimator, measure='OR'":
    #   beta -0.7474, ci -1.1242 to -0.3706, tau2 0.3663, I2 92.6455;
    #   exp: 0.4736 (0.3249, 0.6903); FE QE = 163.1649.
    log_or, se = _log_effects(syn.odds_ratio, BCG)
    pooled = syn.random_effects_pool(log_or, se, method="dl")
    assert pooled.log_estimate == pytest.approx(-0.7474, abs=5e-5)
    assert pooled.log_ci_lower == pytest.approx(-1.1242, abs=5e-5)
    assert pooled.log_ci_upper == pytest.approx(-0.3706, abs=5e-5)
    assert pooled.tau2 == pytest.approx(0.3663, abs=5e-5)
    assert pooled.i2_percent == pytest.approx(92.6455, abs=5e-5)
    assert pooled.q == pytest.approx(163.1649, abs=5e-5)
    assert pooled.estimate == pytest.approx(0.4736, abs=5e-5)
    assert pooled.ci_lower == pytest.approx(0.3249, abs=5e-5)
    assert pooled.ci_upper == pytest.approx(0.6903, abs=5e-5)


def test_dersimonian_laird_matches_dersimonian_kacker_2007_clasp():
    # DerSimonian & Kacker 2007, Tables 3-4, reproduced by metafor
    # test_analysis_example_dersimonian2007.r: DL tau 0.2323, mu -0.3240,
    # se 0.1540.
    log_or, se = _counts_effects(syn.odds_ratio, CLASP_EVENTS_ACTIVE, CLASP_N_ACTIVE, CLASP_EVENTS_CONTROL, CLASP_N_CONTROL)
    pooled = syn.random_effects_pool(log_or, se, method="dl")
    assert math.sqrt(pooled.tau2) == pytest.approx(0.2323, abs=5e-5)
    assert pooled.log_estimate == pytest.approx(-0.3240, abs=5e-5)
    assert pooled.se_log == pytest.approx(0.1540, abs=5e-5)


def test_paule_mandel_matches_dersimonian_kacker_2007_clasp():
    # Same source, PM column: tau 0.3681, mu -0.3811, se 0.2060
    # (DL on the same data gives 0.2323 / -0.3240 / 0.1540, so a DL result
    # cannot pass this test).
    log_or, se = _counts_effects(syn.odds_ratio, CLASP_EVENTS_ACTIVE, CLASP_N_ACTIVE, CLASP_EVENTS_CONTROL, CLASP_N_CONTROL)
    pooled = syn.random_effects_pool(log_or, se, method="pm")
    assert pooled.method == "pm"
    assert math.sqrt(pooled.tau2) == pytest.approx(0.3681, abs=5e-5)
    assert pooled.log_estimate == pytest.approx(-0.3811, abs=5e-5)
    assert pooled.se_log == pytest.approx(0.2060, abs=5e-5)


def test_paule_mandel_matches_metafor_kacker_full_precision():
    # statsmodels results_meta.py, exk1_metafor: R metafor
    # rma(y, v, method="PM", control=list(tol=1e-9)):
    #   tau2 0.705395309224248, b 62.4076199113286, se 0.338030602684471,
    #   ci 61.7450921043947 to 63.0701477182625,
    #   QE 24.801897741835, QEp 0.00167935146372742.
    # I^2 here is Q-based (Higgins-Thompson): (24.8019 - 8)/24.8019 =
    # 67.744403741711 %, the value metafor prints for the DL fit of the same
    # data (exk1_dl.I2); metafor's PM printout (83.72 %) is tau^2-based.
    pooled = syn.random_effects_pool(KACKER_Y, KACKER_SE, method="pm")
    assert pooled.tau2 == pytest.approx(0.705395309224248, rel=1e-7)
    assert pooled.log_estimate == pytest.approx(62.4076199113286, rel=1e-10)
    assert pooled.se_log == pytest.approx(0.338030602684471, rel=1e-7)
    assert pooled.log_ci_lower == pytest.approx(61.7450921043947, rel=1e-9)
    assert pooled.log_ci_upper == pytest.approx(63.0701477182625, rel=1e-9)
    assert pooled.q == pytest.approx(24.801897741835, rel=1e-10)
    assert pooled.q_p_value == pytest.approx(0.00167935146372742, rel=1e-7)
    assert pooled.i2_percent == pytest.approx(67.744403741711, rel=1e-9)


def test_paule_mandel_matches_metafor_bcg_iterated_dl():
    # metafor tests/testthat/test_misc_rma_uni.r: rma(yi, vi, data=dat.bcg RR,
    # method="DLIT") gives tau2 = 0.3181.  The fixed point of iterated DL is
    # the PM solution: with w = 1/(v + tau2), sum w(v + tau2) = k and
    # sum w^2(v + tau2) = sum w, so the GENQ update is stationary exactly
    # when sum w (y - mu_w)^2 = k - 1, the PM equation.  (DL: 0.3088.)
    log_rr, se = _log_effects(syn.risk_ratio, BCG)
    pooled = syn.random_effects_pool(log_rr, se, method="pm")
    assert pooled.tau2 == pytest.approx(0.3181, abs=5e-5)


def test_hartung_knapp_matches_metafor_knha_kacker():
    # statsmodels results_meta.py, exk1_dl_hksj: R metafor
    # rma(y, v, method="DL", test="knha"):
    #   b 62.3901386044504, se 0.29477605699879,
    #   ci 61.710383798052 to 63.0698934108488, tau2 0.288049246973751.
    # (Without knha, exk1_dl: se 0.245749668040304, ci 61.9085 to 62.8718.)
    pooled = syn.random_effects_pool(KACKER_Y, KACKER_SE, method="dl", hartung_knapp=True)
    assert pooled.hartung_knapp is True
    assert pooled.ci_distribution.startswith("t(df=8)")
    assert pooled.log_estimate == pytest.approx(62.3901386044504, rel=1e-10)
    assert pooled.se_log == pytest.approx(0.29477605699879, rel=1e-8)
    assert pooled.log_ci_lower == pytest.approx(61.710383798052, rel=1e-10)
    assert pooled.log_ci_upper == pytest.approx(63.0698934108488, rel=1e-10)
    assert pooled.tau2 == pytest.approx(0.288049246973751, rel=1e-8)

    classic = syn.random_effects_pool(KACKER_Y, KACKER_SE, method="dl", hartung_knapp=False)
    assert classic.se_log == pytest.approx(0.245749668040304, rel=1e-8)
    assert classic.log_ci_lower == pytest.approx(61.9084781058787, rel=1e-10)
    assert classic.log_ci_upper == pytest.approx(62.8717991030221, rel=1e-10)


def test_hartung_knapp_and_prediction_interval_match_r_meta_metabin():
    # statsmodels results_meta.py, results_or_dl_hk: R meta
    # metabin(..., sm="OR", method="Inverse", method.tau="DL", hakn=TRUE):
    #   TE.random 0.429520368698268, seTE.random 0.0915952752397692,
    #   lower/upper.random 0.235347059333852 / 0.623693678062684,
    #   tau2 0.0016783981912744, Q 16.181374262823, pval.Q 0.440375456698129,
    #   I2 0.0112088293538659 (fraction),
    #   lower/upper.predict 0.215650965184522 / 0.643389772212014
    #   (t with k - 2 = 15 df on sqrt(seTE.random^2 + tau2), the HK SE).
    log_or, se = _counts_effects(syn.odds_ratio, META_EVENTS_E, META_N_E, META_EVENTS_C, META_N_C)
    pooled = syn.random_effects_pool(log_or, se, method="dl", hartung_knapp=True)
    assert pooled.k == 17
    assert pooled.log_estimate == pytest.approx(0.429520368698268, rel=1e-10)
    assert pooled.se_log == pytest.approx(0.0915952752397692, rel=1e-8)
    assert pooled.log_ci_lower == pytest.approx(0.235347059333852, rel=1e-8)
    assert pooled.log_ci_upper == pytest.approx(0.623693678062684, rel=1e-8)
    assert pooled.tau2 == pytest.approx(0.0016783981912744, rel=1e-7)
    assert pooled.q == pytest.approx(16.181374262823, rel=1e-10)
    assert pooled.q_p_value == pytest.approx(0.440375456698129, rel=1e-8)
    assert pooled.i2_percent == pytest.approx(100 * 0.0112088293538659, rel=1e-7)
    assert pooled.prediction_interval_available is True
    assert pooled.log_pi_lower == pytest.approx(0.215650965184522, rel=1e-8)
    assert pooled.log_pi_upper == pytest.approx(0.643389772212014, rel=1e-8)
    assert pooled.pi_lower == pytest.approx(math.exp(0.215650965184522), rel=1e-8)


def test_prediction_interval_uses_t_with_k_minus_2_df():
    # Hand calculation on the BCG DL fit (metafor values above):
    # mu = -0.714117, SE = 0.178742, tau2 = 0.308760, k = 13
    # t_{11, 0.975} = 2.200985; sqrt(0.308760 + 0.178742^2) = 0.583703
    # PI = -0.714117 -/+ 2.200985*0.583703 = -1.998838, 0.570604
    # (a normal quantile would give -1.858, 0.430; t_{12}: -1.986, 0.558).
    log_rr, se = _log_effects(syn.risk_ratio, BCG)
    pooled = syn.random_effects_pool(log_rr, se, method="dl")
    assert pooled.prediction_interval_available is True
    assert pooled.log_pi_lower == pytest.approx(-1.998838, abs=2e-5)
    assert pooled.log_pi_upper == pytest.approx(0.570604, abs=2e-5)
    assert pooled.pi_upper == pytest.approx(math.exp(0.570604), rel=2e-5)


def test_prediction_interval_flagged_when_fewer_than_three_studies():
    pooled = syn.random_effects_pool([-0.5, -0.2], [0.3, 0.4], method="dl")
    assert pooled.k == 2
    assert pooled.prediction_interval_available is False
    assert math.isnan(pooled.pi_lower) and math.isnan(pooled.pi_upper)
    assert math.isnan(pooled.log_pi_lower) and math.isnan(pooled.log_pi_upper)
    assert "k < 3" in pooled.notes
    # The pooled estimate itself is still reported.
    assert math.isfinite(pooled.estimate)


def test_single_study_is_returned_as_is_with_flag():
    # k = 1: the study's own estimate and Wald CI, exp(-0.5 -/+ 1.959964*0.3)
    # = exp(-1.087989), exp(0.087989); no heterogeneity, no PI.
    pooled = syn.random_effects_pool([-0.5], [0.3], method="pm", hartung_knapp=True)
    assert pooled.single_study is True
    assert pooled.k == 1
    assert pooled.log_estimate == -0.5
    assert pooled.se_log == pytest.approx(0.3, rel=1e-12)
    assert pooled.log_ci_lower == pytest.approx(-1.087989, abs=1e-6)
    assert pooled.log_ci_upper == pytest.approx(0.087989, abs=1e-6)
    assert math.isnan(pooled.tau2) and math.isnan(pooled.i2_percent) and math.isnan(pooled.q)
    assert pooled.prediction_interval_available is False
    assert "k = 1" in pooled.notes


def test_dersimonian_laird_tau2_truncated_at_zero():
    # Homogeneous estimates 0.10, 0.12, 0.11, each SE 0.1 (w = 100):
    # mu_FE = 0.11, Q = 100*(0.01^2 + 0.01^2 + 0) = 0.02 < k - 1 = 2, so the
    # DL moment estimate is negative -> tau2 = 0 and the pooled result is the
    # fixed-effect one: mu = 0.11, SE = 0.1/sqrt(3) = 0.057735; I^2 = 0.
    pooled = syn.random_effects_pool([0.10, 0.12, 0.11], [0.1, 0.1, 0.1], method="dl")
    assert pooled.tau2 == 0.0
    assert pooled.log_estimate == pytest.approx(0.11, abs=1e-12)
    assert pooled.se_log == pytest.approx(0.057735, abs=1e-6)
    assert pooled.q == pytest.approx(0.02, abs=1e-12)
    assert pooled.i2_percent == 0.0
    assert "truncated" in pooled.notes


def test_random_effects_pool_rejects_bad_input():
    with pytest.raises(ValueError):
        syn.random_effects_pool([0.1, 0.2], [0.1], method="dl")
    with pytest.raises(ValueError):
        syn.random_effects_pool([0.1, 0.2], [0.1, 0.0], method="dl")
    with pytest.raises(ValueError):
        syn.random_effects_pool([], [], method="dl")
    with pytest.raises(ValueError):
        syn.random_effects_pool([0.1, 0.2], [0.1, 0.1], method="sj")  # Sidik-Jonkman tau^2: not offered


def test_reml_with_hartung_knapp_matches_metafor_bcg_risk_ratio():
    # metafor documentation (rma.uni), dat.bcg, measure="RR":
    #   res <- rma(yi, vi, data=dat)                # method="REML"
    #   tau^2 = 0.3132; I^2 = 92.22%; Q(df = 12) = 152.2330
    #   estimate -0.7145, se 0.1798, ci.lb -1.0669, ci.ub -0.3622
    #   res <- rma(yi, vi, data=dat, test="knha")
    #   estimate -0.7145, se 0.1808, tval -3.9522, df 12, ci.lb -1.1084, ci.ub -0.3206
    log_rr, se = _log_effects(syn.risk_ratio, BCG)
    wald = syn.random_effects_pool(log_rr, se, method="reml")
    assert wald.tau2 == pytest.approx(0.3132, abs=5e-5)
    assert wald.i2_percent == pytest.approx(92.22, abs=5e-3)
    assert wald.q == pytest.approx(152.2330, abs=5e-5)
    assert (wald.log_estimate, wald.se_log) == (pytest.approx(-0.7145, abs=5e-5), pytest.approx(0.1798, abs=5e-5))
    assert (wald.log_ci_lower, wald.log_ci_upper) == (pytest.approx(-1.0669, abs=5e-5), pytest.approx(-0.3622, abs=5e-5))
    knha = syn.random_effects_pool(log_rr, se, method="reml", hartung_knapp=True)
    assert knha.se_log == pytest.approx(0.1808, abs=5e-5)
    assert (knha.log_ci_lower, knha.log_ci_upper) == (pytest.approx(-1.1084, abs=5e-5), pytest.approx(-0.3206, abs=5e-5))
    assert knha.ci_distribution.startswith("t(df=12)")


def test_q_profile_interval_for_tau2_matches_metafor_bcg_odds_ratio():
    # metafor-project.org, "van Houwelingen et al. (2002)": dat.colditz1994 (the BCG trials), measure="OR",
    # confint(res) "based on the Q-profile method (0.1302 to 1.1812)". metafor finds the roots with uniroot's
    # default tolerance (about 1e-4), so the fourth decimal may differ by one.
    log_or, se = _log_effects(syn.odds_ratio, BCG)
    lower, upper = syn.q_profile_tau2_interval(log_or, se)
    assert lower == pytest.approx(0.1302, abs=2e-4)
    assert upper == pytest.approx(1.1812, abs=2e-4)
    pooled = syn.random_effects_pool(log_or, se, method="reml", hartung_knapp=True)
    assert (pooled.tau2_ci_lower, pooled.tau2_ci_upper) == (lower, upper)


def test_reml_hksj_interval_is_never_narrower_than_the_wald_interval():
    # Ten identical trials: the HKSJ standard error would be 0 (no spread around the mean); IntHout et al. 2014
    # keep the classic one, sqrt(1 / sum w) = sqrt(0.04 / 10), with the t(9) quantile 2.262157.
    pooled = syn.random_effects_pool([0.5] * 10, [0.2] * 10, method="reml", hartung_knapp=True)
    assert pooled.se_log == pytest.approx(math.sqrt(0.004))
    assert pooled.log_ci_upper - pooled.log_estimate == pytest.approx(2.262157 * math.sqrt(0.004), rel=1e-6)


def test_q_profile_interval_starts_at_zero_for_homogeneous_trials():
    # identical estimates: Q(0) = 0 is below both quantiles, so both bounds are 0
    assert syn.q_profile_tau2_interval([0.5, 0.5, 0.5], [0.2, 0.3, 0.4]) == (0.0, 0.0)
    assert all(math.isnan(b) for b in syn.q_profile_tau2_interval([0.5], [0.2]))


# ---------------------------------------------------------------------------
# 4. bucher_indirect
# ---------------------------------------------------------------------------


def test_bucher_indirect_matches_hand_calculation():
    # OR(A vs C) = 0.5, SE(log) 0.20; OR(B vs C) = 0.8, SE(log) 0.25.
    # log OR(A vs B) = ln 0.5 - ln 0.8 = ln 0.625 = -0.470004
    # SE = sqrt(0.20^2 + 0.25^2) = sqrt(0.1025) = 0.320156
    # CI log = -0.470004 -/+ 1.959964*0.320156 = -1.097498, 0.157491
    # CI     = 0.333705, 1.170570
    result = syn.bucher_indirect(math.log(0.5), 0.20, math.log(0.8), 0.25)
    assert result.estimate == pytest.approx(0.625, rel=1e-12)
    assert result.log_estimate == pytest.approx(-0.470004, abs=1e-6)
    assert result.se_log == pytest.approx(0.320156, abs=1e-6)
    assert result.log_ci_lower == pytest.approx(-1.097498, abs=1e-6)
    assert result.log_ci_upper == pytest.approx(0.157491, abs=1e-6)
    assert result.ci_lower == pytest.approx(0.333705, rel=1e-5)
    assert result.ci_upper == pytest.approx(1.170570, rel=1e-5)


def test_bucher_indirect_matches_maicplus_difference_and_se():
    # R package maicplus, tests/testthat/test-bucher.R
    # (github.com/hta-pharma/maicplus): trt est 1 (se 0.04), com est 1.2
    # (se 0.08) -> est -0.2, se 0.0894427190999916 (its CI there is 90 %).
    result = syn.bucher_indirect(1.0, 0.04, 1.2, 0.08)
    assert result.log_estimate == pytest.approx(-0.2, abs=1e-12)
    assert result.se_log == pytest.approx(0.0894427190999916, rel=1e-12)


def test_bucher_indirect_direction_is_a_versus_b():
    # Swapping A and B inverts the ratio and mirrors the CI.
    forward = syn.bucher_indirect(math.log(0.5), 0.2, math.log(0.8), 0.25)
    reverse = syn.bucher_indirect(math.log(0.8), 0.25, math.log(0.5), 0.2)
    assert reverse.estimate == pytest.approx(1 / forward.estimate, rel=1e-12)
    assert reverse.ci_lower == pytest.approx(1 / forward.ci_upper, rel=1e-12)


def test_bucher_indirect_rejects_nonpositive_se():
    with pytest.raises(ValueError):
        syn.bucher_indirect(0.1, 0.0, 0.2, 0.1)


# ---------------------------------------------------------------------------
# 5. pooled_proportion_logit
# ---------------------------------------------------------------------------

# Hand calculation (DerSimonian-Laird on the logit scale) for five cohorts
# 14/20, 30/40, 10/10, 18/30, 40/60; 10/10 gets +0.5 -> 10.5 / 0.5:
#   y = log(x/(n-x)): 0.847298, 1.098612, 3.044522, 0.405465, 0.693147
#   v = 1/x + 1/(n-x): 0.238095, 0.133333, 2.095238, 0.138889, 0.075
#   w = 1/v: 4.2, 7.5, 0.477273, 7.2, 13.333333;  sum w = 32.710606
#   mu_FE = 0.776892;  Q = 4.338112 (df 4, p = 0.362177)
#   C = sum w - sum w^2 / sum w = 23.425068
#   tau2 = (Q - 4)/C = 0.014434;  I^2 = (Q - 4)/Q = 7.793994 %
#   w* = 1/(v + tau2); sum w* = 28.905005;  mu = 0.782842
#   SE = 1/sqrt(sum w*) = 0.186000
#   HK SE = sqrt(sum w*(y - mu)^2 / (4 sum w*)) = 0.189106
#   t_{4} = 2.776445, t_{3} = 3.182446 (PI)
#   HK:  p = expit(0.782842) = 0.686292; CI 0.564096 to 0.787159;
#        PI (sqrt(tau2 + HK SE^2)) 0.517453 to 0.816954
#   z:   CI 0.603074 to 0.759035; PI (sqrt(tau2 + SE^2)) 0.519531 to 0.815706
COHORT_RESPONDERS = [14, 30, 10, 18, 40]
COHORT_N = [20, 40, 10, 30, 60]


def test_logit_transform_with_continuity_correction_for_all_responders():
    logit, variance, corrected = syn.logit_proportion(10, 10)
    assert corrected is True
    assert logit == pytest.approx(math.log(10.5 / 0.5), abs=1e-12)  # 3.044522
    assert variance == pytest.approx(1 / 10.5 + 1 / 0.5, abs=1e-12)  # 2.095238
    logit, variance, corrected = syn.logit_proportion(0, 20)
    assert corrected is True
    assert logit == pytest.approx(math.log(0.5 / 20.5), abs=1e-12)
    logit, variance, corrected = syn.logit_proportion(14, 20)
    assert corrected is False
    assert (logit, variance) == pytest.approx((0.847298, 0.238095), abs=1e-6)


def test_pooled_proportion_logit_matches_hand_calculation_hartung_knapp():
    pooled = syn.pooled_proportion_logit(COHORT_RESPONDERS, COHORT_N, method="dl", hartung_knapp=True)
    assert pooled.k == 5
    assert pooled.n_studies_continuity_corrected == 1
    assert pooled.logit_estimate == pytest.approx(0.782842, abs=1e-6)
    assert pooled.se_logit == pytest.approx(0.189106, abs=1e-6)
    assert pooled.tau2 == pytest.approx(0.014434, abs=1e-6)
    assert pooled.i2_percent == pytest.approx(7.793994, abs=1e-5)
    assert pooled.q == pytest.approx(4.338112, abs=1e-6)
    assert pooled.q_p_value == pytest.approx(0.362177, abs=1e-6)
    assert pooled.proportion == pytest.approx(0.686292, abs=1e-6)
    assert pooled.ci_lower == pytest.approx(0.564096, abs=1e-6)
    assert pooled.ci_upper == pytest.approx(0.787159, abs=1e-6)
    assert pooled.prediction_interval_available is True
    assert pooled.pi_lower == pytest.approx(0.517453, abs=1e-6)
    assert pooled.pi_upper == pytest.approx(0.816954, abs=1e-6)


def test_pooled_proportion_logit_matches_hand_calculation_normal_ci():
    pooled = syn.pooled_proportion_logit(COHORT_RESPONDERS, COHORT_N, method="dl", hartung_knapp=False)
    assert pooled.se_logit == pytest.approx(0.186000, abs=1e-6)
    assert pooled.ci_lower == pytest.approx(0.603074, abs=1e-6)
    assert pooled.ci_upper == pytest.approx(0.759035, abs=1e-6)
    assert pooled.pi_lower == pytest.approx(0.519531, abs=1e-6)
    assert pooled.pi_upper == pytest.approx(0.815706, abs=1e-6)


def test_pooled_proportion_logit_flags_fewer_than_three_cohorts():
    pooled = syn.pooled_proportion_logit([14, 30], [20, 40])
    assert pooled.prediction_interval_available is False
    assert math.isnan(pooled.pi_lower) and math.isnan(pooled.pi_upper)
    assert "k < 3" in pooled.notes


def test_pooled_proportion_logit_single_cohort():
    # 14/20: logit 0.847298, SE sqrt(0.238095) = 0.487950;
    # expit(0.847298 -/+ 1.959964*0.487950) = 0.472760, 0.858594
    pooled = syn.pooled_proportion_logit([14], [20])
    assert pooled.single_study is True
    assert pooled.proportion == pytest.approx(0.7, abs=1e-12)
    assert pooled.ci_lower == pytest.approx(0.472760, abs=1e-6)
    assert pooled.ci_upper == pytest.approx(0.858594, abs=1e-6)


def test_pooled_proportion_logit_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        syn.pooled_proportion_logit([1, 2], [10])


# ---------------------------------------------------------------------------
# 6. rate_per_100_patient_years
# ---------------------------------------------------------------------------


def test_exact_poisson_zero_events_upper_limit():
    # Exact (Garwood) 95 % upper limit for 0 observed events = 3.689
    # (R epitools::pois.exact documentation: "When x = 0, for the upper
    # confidence limit pois.exact returns 3.689"; standard Poisson tables).
    # With 100 patient-years the per-100-PY limits equal the count limits.
    result = syn.rate_per_100_patient_years(0, 100)
    assert result.rate_per_100_patient_years == 0.0
    assert result.ci_lower == 0.0
    assert result.ci_upper == pytest.approx(3.689, abs=5e-4)


def test_exact_poisson_ten_events_interval():
    # 10 events: exact 95 % limits 4.795 to 18.39 (standard Poisson tables;
    # e.g. "For k = 10 the 95 percent interval is approximately 4.80 to
    # 18.39", calculatorhub.com Poisson CI page).  A normal approximation
    # (10 -/+ 1.96*sqrt(10) = 3.80 to 16.20) fails this test.
    result = syn.rate_per_100_patient_years(10, 100)
    assert result.rate_per_100_patient_years == pytest.approx(10.0)
    assert result.ci_lower == pytest.approx(4.795, abs=5e-4)
    assert result.ci_upper == pytest.approx(18.39, abs=5e-3)


def test_rate_scales_to_100_patient_years():
    # 10 events in 250 PY: rate 4.0 per 100 PY; limits 4.795389*100/250 =
    # 1.918155 and 18.390356*100/250 = 7.356142.
    result = syn.rate_per_100_patient_years(10, 250)
    assert result.rate_per_100_patient_years == pytest.approx(4.0, rel=1e-12)
    assert result.ci_lower == pytest.approx(1.918155, abs=1e-6)
    assert result.ci_upper == pytest.approx(7.356142, abs=1e-6)


@pytest.mark.parametrize("events, patient_years", [(-1, 10), (3, 0), (3, -5), (1.5, 10)])
def test_rate_rejects_invalid_input(events, patient_years):
    with pytest.raises(ValueError):
        syn.rate_per_100_patient_years(events, patient_years)


# ---------------------------------------------------------------------------
# Purity
# ---------------------------------------------------------------------------


def test_results_are_frozen():
    result = syn.odds_ratio(4, 123, 11, 139)
    with pytest.raises(AttributeError):
        result.estimate = 1.0
