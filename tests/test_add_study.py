"""Adding one study to the curated data changes every output downstream, with no edit to the review.

A synthetic refractory tocilizumab cohort ('synthetic2099': a studies row, an arm, a response row with
responders, denominator and the phrase they stand in, an inclusion-log row and a BibTeX entry) is added to
a copy of the repository, which is rebuilt; its tables, figures and rendered review are compared with the
unchanged build (``built_repo``).
"""

import csv
import hashlib
import html
import re
from pathlib import Path

import pytest

import conftest
from conftest import REPO, copy_repository, snakemake

pytestmark = pytest.mark.build

STUDY_ID = "synthetic2099"
STUDY_LABEL = "Synthetic 2099"  # first author's family name and year, as clean.study_labels builds it
TITLE = "Tocilizumab in a synthetic refractory cohort of systemic juvenile idiopathic arthritis"
PHRASE_COHORT = "40 children with refractory systemic JIA received tocilizumab"
PHRASE_RESPONSE = "30 of 40 patients (75%) had clinically inactive disease after 6 months of tocilizumab"

NEW_ROWS = {
    "data/studies.csv": {
        "study_id": STUDY_ID, "year": "2099", "design": "retrospective_cohort", "population": "children",
        "treatment_line": "after_conventional", "line_phrase": PHRASE_COHORT,
        "line_source_file": "Synthetic2099_TCZ_refractory.txt", "target": "IL-6", "drugs": "tocilizumab", "n_total": "40",
        "source_location": "abstract", "source_phrase": PHRASE_COHORT, "note": "Synthetic study added by a test."},
    "data/arms.csv": {
        "study_id": STUDY_ID, "arm_id": "tocilizumab", "drug": "tocilizumab", "target": "IL-6", "role": "active",
        "n": "40", "source_location": "abstract", "source_phrase": PHRASE_COHORT},
    "data/efficacy.csv": {
        "study_id": STUDY_ID, "arm_id": "tocilizumab", "outcome": "inactive_disease",
        "outcome_as_reported": "clinically inactive disease", "timepoint": "month 6", "events": "30",
        "denominator": "40", "percent": "75", "source_location": "abstract", "source_phrase": PHRASE_RESPONSE,
        "source_file": "Synthetic2099_TCZ_refractory.txt", "note": "Synthetic row added by a test."},
    "data/inclusion_log.csv": {
        "source_file": "Synthetic2099_TCZ_refractory.txt", "study_id": STUDY_ID, "decision": "included",
        "reason": "synthetic refractory tocilizumab cohort added by a test", "source_kind": "primary"},
    "data/extraction_passes.csv": {
        "source_file": "Synthetic2099_TCZ_refractory.txt", "round": "2", "passes": "1",
        "note": "extracted once, by the test"},
}
BIBTEX = f"""
@article{{{STUDY_ID},
  author = {{Synthetic, Alice and Example, Bob}},
  title = {{{TITLE}}},
  journal = {{Journal of Test Fixtures}},
  year = {{2099}},
  volume = {{1}},
  pages = {{1--9}},
}}
"""


def append_row(path: Path, values: dict) -> None:
    """Append one row to a curated CSV, in the file's own column order (empty cells for the others)."""
    text = path.read_text(encoding="utf-8")
    header = next(csv.reader([text.splitlines()[0]]))
    assert set(values) <= set(header), f"{path.name}: unknown columns {set(values) - set(header)}"
    with path.open("a", encoding="utf-8", newline="") as handle:
        if not text.endswith("\n"):
            handle.write("\n")
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerow(values)


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def html_text(path: Path) -> str:
    """The visible text of the rendered review: tags removed, entities decoded, whitespace collapsed."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def printed_counts(text: str) -> dict[str, int]:
    """Counts the review's prose prints about its evidence base."""
    patterns = {
        "sources": r"Evidence base: (\d+) source texts",
        "included": r"Evidence base: \d+ source texts, (\d+) with extracted data",
        "primary": r"The (\d+) primary studies comprise",
        "latest_year": r"publications up to (\d{4})",
    }
    counts = {}
    for name, pattern in patterns.items():
        match = re.search(pattern, text)
        assert match, f"the review no longer prints {pattern!r}"
        counts[name] = int(match.group(1))
    return counts


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def with_new_study(built_repo, tmp_path_factory) -> Path:
    """A copy of the repository with the synthetic study added, built without a sources folder."""
    workdir = copy_repository(tmp_path_factory.mktemp("add_study") / "repo")
    for name, values in NEW_ROWS.items():
        append_row(workdir / name, values)
    with (workdir / "report/references.bib").open("a", encoding="utf-8") as handle:
        handle.write(BIBTEX)
    # The synthetic study has no source text, so the phrase-in-source check must be off. conftest's
    # snakemake() adds '--config sources_dir=<shared/sources>' whenever that folder exists; the helper is told
    # there are no sources, so config.yaml's 'auto' applies, which finds no ../shared/sources beside the copy.
    patch = pytest.MonkeyPatch()
    patch.setattr(conftest, "sources_dir", lambda: None)
    try:
        result = snakemake(workdir)
    finally:
        patch.undo()
    assert "--config" not in result.args
    validation = (workdir / "results/validation/report.txt").read_text(encoding="utf-8")
    assert "SKIPPED phrase-in-source check" in validation
    return workdir


