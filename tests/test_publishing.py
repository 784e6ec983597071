"""Publishing: the CI workflows (GitHub Actions, GitLab CI), the `make verify` report, CITATION.cff, the version
and the licences.

* The GitHub workflow passes actionlint and GitHub's workflow schema; .gitlab-ci.yml passes GitLab's CI schema
  (both schemas ship inside the check-jsonschema package: nothing is downloaded). Each check is also run on a
  broken copy written to tmp_path, to show that it can fail.
* Both CI files leave what CI runs to `.ci/run` (which runs `make test`, then `make verify`), cache .venv on
  requirements.lock, use Python 3.11 and keep the review, the manifest and the verify report as artifacts.
* `scripts/verify.py check` writes a Markdown report naming every changed cell.
* CITATION.cff is valid CFF 1.2.0 and repeats pyproject.toml's version, which the build manifest records.
"""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import manifest
import verify
from conftest import REPO
from test_verify import TABLE, fake_results, run_cli

BIN = Path(sys.executable).parent
GITHUB_WORKFLOW = REPO / ".github" / "workflows" / "reproduce.yml"
GITLAB_CI = REPO / ".gitlab-ci.yml"
CI_RUN = "bash .ci/run"
ARTIFACTS = {"results/report/review.html", "results/report/review.pdf", "results/manifest.json",
             f"results/{verify.DEFAULT_REPORT.as_posix()}"}
# Top-level keys of .gitlab-ci.yml that are settings, not jobs.
GITLAB_KEYWORDS = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
                   "before_script", "after_script", "spec"}


def tool(name: str) -> str:
    path = BIN / name
    assert path.is_file(), f"{name} is not installed in this environment: install requirements.lock (make test does)"
    return str(path)


def actionlint(path: Path) -> subprocess.CompletedProcess:
    # -no-color: plain messages; shellcheck and pyflakes are used only when they are on PATH
    return subprocess.run([tool("actionlint"), "-no-color", str(path)], capture_output=True, text=True)


def schema_check(schema: str, path: Path) -> subprocess.CompletedProcess:
    """check-jsonschema against one of the schemas it ships (vendor.*): no network."""
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", f"vendor.{schema}", str(path)],
                          capture_output=True, text=True)


def broken_copy(tmp_path: Path, source: Path, old: str, new: str, name: str | None = None) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"the mutation {old!r} no longer applies to {source.name}"
    target = tmp_path / (name or source.name)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def pyproject_version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


# --- GitHub Actions ---------------------------------------------------------------------------------------

def test_github_workflow_passes_actionlint_and_the_workflow_schema():
    linted = actionlint(GITHUB_WORKFLOW)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    checked = schema_check("github-workflows", GITHUB_WORKFLOW)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("old, new, message", [
    ("    runs-on: ubuntu-24.04\n    timeout-minutes: 10", "    timeout-minutes: 10", '"runs-on" section is missing'),
    ("steps.python.outputs.python-version", "steps.pyhton.outputs.python-version", "property \"pyhton\""),
    ("          path: .venv\n", "          paths: .venv\n", "input \"paths\" is not defined"),
])
def test_actionlint_catches_a_broken_workflow(tmp_path, old, new, message):
    linted = actionlint(broken_copy(tmp_path, GITHUB_WORKFLOW, old, new))
    assert linted.returncode == 1 and message in linted.stdout, linted.stdout + linted.stderr


def test_workflow_schema_catches_an_unknown_event(tmp_path):
    broken = broken_copy(tmp_path, GITHUB_WORKFLOW, "  pull_request:", "  pull_requets:")
    checked = schema_check("github-workflows", broken)
    assert checked.returncode == 1, checked.stdout


# --- GitLab CI --------------------------------------------------------------------------------------------

def gitlab_jobs(config: dict) -> dict[str, dict]:
    return {name: job for name, job in config.items()
            if name not in GITLAB_KEYWORDS and not name.startswith(".") and isinstance(job, dict)}


