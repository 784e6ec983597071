"""Normalisation of values stored as the sources print them."""

import math

import pandas as pd
import pytest

import clean


@pytest.mark.parametrize("reported, expected", [("5,10", 5.10), ("80.3", 80.3), ("35", 35.0), ("<0.001", 0.001),
                                                ("0,046", 0.046)])
def test_reported_numbers_with_decimal_commas_become_floats(reported, expected):
    assert clean.parse_reported_number(reported) == pytest.approx(expected)


def test_empty_reported_number_is_missing_not_zero():
    assert math.isnan(clean.parse_reported_number(""))


@pytest.mark.parametrize("spread, expected", [("1.6-5.3", (1.6, 5.3)), ("0,08–4,3", (0.08, 4.3)), ("9.1 - 292.6", (9.1, 292.6))])
def test_spreads_split_into_lower_and_upper(spread, expected):
    assert clean.parse_spread(spread) == pytest.approx(expected)


def test_crp_in_mg_per_dl_is_converted_to_mg_per_l():
    assert clean.crp_in_mg_per_l(2.5, "mg/dl") == pytest.approx(25.0)
    assert clean.crp_in_mg_per_l(69.2, "mg/l") == pytest.approx(69.2)
    assert math.isnan(clean.crp_in_mg_per_l(1.0, ""))


@pytest.mark.parametrize("timepoint, weeks", [("baseline", 0.0), ("week 12", 12.0), ("day 15", 2.14),
                                              ("month 6", 26.09), ("year 1", 52.18)])
def test_timepoints_are_converted_to_weeks(timepoint, weeks):
    assert clean.timepoint_in_weeks(timepoint) == pytest.approx(weeks, abs=0.01)


def test_final_follow_up_has_no_fixed_week():
    assert math.isnan(clean.timepoint_in_weeks("final follow-up"))


def test_clean_efficacy_keeps_reported_text_and_adds_parsed_values():
    curated = pd.DataFrame([{"study_id": "s", "arm_id": "a", "outcome": "crp", "timepoint": "month 6", "events": "",
                             "denominator": "", "n_evaluated": "7", "percent": "", "value": "1,2", "spread": "0.6-1.4",
                             "unit": "mg/dl"}])
    cleaned = clean.clean_efficacy(curated)
    row = cleaned.iloc[0]
    assert row["value"] == "1,2"
    assert row["central_value"] == pytest.approx(12.0)
    assert (row["spread_lower"], row["spread_upper"]) == pytest.approx((6.0, 14.0))
    assert row["unit"] == "mg/L"


@pytest.mark.parametrize("index, suffix", [(0, "a"), (1, "b"), (25, "z"), (26, "aa"), (27, "ab"), (701, "zz"), (702, "aaa")])
def test_same_author_year_suffixes_continue_past_z(index, suffix):
    assert clean.letter_suffix(index) == suffix
