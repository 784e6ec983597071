"""GRADE ratings follow the rules the review states: each domain's downgrade, the levels, absolute effects."""

import math

import pandas as pd
import pytest

import certainty


def appraisal(*overall):
    return pd.DataFrame([{"study_id": s, "domain": "overall", "judgement": j} for s, j in overall])


def test_risk_of_bias_downgrade_weights_studies_by_size():
    rob = appraisal(("big", "low"), ("small", "high"))
    sizes = pd.Series({"big": 300, "small": 100})
    assert certainty.risk_of_bias_downgrade(["big", "small"], rob, sizes)[0] == 0  # 75% of information at low risk
    sizes = pd.Series({"big": 100, "small": 300})
    assert certainty.risk_of_bias_downgrade(["big", "small"], rob, sizes)[0] == -2  # 75% from a study at high risk
    rob = appraisal(("a", "some_concerns"), ("b", "low"))
    assert certainty.risk_of_bias_downgrade(["a", "b"], rob, pd.Series({"a": 50, "b": 50}))[0] == -1


def test_inconsistency_indirectness_and_imprecision_rules():
    assert certainty.inconsistency_downgrade(1, math.nan)[0] == 0
    assert certainty.inconsistency_downgrade(3, 76.0) == (-1, "I² 76%")
    assert certainty.inconsistency_downgrade(3, 20.0)[0] == 0
    assert certainty.inconsistency_downgrade(4, math.nan, pooled=False)[0] == -1
    assert certainty.indirectness_downgrade(True, ["not_reported"])[0] == -2
    assert certainty.indirectness_downgrade(False, ["after_conventional"])[0] == 0
    assert certainty.imprecision_downgrade(6.75, 48.5, 73) == (-1, "73 events (< 300)")
    assert certainty.imprecision_downgrade(0.33, 610.8, 100)[0] == -2  # includes no effect and few events
    assert certainty.imprecision_downgrade(0.55, 0.88, 18, ratio=False)[0] == -1  # narrow but few events
    assert certainty.imprecision_downgrade(0.18, 0.97, 400, ratio=False)[0] == -1  # 79 points wide


def test_certainty_starts_high_for_randomised_low_for_observational_and_stops_at_very_low():
    assert certainty.certainty(True, [0, 0, 0, 0]) == "high"
    assert certainty.certainty(True, [-1, 0, 0, -1]) == "low"
    assert certainty.certainty(False, [0, 0, 0, 0]) == "low"
    assert certainty.certainty(False, [-1, -1, -2, -2]) == "very low"


def test_absolute_effect_per_1000_from_the_odds_ratio_and_placebo_risk():
    # TENDER: OR 18.10101, placebo 9/37 = 0.2432432: 18.10101 * 0.2432432 / (0.7567568 + 4.402948) = 0.8533333
    assert certainty.absolute_per_1000(18.10101, 9 / 37) == pytest.approx(853.3333, rel=1e-6)  # = 64/75
    assert math.isnan(certainty.absolute_per_1000(math.nan, 0.2))