def gitlab_problems(config: dict) -> list[str]:
    """What makes .gitlab-ci.yml disagree with the rule that `.ci/run` says what CI runs: every job runs it,
    except `pages`, which only copies the review that the job running `.ci/run` built into public/."""
    jobs, problems = gitlab_jobs(config), []
    if not jobs:
        return ["no jobs"]
    runners = [name for name, job in jobs.items() if CI_RUN in job.get("script", [])]
    for name, job in jobs.items():
        script = job.get("script", [])
        if name == "pages":
            needed = [n if isinstance(n, str) else n.get("job") for n in job.get("needs", [])]
            if not set(needed) & set(runners):
                problems.append("pages does not take the artifacts of a job that runs .ci/run")
            if "public" not in job.get("artifacts", {}).get("paths", []):
                problems.append("pages does not publish public/")
            if any(re.search(r"\b(make|pytest|snakemake|pip)\b", line) for line in script):
                problems.append("pages builds or tests by itself")
        elif script != [CI_RUN]:
            problems.append(f"job {name!r} runs {script!r} instead of only {CI_RUN!r}")
    return problems


def test_gitlab_ci_matches_the_schema_and_every_job_runs_ci_run():
    checked = schema_check("gitlab-ci", GITLAB_CI)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert gitlab_problems(yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))) == []


def test_gitlab_checks_catch_a_broken_file(tmp_path):
    misspelt = schema_check("gitlab-ci", broken_copy(tmp_path, GITLAB_CI, "    when: always", "    when: sometimes"))
    assert misspelt.returncode == 1 and "sometimes" in misspelt.stdout
    config = yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))
    config["reproduce"]["script"] = ["make test"]
    assert set(gitlab_problems(config)) == {"pages does not take the artifacts of a job that runs .ci/run",
                                            "job 'reproduce' runs ['make test'] instead of only 'bash .ci/run'"}
    config = yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))
    config["pages"]["script"].append("make report")
    assert gitlab_problems(config) == ["pages builds or tests by itself"]


# --- what both CI files and .ci/run promise -----------------------------------------------------------------

def test_ci_run_is_the_one_place_that_says_what_ci_runs():
    commands = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if re.match(r"\s*make\b", line)]
    assert commands == ["make test", "make verify"]
    github = yaml.safe_load(GITHUB_WORKFLOW.read_text(encoding="utf-8"))
    runs = [step["run"] for job in github["jobs"].values() for step in job.get("steps", []) if "run" in step]
    assert runs.count(CI_RUN) == 1
    gitlab = yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))
    scripts = runs + [line for job in gitlab_jobs(gitlab).values() for line in job.get("script", [])]
    assert not [line for line in scripts if re.search(r"\b(make|pytest|snakemake|pip)\b", line)]


def test_both_ci_files_cache_the_venv_on_the_lock_use_python_311_and_keep_the_outputs():
    github = yaml.safe_load(GITHUB_WORKFLOW.read_text(encoding="utf-8"))
    assert set(github[True]) == {"push", "pull_request"}  # PyYAML reads the key `on` as True
    steps = github["jobs"]["reproduce"]["steps"]
    by_action = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert by_action["actions/setup-python"]["with"]["python-version"] == "3.11"
    cache = by_action["actions/cache"]["with"]
    assert cache["path"] == ".venv" and "hashFiles('requirements.lock')" in cache["key"]
    uploaded = by_action["actions/upload-artifact"]
    assert uploaded["if"] == "always()" and set(uploaded["with"]["path"].split()) == ARTIFACTS
    assert [s["uses"].split("@")[0] for s in github["jobs"]["pages"]["steps"]] == ["actions/deploy-pages"]

    gitlab = yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))
    assert gitlab["default"]["image"].startswith("python:3.11-")
    job = gitlab["reproduce"]
    assert job["cache"]["key"]["files"] == ["requirements.lock"] and job["cache"]["paths"] == [".venv/"]
    assert job["artifacts"]["when"] == "always" and set(job["artifacts"]["paths"]) == ARTIFACTS


# --- the verify report --------------------------------------------------------------------------------------

