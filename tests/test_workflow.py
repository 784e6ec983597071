"""The whole workflow, built in temporary copies of the repository: outputs, determinism, incremental rebuilds."""

import csv
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SNAKEMAKE, copy_repository, snakemake

pytestmark = pytest.mark.build

DETERMINISTIC = ["results/report/review.html", "results/report/review.pdf", "results/tables", "results/figures",
                 "results/clean"]


def digests(root: Path) -> dict[str, str]:
    files = []
    for name in DETERMINISTIC:
        path = root / name
        files += sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def planned_jobs(workdir: Path) -> list[str]:
    """Rules a dry run would execute (empty when everything is up to date)."""
    result = snakemake(workdir, "--dry-run", "--quiet", "rules")
    return [rule for rule in re.findall(r"^(\w+)\s+\d+$", result.stdout, flags=re.M) if rule != "total"]


def test_build_produces_review_html_pdf_and_manifest(built_repo):
    html = built_repo / "results/report/review.html"
    pdf = built_repo / "results/report/review.pdf"
    assert html.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")
    manifest = json.loads((built_repo / "results/manifest.json").read_text())
    assert set(manifest) == {"git_commit", "inputs", "outputs", "tools", "version"}
    assert "data/efficacy.csv" in manifest["inputs"]
    assert manifest["outputs"]["results/report/review.pdf"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert {"snakemake", "pandas", "pandoc", "typst"} <= set(manifest["tools"])


def test_outputs_stay_under_results(built_repo, tmp_path):
    pristine = copy_repository(tmp_path / "pristine")
    before = {p.relative_to(pristine) for p in pristine.rglob("*") if p.is_file()}
    after = {p.relative_to(built_repo) for p in built_repo.rglob("*") if p.is_file()}
    new = sorted(str(p) for p in after - before if p.parts[0] not in {"results", ".snakemake"} and "__pycache__" not in p.parts)
    assert new == []


def test_pdf_is_a4_with_page_numbers(built_repo):
    from pypdf import PdfReader

    reader = PdfReader(built_repo / "results/report/review.pdf")
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842), "A4 is 595 x 842 pt"
    assert len(reader.pages) >= 3
    last_line = reader.pages[1].extract_text().strip().splitlines()[-1]
    assert last_line.strip() == "2"


def test_two_builds_from_scratch_are_byte_identical(built_repo, tmp_path):
    second = copy_repository(tmp_path / "second")
    snakemake(second)
    first_digests, second_digests = digests(built_repo), digests(second)
    assert len(first_digests) > 10
    differing = sorted(k for k in first_digests if first_digests[k] != second_digests.get(k))
    assert differing == []


def test_no_op_rerun_plans_nothing(built_repo):
    assert planned_jobs(built_repo) == []


def edit_first_row(path: Path, column: str, text: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0][column] = (rows[0][column] + text).strip()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def planned_job_counts(workdir: Path) -> dict[str, int]:
    """Jobs a dry run would execute, per rule."""
    result = snakemake(workdir, "--dry-run", "--quiet", "rules")
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", result.stdout, flags=re.M) if rule != "total"}


# What must rerun after each kind of edit, and nothing else: an edit costs what it changes. Every data edit
# reruns the validation report, the evidence summary (flow and certainty draw on every family), the review
# and the manifest.
EVERY_DATA_EDIT = {"validation_report": 1, "evidence_summary_tables": 1, "evidence_summary_figures": 1,
                   "execute_review": 1, "render_html": 1, "render_pdf": 1, "build_manifest": 1, "all": 1}


@pytest.mark.parametrize("table, family", [("efficacy", "efficacy"), ("safety", "safety"),
                                           ("risk_of_bias", "appraisal")])
def test_a_one_row_edit_plans_only_its_table_and_family(built_repo, tmp_path, table, family):
    workdir = copy_repository(tmp_path / "incremental")
    shutil.copytree(built_repo / "results", workdir / "results")
    shutil.copytree(built_repo / ".snakemake", workdir / ".snakemake")
    assert planned_jobs(workdir) == []
    edit_first_row(workdir / f"data/{table}.csv", "note" if table != "risk_of_bias" else "rationale", " Re-checked.")
    assert planned_job_counts(workdir) == {"clean_table": 1, f"{family}_tables": 1, f"{family}_figures": 1,
                                           **EVERY_DATA_EDIT}


