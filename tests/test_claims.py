"""Claim-level provenance: a value in the text links to the rows and source phrases behind it."""

import json

import pandas as pd
import pytest

import claims
import render
import report_helpers as rh

EFFICACY = pd.DataFrame({
    "study_id": ["trial", "trial", "trial"], "arm_id": ["drug", "placebo", "drug"],
    "outcome": ["acr30", "acr30", "acr70"], "timepoint": ["week 12", "week 12", "week 12"],
    "source_location": ["abstract", "abstract", "results"],
    "source_phrase": ["64 of 75 vs. 9 of 37", "64 of 75 vs. 9 of 37", "80% at week 52"]})
SAFETY = pd.DataFrame({"study_id": ["trial"], "event": ["mas"], "timepoint": ["week 12"],
                       "source_location": ["results"], "source_phrase": ["one MAS"]})


def rct_table() -> pd.DataFrame:
    table = pd.DataFrame({"study_id": ["trial"], "analysis_set": ["primary analysis"], "endpoint": ["acr30"],
                          "timepoint": ["week 12"], "events_active": [64], "n_active": [75]})
    table.attrs["table"] = "rct_response"
    return table


def test_a_claim_renders_as_a_link_to_its_entry_and_remembers_the_row_it_was_read_from():
    registry = claims.Claims()
    row = rh.one(rct_table(), study_id="trial")
    value = registry.claim(rh.count_of(row.events_active, row.n_active), row)
    assert value._repr_markdown_() == "[64 of 75 (85%)](#claim-1){.claim}"
    assert registry.entries[0].rows == [("rct_response", {"study_id": "trial", "analysis_set": "primary analysis",
                                                           "endpoint": "acr30", "timepoint": "week 12"})]


def test_the_entry_quotes_only_the_curated_rows_of_that_outcome_and_time():
    registry = claims.Claims()
    registry.claim("64 of 75", rh.one(rct_table(), study_id="trial"))
    text = claims.appendix(registry, {}, {"efficacy": EFFICACY, "safety": SAFETY}, {"trial": "Trial 2012"}, rh.escape)
    assert text.startswith("::: {#claim-1 .claim-entry}")
    assert text.count("64 of 75 vs\\. 9 of 37") == 1  # both arms share one phrase: quoted once
    assert "80%" not in text and "MAS" not in text  # another outcome, another table


def test_a_count_names_everything_it_counts():
    registry = claims.Claims()
    registry.count("2", pd.DataFrame({"study_id": ["b", "a", "a"]}), "primary reports")
    text = claims.appendix(registry, {}, {}, {"a": "Alpha 2001", "b": "Beta 2002"}, rh.escape)
    assert "**2** (primary reports)" in text and "Counts 3 rows, from 2: Alpha 2001, Beta 2002." in text


def test_the_map_lists_every_inline_value_and_the_share_with_provenance_in_abstract_and_results():
    document = render.parse_qmd("# Abstract\n\nA `{python} 1` b.\n\n# Results\n\nC `{python} 2`.\n\n# Discussion\n\n"
                                "D `{python} 3`.\n")
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("", id=f"inline-{i}", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text=render.INLINE_MARKER + json.dumps(values))])
        for i, values in enumerate([["1", "[2](#claim-1){.claim}", "3"]])])
    values = render.inline_values(document, notebook)
    assert [(v["section"], v["value"], v["claims"]) for v in values] == [
        ("Abstract", "1", []), ("Results", "[2](#claim-1){.claim}", ["claim-1"]), ("Discussion", "3", [])]
    assert render.claims_map(values)["coverage"] == {"sections": ["Abstract", "Results"], "values": 2,
                                                     "with_provenance": 1, "share": 0.5}


# The share of inline values in the Abstract and Results (citations aside) that carry provenance, as the build
# measures it: below this, the test fails.
COVERAGE_FLOOR = 0.95


@pytest.mark.build
def test_the_build_writes_the_provenance_map_and_every_claim_has_its_entry(built_repo):
    mapped = json.loads((built_repo / "results/report/claims.json").read_text(encoding="utf-8"))
    coverage = mapped["coverage"]
    print(f"provenance coverage in {coverage['sections']}: {coverage['with_provenance']} of {coverage['values']}")
    assert coverage["share"] >= COVERAGE_FLOOR
    assert all({"section", "expression", "value", "claims"} <= set(v) for v in mapped["values"])
    markdown = (built_repo / "results/report/review.md").read_text(encoding="utf-8")
    linked = {c for v in mapped["values"] for c in v["claims"]}
    assert linked and all(f"{{#{claim} .claim-entry}}" in markdown for claim in linked)
    manifest = json.loads((built_repo / "results/manifest.json").read_text(encoding="utf-8"))
    assert "results/report/claims.json" in manifest["outputs"]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390], ids=["laptop", "phone"])
def test_the_tender_response_shows_its_phrase_and_location_by_mouse_and_by_keyboard(built_repo, width):
    from test_browser import chromium_or_skip, launch

    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto((built_repo / "results/report/review.html").as_uri(), wait_until="load")
        value = page.locator("a.claim", has_text="64 of 75").first
        assert value.get_attribute("href").startswith("#claim-")  # the full entry, in the appendix
        card = page.locator("#claim-card")
        value.scroll_into_view_if_needed()
        value.hover()
        assert card.is_visible()
        assert "64 of 75 [85%] vs. 9 of 37 [24%]" in card.inner_text()
        assert "abstract, results" in card.inner_text()
        page.mouse.move(0, 0)
        assert not card.is_visible()
        value.focus()  # the keyboard reaches it like any link, and the card names it for assistive technology
        assert card.is_visible() and value.get_attribute("aria-describedby") == "claim-card"
        page.keyboard.press("Escape")
        assert not card.is_visible()
        browser.close()
