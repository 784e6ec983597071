"""`make verify`: outputs of a build from scratch are compared with the committed reference, and every
difference is reported precisely (which cell of which table, or which file's hash)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import verify
from conftest import REPO

TABLE = (
    "study_id,study_label,year,arm_id,outcome,timepoint,responders,proportion\n"
    "alpha2010,Alpha 2010,2010,tocilizumab,acr_pedi_30,week 12,8,0.8\n"
    "alpha2010,Alpha 2010,2010,placebo,acr_pedi_30,week 12,2,0.2\n"
    "beta2012,Beta 2012,2012,anakinra,acr_pedi_30,week 12,5,0.5\n"
    "beta2012,Beta 2012,2012,anakinra,acr_pedi_30,month 6,6,0.6\n"
)


def fake_results(root: Path, table: str = TABLE, svg: str = "<svg/>\n") -> Path:
    results = root / "results"
    (results / "tables").mkdir(parents=True)
    (results / "figures").mkdir()
    (results / "report").mkdir()
    (results / "clean").mkdir()
    (results / "tables" / "response_proportions.csv").write_text(table, encoding="utf-8")
    (results / "figures" / "response_forest.svg").write_text(svg, encoding="utf-8")
    (results / "report" / "review.html").write_text("<html></html>\n", encoding="utf-8")
    (results / "report" / "review.pdf").write_bytes(b"%PDF-1.7\n")
    (results / "clean" / "efficacy.csv").write_text("not,checked\n", encoding="utf-8")
    (results / "manifest.json").write_text(json.dumps({"tools": {"pandoc": "3.1"}}), encoding="utf-8")
    return results


# --- compare_manifests ----------------------------------------------------------------------------------

def test_equal_manifests_have_no_changes():
    assert verify.compare_manifests({"a": "1", "b": "2"}, {"b": "2", "a": "1"}) == []


def test_changed_missing_and_new_outputs_are_told_apart():
    changes = verify.compare_manifests({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"})
    assert changes == [verify.Change("b", "changed", "2", "9"), verify.Change("c", "missing", "3", None),
                       verify.Change("d", "new", None, "4")]


def test_manifest_covers_tables_figures_html_and_pdf_only(tmp_path):
    files = verify.manifest_of(fake_results(tmp_path))
    assert sorted(files) == ["results/figures/response_forest.svg", "results/report/review.html",
                             "results/report/review.pdf", "results/tables/response_proportions.csv"]
    assert files["results/report/review.pdf"] == verify.sha256_bytes(b"%PDF-1.7\n")


# --- diff_tables ----------------------------------------------------------------------------------------

def test_equal_tables_have_no_differences():
    assert verify.diff_tables(TABLE, TABLE) == []


def test_a_changed_cell_is_reported_with_its_row_and_column():
    changed = TABLE.replace("beta2012,Beta 2012,2012,anakinra,acr_pedi_30,month 6,6,0.6",
                            "beta2012,Beta 2012,2012,anakinra,acr_pedi_30,month 6,6,0.65")
    assert verify.diff_tables(TABLE, changed) == [
        "row (study_id=beta2012, arm_id=anakinra, timepoint=month 6): column 'proportion': '0.6' -> '0.65'"]


def test_row_key_skips_columns_that_tell_no_more_rows_apart():
    header, rows = verify.read_csv_text(TABLE)
    table = [dict(zip(header, row)) for row in rows]
    # study_label and year follow from study_id; outcome is the same everywhere; numbers are never keys
    assert verify.key_columns(header, table) == ["study_id", "arm_id", "timepoint"]


def test_added_and_removed_rows_and_columns_are_reported():
    lines = TABLE.splitlines()
    new = [lines[0].replace(",proportion", ",percent")] + [line.rsplit(",", 1)[0] + ",x" for line in lines[1:4]]
    new.append("gamma2020,Gamma 2020,2020,canakinumab,acr_pedi_30,day 15,1,x")
    report = verify.diff_tables(TABLE, "\n".join(new) + "\n")
    assert "column removed: 'proportion'" in report
    assert "column added: 'percent'" in report
    assert "row removed: study_id=beta2012, arm_id=anakinra, timepoint=month 6" in report
    assert "row added: study_id=gamma2020, arm_id=canakinumab, timepoint=day 15" in report


def test_reordered_rows_and_byte_only_changes_are_named():
    lines = TABLE.splitlines(keepends=True)
    assert verify.diff_tables(TABLE, lines[0] + "".join(reversed(lines[1:]))) == [
        "row order changed (same rows, same cells)"]
    assert verify.diff_tables(TABLE, TABLE.replace("\n", "\r\n")) == [
        "same cells, different bytes (quoting, line endings or number formatting)"]


def test_repeated_column_names_and_repeated_keys_lose_no_cell():
    old = "id,ci,ci\na,1,2\na,1,2\nb,1,2\n"
    new = "id,ci,ci\na,1,2\na,1,3\nb,1,2\n"
    assert verify.diff_tables(old, new) == ["row (id=a, #2): column 'ci (2)': '2' -> '3'"]


# --- the command line, on a fake build ------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "verify.py"), *args], capture_output=True,
                          text=True)


def test_update_then_check_passes_and_a_changed_cell_fails(tmp_path):
    reference = tmp_path / "reference"
    results = fake_results(tmp_path / "build")
    assert run_cli("update", "--results", str(results), "--reference", str(reference)).returncode == 0
    assert (reference / "tables" / "response_proportions.csv").read_text(encoding="utf-8") == TABLE
    stored = json.loads((reference / "manifest.json").read_text(encoding="utf-8"))
    assert set(stored["files"]) == set(verify.manifest_of(results)) and stored["tools"] == {"pandoc": "3.1"}
    ok = run_cli("check", "--results", str(results), "--reference", str(reference))
    assert ok.returncode == 0 and "OK" in ok.stdout

    (results / "tables" / "response_proportions.csv").write_text(TABLE.replace(",5,0.5", ",5,0.55"), encoding="utf-8")
    old_svg = verify.sha256_bytes(b"<svg/>\n")
    (results / "figures" / "response_forest.svg").write_text("<svg><g/></svg>\n", encoding="utf-8")
    (results / "report" / "review.pdf").unlink()
    failed = run_cli("check", "--results", str(results), "--reference", str(reference))
    assert failed.returncode == 1
    assert ("row (study_id=beta2012, arm_id=anakinra, timepoint=week 12): column 'proportion': '0.5' -> '0.55'"
            in failed.stdout)
    new_svg = verify.sha256_bytes(b"<svg><g/></svg>\n")
    assert f"results/figures/response_forest.svg: sha256 {old_svg} -> {new_svg}" in failed.stdout
    assert "results/report/review.pdf: in the reference but not built" in failed.stdout
    assert "make update-reference" in failed.stdout


def test_check_without_a_reference_fails(tmp_path):
    result = run_cli("check", "--results", str(fake_results(tmp_path)), "--reference", str(tmp_path / "none"))
    assert result.returncode == 1 and "make update-reference" in result.stdout


def test_make_targets_verify_update_reference_and_report_recover():
    # -o: take the virtual environment as given (a dry run must not try to create it)
    dry = subprocess.run(["make", "-n", "-o", ".venv/.installed-from-lock", "verify", "update-reference", "report"],
                         cwd=REPO, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "scripts/verify.py check --build" in dry.stdout
    assert "scripts/verify.py update --build" in dry.stdout
    assert "--rerun-incomplete" in dry.stdout  # a killed build's incomplete outputs are rebuilt, not refused


# --- the committed reference ----------------------------------------------------------------------------

def test_committed_reference_is_consistent():
    reference = verify.load_reference(REPO / "reference")
    assert reference["files"], "reference/manifest.json is missing: run `make update-reference`"
    tables = {p for p in reference["files"] if p.startswith("results/tables/")}
    assert {f"results/tables/{p.name}" for p in (REPO / "reference" / "tables").glob("*.csv")} == tables
    for path in tables:
        stored = REPO / "reference" / "tables" / Path(path).name
        assert verify.sha256_bytes(stored.read_bytes()) == reference["files"][path], path
    assert {"results/report/review.html", "results/report/review.pdf"} <= set(reference["files"])
    assert any(p.startswith("results/figures/") for p in reference["files"])


@pytest.mark.build
def test_a_build_from_scratch_reproduces_the_committed_reference(built_repo, capsys):
    """What `make verify` checks, on the suite's own build from scratch (so CI proves it on every run)."""
    status = verify.check(REPO / "reference", built_repo / "results")
    assert status == 0, capsys.readouterr().out
