"""Curated text with markup characters reaches the HTML and the PDF literally, never as markup or script."""

import csv
import html
import re

import pytest

from conftest import REPO, copy_repository, snakemake

pytestmark = pytest.mark.build

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> *star* _under_ #hash $dollar$ @at \\back `tick`"


def set_first(path, column, value, **match):
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if all(r[k] == v for k, v in match.items()))
    row[column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    workdir = copy_repository(tmp_path_factory.mktemp("hostile") / "repo")
    set_first(workdir / "data/inclusion_log.csv", "reason", HOSTILE, study_id="yokota2003review")
    set_first(workdir / "data/efficacy.csv", "outcome_as_reported", HOSTILE, study_id="yokota2014",
              outcome="glucocorticoid_discontinued")
    snakemake(workdir)
    return workdir


def test_hostile_text_is_shown_literally_in_html_and_never_executes(hostile_build):
    page = (hostile_build / "results/report/review.html").read_text(encoding="utf-8")
    # the provenance cards and the renderer's reading aids are the page's scripts; curated text never adds one
    body = page[page.index("<body"):]
    for script in ("report/claim_cards.html", "scripts/offline_enhance.html"):
        aids = (REPO / script).read_text(encoding="utf-8").strip()
        assert body.count(aids) == 1
        body = body.replace(aids, "")
    assert "<script" not in body, "curated text must never become a script element"
    assert "onerror" not in re.sub(r"&lt;img src=x onerror=alert\(2\)&gt;", "", body)
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert HOSTILE in " ".join(text.split()), "the hostile string should appear verbatim as text"


def test_hostile_text_is_shown_literally_in_pdf(hostile_build):
    from pypdf import PdfReader

    reader = PdfReader(hostile_build / "results/report/review.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for fragment in ("<script>alert(1)</script>", "*star*", "_under_", "#hash", "$dollar$", "@at", "\\back", "`tick`"):
        assert fragment in text, f"{fragment!r} missing from the PDF text"