def test_editing_one_curated_row_rebuilds_and_changes_only_what_depends_on_it(built_repo, tmp_path):
    workdir = copy_repository(tmp_path / "incremental")
    snakemake(workdir)
    before = digests(workdir)
    edit_first_row(workdir / "data/safety.csv", "note", " Re-checked.")
    snakemake(workdir)
    after = digests(workdir)
    changed = sorted(name for name in before if before[name] != after[name])
    assert "results/clean/safety.csv" in changed
    assert [name for name in changed if name.startswith("results/clean/")] == ["results/clean/safety.csv"]
    assert not [name for name in changed if name.startswith("results/figures/")]  # a note is not drawn
    assert "results/tables/marker_changes.csv" not in changed  # computed from efficacy, not safety
    assert planned_jobs(workdir) == []


def test_editing_the_review_reruns_only_the_rendering(built_repo, tmp_path):
    workdir = copy_repository(tmp_path / "text-edit")
    shutil.copytree(built_repo / "results", workdir / "results")
    shutil.copytree(built_repo / ".snakemake", workdir / ".snakemake")
    (workdir / "report/style.css").write_text("/* edited */\n", encoding="utf-8")
    assert planned_job_counts(workdir) == {"render_html": 1, "build_manifest": 1, "all": 1}
    qmd = workdir / "report/review.qmd"
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert planned_job_counts(workdir) == {"execute_review": 1, "render_html": 1, "render_pdf": 1,
                                           "build_manifest": 1, "all": 1}


def test_snakemake_lint_is_clean(built_repo):
    result = subprocess.run([SNAKEMAKE, "--lint"], cwd=built_repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_malformed_curated_file_stops_the_build_before_analysis(tmp_path):
    workdir = copy_repository(tmp_path / "broken")
    path = workdir / "data/efficacy.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    fields = next(csv.reader([text[1]]))
    fields[header.index("outcome")] = "acr_pedi_35"
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    text[1] = buffer.getvalue()
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    before = path.read_bytes()
    result = snakemake(workdir, check=False)
    assert result.returncode != 0
    assert "data/efficacy.csv, line 2, column 'outcome': value 'acr_pedi_35'" in result.stderr + result.stdout
    # nothing is computed from the broken table, and there is no review
    assert not (workdir / "results/clean/efficacy.csv").exists()
    assert not list((workdir / "results").glob("tables/rct_response.csv"))
    assert not (workdir / "results/report").exists()
    assert path.read_bytes() == before


def test_make_report_and_plain_snakemake_use_the_same_configuration():
    """`make report` passes no --config of its own unless SOURCES is given, so it and `snakemake --cores all`
    resolve the same sources folder (config 'auto') and neither rebuilds what the other built."""
    from conftest import REPO

    plain = subprocess.run(["make", "-n", "report"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    command = next(line for line in plain.splitlines() if "snakemake --cores" in line)
    assert "--config" not in command
    chosen = subprocess.run(["make", "-n", "report", "SOURCES=/elsewhere/texts"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout
    assert "--config sources_dir=/elsewhere/texts" in chosen


def test_failed_make_report_ends_with_the_curated_data_problems(tmp_path):
    """The curator sees the problems last, after Snakemake's own traceback, in words that say the fix."""
    from conftest import REPO

    workdir = copy_repository(tmp_path / "broken")
    path = workdir / "data/arms.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",active,", ",treated,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    venv_bin = str(Path(SNAKEMAKE).parent)
    result = subprocess.run(["make", "report", f"BIN={venv_bin}", "STAMP=/dev/null", "SOURCES="], cwd=workdir,
                            capture_output=True, text=True)
    assert result.returncode != 0
    printed = [line for line in result.stderr.splitlines() if line.strip()]
    last = [line for line in printed if not re.match(r"make(\[\d+\])?: ", line)][-1]  # make's own closing line
    assert last.strip().startswith("data/arms.csv, line 2, column 'role': value 'treated' - expected one of")
    assert not (workdir / "results/clean/arms.csv").exists()
    assert not (workdir / "results/report").exists()