def test_verify_check_writes_a_markdown_report_with_every_changed_cell(tmp_path):
    reference = tmp_path / "reference"
    results = fake_results(tmp_path / "build")
    assert run_cli("update", "--results", str(results), "--reference", str(reference)).returncode == 0
    report = tmp_path / "out" / "report.md"
    ok = run_cli("check", "--results", str(results), "--reference", str(reference), "--report", str(report))
    assert ok.returncode == 0 and report.read_text(encoding="utf-8").startswith("# Verification report: OK")

    (results / "tables" / "response_proportions.csv").write_text(
        TABLE.replace(",5,0.5", ",5,0.55").replace("month 6,6,0.6", "month 6,6,0.6|x"), encoding="utf-8")
    (results / "report" / "review.pdf").unlink()
    failed = run_cli("check", "--results", str(results), "--reference", str(reference), "--report", str(report))
    assert failed.returncode == 1
    assert "row (study_id=beta2012, arm_id=anakinra, timepoint=week 12): column 'proportion'" in failed.stdout
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Verification report: FAILED")
    assert "### `results/tables/response_proportions.csv`: changed" in text
    assert "2 changed cells:" in text
    assert "| study_id=beta2012, arm_id=anakinra, timepoint=week 12 | proportion | 0.5 | 0.55 |" in text
    assert "| study_id=beta2012, arm_id=anakinra, timepoint=month 6 | proportion | 0.6 | 0.6\\|x |" in text
    assert "### `results/report/review.pdf`: in the reference, not built" in text
    assert "make update-reference" in text
    assert [p.name for p in report.parent.iterdir()] == ["report.md"]  # written atomically, nothing left over

    # without --report, beside the results checked
    run_cli("check", "--results", str(results), "--reference", str(reference))
    assert (results / "verify" / "report.md").read_text(encoding="utf-8") == text


def test_make_verify_writes_its_report_to_results_verify_even_when_the_build_fails(tmp_path, monkeypatch):
    """`make verify` (check --build): the report goes to results/verify/report.md of the repository."""
    reference = tmp_path / "reference"
    built = fake_results(tmp_path / "build")
    verify.write_reference(reference, built)
    monkeypatch.setattr(verify, "REPO", tmp_path / "repo")
    monkeypatch.setattr(verify, "build_from_scratch", lambda *args: built)
    assert verify.main(["check", "--build", "--reference", str(reference)]) == 0
    report = tmp_path / "repo" / "results" / "verify" / "report.md"
    assert report.read_text(encoding="utf-8").startswith("# Verification report: OK")
    assert "| built | from scratch, in a temporary copy of the working tree" in report.read_text(encoding="utf-8")

    def fail(*args):
        raise verify.BuildFailed(1, "MissingInputException: data/x.csv\n~~~~\n")

    monkeypatch.setattr(verify, "build_from_scratch", fail)
    with pytest.raises(SystemExit) as stopped:
        verify.main(["check", "--build", "--reference", str(reference)])
    assert stopped.value.code == 2
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Verification report: BUILD FAILED")
    assert "MissingInputException: data/x.csv" in text and text.count("~~~~") == 2  # the fence stays closed


# --- citation, version, licences ----------------------------------------------------------------------------

def test_citation_cff_is_valid_and_repeats_the_version_of_pyproject():
    checked = schema_check("citation-file-format", REPO / "CITATION.cff")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    assert citation["version"] == pyproject_version()
    review = citation["preferred-citation"]
    assert review["type"] == "report" and review["version"] == pyproject_version()
    assert citation["license"] == "MIT" and review["license"] == "CC-BY-4.0"


def test_the_cff_schema_check_catches_an_invalid_citation(tmp_path):
    broken = broken_copy(tmp_path, REPO / "CITATION.cff", "  type: report", "  type: reprot")
    checked = schema_check("citation-file-format", broken)
    assert checked.returncode == 1, checked.stdout


def test_manifest_records_the_version_read_from_pyproject(tmp_path):
    assert manifest.build_manifest([], [], REPO)["version"] == pyproject_version()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "9.9.9"\n', encoding="utf-8")
    assert manifest.project_version(tmp_path) == "9.9.9"
    assert manifest.project_version(tmp_path / "nowhere") == "unknown"


@pytest.mark.build
def test_built_manifest_carries_the_version(built_repo):
    built = json.loads((built_repo / "results" / "manifest.json").read_text(encoding="utf-8"))
    assert built["version"] == pyproject_version()


def test_licences_cover_code_data_and_text_and_pyproject_agrees():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT AND CC-BY-4.0"
    assert sorted(project["license-files"]) == ["LICENSE", "LICENSE-text", "data/LICENSE"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    for path in ("data/LICENSE", "LICENSE-text"):
        text = (REPO / path).read_text(encoding="utf-8")
        assert "Creative Commons Attribution 4.0 International Public License" in text, path
        assert "not redistributed" in text or "not part of this repository" in text, path
