"""The review's protocol and PRISMA 2020 checklist: complete, pointing at places that exist, read right."""

import csv
import re

import pandas as pd
import pytest

import report_helpers as rh
from conftest import REPO

CHECKLIST = REPO / "report" / "prisma_2020_checklist.csv"
PROTOCOL = REPO / "docs" / "protocol.md"
# PRISMA 2020 (Page et al., BMJ 2021;372:n71): 27 items, some with sub-items, 42 in all.
PRISMA_ITEMS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10a", "10b", "11", "12", "13a", "13b", "13c", "13d",
                "13e", "13f", "14", "15", "16a", "16b", "17", "18", "19", "20a", "20b", "20c", "20d", "21", "22",
                "23a", "23b", "23c", "23d", "24a", "24b", "24c", "25", "26", "27"]
STATUSES = {"reported", "partly_reported", "not_reported", "not_applicable"}


def checklist() -> list[dict]:
    with CHECKLIST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_checklist_has_every_prisma_2020_item_once_in_order():
    assert [row["item"] for row in checklist()] == PRISMA_ITEMS


def test_every_item_says_where_it_is_reported_or_why_not():
    section_ids = set(re.findall(r"\{#(sec-[\w-]+)", (REPO / "report" / "review.qmd").read_text(encoding="utf-8")))
    for row in checklist():
        assert row["status"] in STATUSES, row
        places = [place for place in row["location"].split("; ") if place]
        if row["status"] in {"reported", "partly_reported"}:
            assert places, f"item {row['item']} is {row['status']} but says nowhere"
        if row["status"] != "reported":
            assert row["note"].strip(), f"item {row['item']} is {row['status']} without saying why"
        for place in places:
            assert place in section_ids if place.startswith("sec-") else (REPO / place).exists(), (row["item"], place)


def test_the_protocol_says_it_was_written_after_the_analyses_and_its_deviations_are_read_by_the_review():
    text = PROTOCOL.read_text(encoding="utf-8")
    assert "written on 2026-12-02, *after* the analyses" in text
    changes, still_open = rh.protocol_deviations(PROTOCOL)
    assert changes == len(re.findall(r"^\| 20\d\d-", text, flags=re.M)) > 0
    assert "No search" in still_open and all(lead and not lead.endswith(".") for lead in still_open)


def test_protocol_deviations_counts_the_table_rows_and_the_open_leads(tmp_path):
    protocol = tmp_path / "protocol.md"
    protocol.write_text("# P\n\n## Deviations and how the methods evolved\n\n| Date | Commit | Change | Reason |\n"
                        "|---|---|---|---|\n| 2026-01-01 | abc | A | B |\n| 2026-01-02 | def | C | D |\n\n"
                        "## Deviations still open\n\n- **No search.** None.\n- **Not registered**, and so on.\n",
                        encoding="utf-8")
    assert rh.protocol_deviations(protocol) == (2, ["No search", "Not registered"])


def test_certainty_reads_one_rating_with_its_domains_or_a_range():
    sof = pd.DataFrame({"comparison": ["a", "b", "b"], "certainty": ["low", "very low", "moderate"],
                        "reasons": ["risk of bias: some concerns; imprecision: 73 events (< 300)",
                                    "indirectness: through placebo", None]})
    assert rh.certainty_statement(sof, comparison="a") == "low (rated down for risk of bias and imprecision)"
    assert rh.certainty_statement(sof, comparison="b") == "very low to moderate (rated down for indirectness)"
    with pytest.raises(LookupError):
        rh.certainty_statement(sof, comparison="c")
