"""Overlapping populations count once: in the grouping of reports, in pooled estimates and in totals."""

import re

import pandas as pd
import pytest

import populations
from conventions import EVIDENCE_SYNTHESES
from analyse import inactive_or_better


def overlaps(*pairs):
    return pd.DataFrame(pairs, columns=["study_id", "shares_patients_with"])


def test_reports_that_share_patients_through_a_chain_form_one_population():
    ids = populations.population_ids(["a", "b", "c", "d"], overlaps(("a", "b"), ("b", "c")))
    assert ids == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_overlap_with_a_report_outside_the_table_still_links_the_two_it_joins():
    # x (e.g. an excluded letter) shares patients with both a and c: a and c are one population
    ids = populations.population_ids(["a", "c"], overlaps(("a", "x"), ("c", "x")))
    assert ids["a"] == ids["c"]


def test_one_report_per_population_keeps_the_largest_report_with_all_its_arms():
    table = pd.DataFrame({
        "study_id": ["registry2017", "registry2020", "registry2020", "single2019"],
        "population_id": ["registry2017", "registry2017", "registry2017", "single2019"],
        "arm_id": ["il1", "anakinra", "canakinumab", "anakinra"],
        "year": [2017, 2020, 2020, 2019],
        "denominator": [60, 55, 20, 30],
    })
    kept = populations.one_report_per_population(table, "denominator")
    assert sorted(zip(kept["study_id"], kept["arm_id"])) == [
        ("registry2020", "anakinra"), ("registry2020", "canakinumab"), ("single2019", "anakinra")]


def test_one_report_per_population_breaks_ties_by_the_most_recent_report():
    table = pd.DataFrame({"study_id": ["old", "new"], "population_id": ["old", "old"], "year": [2010, 2015],
                          "n_total": [40, 40]})
    assert populations.one_report_per_population(table, "n_total")["study_id"].tolist() == ["new"]


def test_inactive_disease_or_better_adds_up_exclusive_categories():
    # Bielak 2018's classification: active 6/24, inactive 5/24, remission 13/24 -> inactive or better 18/24
    rows = pd.DataFrame({
        "study_id": ["s"] * 3, "arm_id": ["a"] * 3, "timepoint": ["final follow-up"] * 3,
        "outcome": ["active_disease", "inactive_disease", "remission_on_medication"],
        "outcome_as_reported": ["active disease", "inactive disease", "remission"],
        "events": [6, 5, 13], "denominator": [24, 24, 24], "percent": [None] * 3, "percent_value": [None] * 3,
        "exclusive_set": ["wallace_status"] * 3,
    })
    derived = inactive_or_better(rows).set_index("outcome")
    # the partial "inactive disease" category is replaced by the sum; the other categories stay as reported
    assert sorted(derived.index) == ["active_disease", "inactive_disease", "remission_on_medication"]
    assert (derived.loc["inactive_disease", "events"], derived.loc["inactive_disease", "denominator"]) == (18, 24)
    assert derived.loc["remission_on_medication", "events"] == 13


@pytest.mark.build
def test_no_pooled_estimate_or_total_counts_a_population_twice(built_repo):
    studies = pd.read_csv(built_repo / "results/clean/studies.csv")
    population = dict(zip(studies["study_id"], studies["population_id"]))
    pooled = pd.read_csv(built_repo / "results/tables/pooled_proportions.csv")
    for row in pooled.itertuples():
        members = [s for s in str(row.studies).split(";") if s and s != "nan"]
        assert len({population[s] for s in members}) == len(members), (row.outcome_family, row.subset, members)
    review = (built_repo / "results/report/review.md").read_text(encoding="utf-8")
    review = re.sub(r"\[([^\]]*)\]\(#claim-\d+\)\{\.claim\}", r"\1", review)  # a value as the reader sees it
    primary = studies[~studies["design"].isin(EVIDENCE_SYNTHESES)]
    once = populations.one_report_per_population(primary, "n_total")
    assert once["population_id"].is_unique
    total = int(once["n_total"].fillna(0).sum())
    assert f"{total:,} patients where a total was reported, each population counted once" in review
    if primary["population_id"].duplicated().any():  # the data do hold overlapping reports
        assert total < int(primary["n_total"].fillna(0).sum())


@pytest.mark.build
def test_source_flow_boxes_add_up_to_the_collection(built_repo):
    flow = pd.read_csv(built_repo / "results/tables/source_flow.csv")
    count = flow.groupby("box")["count"].sum()
    log = pd.read_csv(built_repo / "results/clean/inclusion_log.csv")
    studies = pd.read_csv(built_repo / "results/clean/studies.csv")
    assert count["collection"] == count["awaiting"] + len(log)
    assert count["excluded"] == (log["decision"] == "excluded").sum()
    assert len(log) - count["excluded"] - count["merged"] == count["studies"] == len(studies)
    assert count["quantitative"] + count["narrative"] == count["studies"] - count["syntheses"]