def test_the_review_source_is_not_edited(with_new_study):
    for name in ("report/review.qmd", "scripts/report_helpers.py", "scripts/analyse.py"):
        assert (with_new_study / name).read_bytes() == (REPO / name).read_bytes()


def test_study_characteristics_gain_the_study(built_repo, with_new_study):
    before = read_csv(built_repo / "results/tables/study_characteristics.csv")
    after = read_csv(with_new_study / "results/tables/study_characteristics.csv")
    assert len(after) == len(before) + 1
    added = [row for row in after if row["study_id"] not in {r["study_id"] for r in before}]
    assert len(added) == 1
    row = added[0]
    assert (row["study_id"], row["study_label"], row["year"], row["target"], row["treatment_line"],
            row["n_total"], row["n_arms"]) == (STUDY_ID, STUDY_LABEL, "2099", "IL-6", "after_conventional", "40", "1")


def test_response_table_gains_the_cohort(built_repo, with_new_study):
    before = read_csv(built_repo / "results/tables/response_proportions.csv")
    after = read_csv(with_new_study / "results/tables/response_proportions.csv")
    assert len(after) == len(before) + 1
    [row] = [r for r in after if r["study_id"] == STUDY_ID]
    assert (row["responders"], row["n_evaluated"], row["outcome"], row["drug"]) == (
        "30", "40", "inactive_disease", "tocilizumab")
    assert float(row["proportion"]) == pytest.approx(0.75)  # 30 / 40
    assert float(row["ci_lower"]) < 0.75 < float(row["ci_upper"])
    # the pooled table now has one refractory tocilizumab cohort where it had none
    pooled_before = {(r["outcome_family"], r["subset"], r["target"]): r
                     for r in read_csv(built_repo / "results/tables/pooled_proportions.csv")}
    pooled_after = {(r["outcome_family"], r["subset"], r["target"]): r
                    for r in read_csv(with_new_study / "results/tables/pooled_proportions.csv")}
    key = ("inactive_disease", "refractory", "IL-6")  # pooled one outcome definition at a time
    assert int(pooled_after[key]["k_cohorts"]) == int(pooled_before[key]["k_cohorts"]) + 1
    assert STUDY_ID in pooled_after[key]["studies"].split(";")


def test_figures_that_show_the_study_change_and_the_others_do_not(built_repo, with_new_study):
    for name in ("evidence_map", "response_forest"):
        path = f"results/figures/{name}.svg"
        assert digest(with_new_study / path) != digest(built_repo / path), f"{name} did not change"
    # safety figure: nothing about the new study, and the figures are deterministic, so the same bytes
    path = "results/figures/safety_rates.svg"
    assert digest(with_new_study / path) == digest(built_repo / path)


def test_rendered_review_names_the_study_and_counts_it(built_repo, with_new_study):
    before = html_text(built_repo / "results/report/review.html")
    after = html_text(with_new_study / "results/report/review.html")
    assert STUDY_LABEL not in before and TITLE not in before
    assert STUDY_LABEL in after  # in the table of included studies
    assert TITLE in after  # in the reference list
    counts_before, counts_after = printed_counts(before), printed_counts(after)
    assert counts_after["sources"] == counts_before["sources"] + 1
    assert counts_after["included"] == counts_before["included"] + 1
    assert counts_after["primary"] == counts_before["primary"] + 1
    assert counts_after["latest_year"] == 2099
    assert (with_new_study / "results/report/review.pdf").read_bytes() != (
        built_repo / "results/report/review.pdf").read_bytes()
