"""Verify that a build from scratch reproduces the committed reference outputs byte for byte.

``reference/manifest.json`` holds the sha256 of every analysis table (``results/tables/*.csv``), figure
(``results/figures/*.svg``) and the review (``results/report/review.html``, ``review.pdf``) as the
committed code and data produce them; ``reference/tables/*.csv`` keeps the tables' content, so that a
difference can be told cell by cell (row key + column, old -> new), not just as two hashes.

    python scripts/verify.py check  --build     # build from scratch in a temporary copy, compare  (make verify)
    python scripts/verify.py update --build     # ... and rewrite the reference        (make update-reference)
    python scripts/verify.py check  --results results   # compare an existing build instead

Exit status of ``check``: 0 when everything matches, 1 when something differs (the differences are listed),
2 when the build itself fails. ``check`` also writes what it found as a Markdown report for a reviewer
(``--report``; by default ``results/verify/report.md`` of the repository with ``--build``, ``verify/report.md``
inside the folder given with ``--results``): the outcome and, for every differing table, every changed cell.
The logic is in small pure functions (``compare_manifests``, ``diff_tables``, ``markdown_report``) tested in
``tests/test_verify.py`` and ``tests/test_publishing.py``; tables are compared by ``table_diff``.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from manifest import git_commit
from table_diff import (MAX_CELLS_SHOWN, CellChange, diff_tables, key_columns, read_csv_text,  # noqa: F401
                        table_differences)

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"
CHECKED = ["tables/*.csv", "figures/*.svg", "report/review.html", "report/review.pdf"]  # under results/
MAX_CELLS_IN_REPORT = 2000
DEFAULT_REPORT = Path("verify") / "report.md"  # under results/


# --- manifests -------------------------------------------------------------------------------------------

def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_of(results: Path) -> dict[str, str]:
    """``{'results/tables/x.csv': sha256, ...}`` for the checked outputs under a ``results`` folder."""
    results = Path(results)
    files = {}
    for pattern in CHECKED:
        for path in sorted(results.glob(pattern)):
            if path.is_file():
                files[f"results/{path.relative_to(results).as_posix()}"] = sha256_bytes(path.read_bytes())
    return files


@dataclass(frozen=True)
class Change:
    """One checked output that differs from the reference: ``changed``, ``missing`` (not built) or ``new``."""

    path: str
    kind: str
    old: str | None
    new: str | None


def compare_manifests(reference: dict[str, str], current: dict[str, str]) -> list[Change]:
    """Outputs whose hash differs, that the reference has but the build lacks, or that only the build has."""
    changes = []
    for path in sorted(set(reference) | set(current)):
        old, new = reference.get(path), current.get(path)
        if old == new:
            continue
        kind = "missing" if new is None else "new" if old is None else "changed"
        changes.append(Change(path, kind, old, new))
    return changes


# --- cell-level differences of CSV tables ----------------------------------------------------------------

def headline(change: Change) -> str:
    """One line naming a differing output and how it differs."""
    if change.kind == "missing":
        return f"{change.path}: in the reference but not built (reference sha256 {change.old})"
    if change.kind == "new":
        return (f"{change.path}: built but not in the reference (sha256 {change.new}); "
                "run `make update-reference` if it is meant to be there")
    return f"{change.path}: sha256 {change.old} -> {change.new}"


def table_change(change: Change, reference_dir: Path, results: Path) -> tuple[list[str], list[CellChange]]:
    """For a changed CSV table: notes (no stored copy, a stored copy that does not match its hash, columns and
    rows added or removed) and the changed cells, from the copy in ``reference/tables/``. Empty for other files."""
    if change.kind != "changed" or not change.path.endswith(".csv"):
        return [], []
    stored = Path(reference_dir) / "tables" / Path(change.path).name
    built = Path(results) / Path(change.path).relative_to("results")
    if not stored.is_file():
        return [f"(no copy of the reference table at {stored}; cannot tell which cells changed)"], []
    warning = ([f"(warning: {stored} does not match its hash in the manifest)"]
               if sha256_bytes(stored.read_bytes()) != change.old else [])
    notes, cells = table_differences(stored.read_text(encoding="utf-8"), built.read_text(encoding="utf-8"))
    return warning + notes, cells


def describe_changes(changes: list[Change], reference_dir: Path, results: Path) -> list[str]:
    """Human-readable report: cell differences for CSV tables, path and old/new hash for everything else."""
    lines = []
    for change in changes:
        lines.append(headline(change))
        notes, cells = table_change(change, reference_dir, results)
        lines += [f"    {line}" for line in notes + [cell.line() for cell in cells[:MAX_CELLS_SHOWN]]]
        if len(cells) > MAX_CELLS_SHOWN:
            lines.append(f"    ... and {len(cells) - MAX_CELLS_SHOWN} more changed cells")
    return lines


def tool_differences(reference_tools: dict, current_tools: dict) -> list[str]:
    """Tool versions that differ between the reference build and this one (a likely reason for byte changes)."""
    return [f"{name}: {reference_tools.get(name)} -> {current_tools.get(name)}"
            for name in sorted(set(reference_tools) | set(current_tools))
            if reference_tools.get(name) != current_tools.get(name)]


# --- reference on disk ----------------------------------------------------------------------------------

def load_reference(reference_dir: Path) -> dict:
    path = Path(reference_dir) / "manifest.json"
    if not path.is_file():
        return {"files": {}, "tools": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def write_reference(reference_dir: Path, results: Path) -> dict:
    """Rewrite ``reference/manifest.json`` and ``reference/tables/*.csv`` from a build's ``results`` folder."""
    reference_dir, results = Path(reference_dir), Path(results)
    files = manifest_of(results)
    build_manifest = results / "manifest.json"
    tools = json.loads(build_manifest.read_text(encoding="utf-8")).get("tools", {}) if build_manifest.is_file() else {}
    reference = {
        "about": "sha256 of the outputs a build from scratch must reproduce byte for byte. "
                 "Checked by `make verify`; rewritten only by `make update-reference` after a deliberate change.",
        "files": files,
        "tools": tools,
    }
    tables = reference_dir / "tables"
    if tables.is_dir():
        shutil.rmtree(tables)
    tables.mkdir(parents=True)
    for path in files:
        if path.startswith("results/tables/"):
            shutil.copyfile(results / Path(path).relative_to("results"), tables / Path(path).name)
    (reference_dir / "manifest.json").write_text(json.dumps(reference, indent=2, sort_keys=True) + "\n",
                                                 encoding="utf-8")
    return reference


# --- building from scratch ------------------------------------------------------------------------------

def copy_working_tree(target: Path) -> Path:
    """Tracked and untracked-but-not-ignored files of the repository (no results, caches or .snakemake)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode("utf-8").split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def export_revision(revision: str, target: Path) -> Path:
    """The files of a git revision (e.g. HEAD), as committed."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True, check=True)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        try:
            tar.extractall(target, filter="data")
        except TypeError:  # Python < 3.11.4 has no extraction filters; git archive output is trusted
            tar.extractall(target)
    return target


class BuildFailed(SystemExit):
    """The build from scratch failed: exit status 2, with the end of the build's output for the report."""

    def __init__(self, returncode: int, output: str):
        super().__init__(2)
        self.returncode, self.output = returncode, output


def revision_commit(revision: str) -> str:
    """The commit a revision names, or the revision itself when git cannot tell."""
    found = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=REPO, capture_output=True,
                           text=True)
    return found.stdout.strip() if found.returncode == 0 else revision


def build_from_scratch(workdir: Path, cores: str, sources: str | None, revision: str | None) -> Path:
    """Copy the repository (working tree or ``revision``) into ``workdir``, build everything, return results/."""
    repo = export_revision(revision, workdir / "repo") if revision else copy_working_tree(workdir / "repo")
    command = [str(Path(sys.executable).parent / "snakemake"), "--cores", str(cores)]
    if sources:
        command += ["--config", f"sources_dir={Path(sources).resolve()}"]
    print(f"verify: building from scratch in {repo} ({'git ' + revision if revision else 'working tree'}): "
          f"{' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if result.returncode != 0:
        output = result.stdout[-4000:] + result.stderr[-8000:]
        sys.stderr.write(output)
        print(f"verify: the build from scratch failed (exit {result.returncode}); nothing compared", file=sys.stderr)
        raise BuildFailed(result.returncode, output)
    return repo / "results"


# --- the report for a reviewer ---------------------------------------------------------------------------

def _cell(text: object) -> str:
    """Text for one cell of a Markdown table: pipes escaped, line breaks as spaces, an empty cell named."""
    text = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text if text.strip() else "*(empty)*"


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def _shown(path: Path) -> str:
    """A path relative to the current folder when it lies inside it (as `make verify` prints it), else as given."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def markdown_report(outcome: str, summary: str, *, built_from: str, reference_dir: Path, results: Path | None,
                    changes: list[Change] = (), tools: list[str] = (), build_output: str = "") -> str:
    """The verification as Markdown: the outcome, what was compared and every difference; for a table every
    changed cell (row key, column, value in the reference, value in this build). Same inputs, same text."""
    reference_dir = Path(reference_dir)
    lines = [f"# Verification report: {outcome}", "", summary, "",
             "| | |", "|---|---|",
             f"| built | {_cell(built_from)} |",
             f"| reference | {_cell(_code(_shown(reference_dir / 'manifest.json')))} |",
             "| checked | analysis tables, figures, review.html and review.pdf, byte for byte (sha256) |"]
    manifest = Path(results) / "manifest.json" if results else None
    if manifest and manifest.is_file():
        commit = json.loads(manifest.read_text(encoding="utf-8")).get("git_commit")
        if commit and commit != "unknown":
            lines.append(f"| git commit of the build | {_cell(_code(commit))} |")
    lines.append("")
    if changes:
        kinds = {"changed": "changed", "missing": "in the reference, not built", "new": "built, not in the reference"}
        lines += ["## Differences", ""]
        for change in changes:
            lines += [f"### {_code(change.path)}: {kinds[change.kind]}", "",
                      f"sha256 in the reference: {_code(change.old or '-')}  ",
                      f"sha256 in this build: {_code(change.new or '-')}", ""]
            notes, cells = table_change(change, reference_dir, results) if results else ([], [])
            lines += [f"- {note}" for note in notes] + ([""] if notes else [])
            if cells:
                lines += [f"{len(cells)} changed cell{'s' if len(cells) != 1 else ''}:", "",
                          "| row | column | reference | this build |", "|---|---|---|---|"]
                lines += [f"| {_cell(c.row)} | {_cell(c.column)} | {_cell(c.old)} | {_cell(c.new)} |"
                          for c in cells[:MAX_CELLS_IN_REPORT]]
                if len(cells) > MAX_CELLS_IN_REPORT:
                    lines.append(f"| ... | | | and {len(cells) - MAX_CELLS_IN_REPORT} more changed cells |")
                lines.append("")
            elif change.kind == "changed" and not change.path.endswith(".csv"):
                lines += ["Not a table: compare the file with the reference build's (only its hash is kept).", ""]
    if tools:
        lines += ["## Tool versions that differ from the reference build", ""]
        lines += [f"- {_cell(tool)}" for tool in tools] + [""]
    if build_output:
        fence = "~~~~"
        lines += ["## End of the build's output", "", fence, build_output.rstrip("\n").replace(fence, "~ ~ ~ ~"),
                  fence, ""]
    if outcome != "OK":
        lines += ["## What to do", "",
                  "If the change is deliberate (new data, a fixed analysis, edited prose), rewrite the reference with "
                  "`make update-reference` and commit it with the change; otherwise find what made the outputs differ.",
                  ""]
    return "\n".join(lines)


def write_report(path: Path, text: str) -> None:
    """Write the report via a temporary file in the same folder and rename it into place (never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.") as handle:
        handle.write(text)
        temporary = Path(handle.name)
    os.chmod(temporary, 0o644)
    temporary.replace(path)
    print(f"verify: report written to {_shown(path)}")


# --- command line ---------------------------------------------------------------------------------------

def check(reference_dir: Path, results: Path, report: Path | None = None, built_from: str | None = None) -> int:
    """Compare a build with the reference; print what differs and, when ``report`` is given, write it there as
    Markdown (``markdown_report``). 0 when equal, 1 otherwise."""
    built_from = built_from or f"results folder {results}"
    reference = load_reference(reference_dir)
    if not reference["files"]:
        message = f"no reference at {reference_dir / 'manifest.json'}; create it with `make update-reference`"
        print(f"verify: {message}")
        if report:
            write_report(report, markdown_report("FAILED", f"Nothing compared: {message}.", built_from=built_from,
                                                 reference_dir=reference_dir, results=results))
        return 1
    current = manifest_of(results)
    changes = compare_manifests(reference["files"], current)
    if not changes:
        print(f"verify: OK - all {len(current)} checked outputs match the reference byte for byte")
        if report:
            write_report(report, markdown_report(
                "OK", f"All {len(current)} checked outputs match the reference byte for byte.",
                built_from=built_from, reference_dir=reference_dir, results=results))
        return 0
    total = len(set(reference["files"]) | set(current))
    print(f"verify: FAILED - {len(changes)} of {total} checked outputs differ from the reference:")
    for line in describe_changes(changes, reference_dir, results):
        print(f"  {line}")
    build_manifest = Path(results) / "manifest.json"
    tools = []
    if build_manifest.is_file():
        tools = tool_differences(reference.get("tools", {}),
                                 json.loads(build_manifest.read_text(encoding="utf-8")).get("tools", {}))
        if tools:
            print("  tool versions differ from the reference build: " + "; ".join(tools))
    print("If the change is deliberate, rewrite the reference with `make update-reference` and commit it.")
    if report:
        write_report(report, markdown_report(
            "FAILED", f"{len(changes)} of {total} checked outputs differ from the reference.", built_from=built_from,
            reference_dir=reference_dir, results=results, changes=changes, tools=tools))
    return 1


def update(reference_dir: Path, results: Path) -> int:
    """Rewrite the reference from a build; print what changed compared with the previous reference."""
    previous = load_reference(reference_dir)
    changes = compare_manifests(previous["files"], manifest_of(results))
    lines = describe_changes(changes, reference_dir, results) if previous["files"] else []
    reference = write_reference(reference_dir, results)
    print(f"verify: reference rewritten: {len(reference['files'])} outputs in {reference_dir / 'manifest.json'}, "
          f"{sum(p.startswith('results/tables/') for p in reference['files'])} tables in {reference_dir / 'tables'}")
    if previous["files"]:
        print(f"  {len(changes)} output(s) changed compared with the previous reference" + (":" if changes else ""))
        for line in lines:
            print(f"  {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check", "update"])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--build", action="store_true", help="build from scratch in a temporary copy of the repository")
    where.add_argument("--results", type=Path, help="use an existing results/ folder instead of building")
    parser.add_argument("--revision",
                        help="with --build: build this git revision (e.g. HEAD) instead of the working tree")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference folder (default: reference/)")
    parser.add_argument("--cores", default="all", help="with --build: snakemake --cores (default: all)")
    parser.add_argument("--sources", help="with --build: source texts folder (config sources_dir)")
    parser.add_argument("--keep", action="store_true", help="with --build: keep the temporary build folder")
    parser.add_argument("--report", type=Path,
                        help="check: write the Markdown report here (default: results/verify/report.md of the "
                             "repository with --build, verify/report.md inside the --results folder)")
    args = parser.parse_args(argv)
    if args.results:
        if args.command == "update":
            return update(args.reference, args.results)
        return check(args.reference, args.results, args.report or args.results / DEFAULT_REPORT)
    report = args.report or REPO / "results" / DEFAULT_REPORT
    what = (f"git revision {args.revision} ({revision_commit(args.revision)})" if args.revision
            else f"the working tree (commit {git_commit(REPO)})")
    built_from = (f"from scratch, in a temporary copy of {what}: snakemake --cores {args.cores}"
                  + (f", sources {Path(args.sources).resolve()}" if args.sources else ""))
    workdir = Path(tempfile.mkdtemp(prefix="sjia-verify-"))
    try:
        try:
            results = build_from_scratch(workdir, args.cores, args.sources, args.revision)
        except BuildFailed as failed:
            if args.command == "check":
                write_report(report, markdown_report(
                    "BUILD FAILED", f"The build from scratch failed (exit {failed.returncode}); nothing was compared.",
                    built_from=built_from, reference_dir=args.reference, results=None, build_output=failed.output))
            raise
        if args.command == "update":
            return update(args.reference, results)
        return check(args.reference, results, report, built_from)
    finally:
        if args.keep:
            print(f"verify: build kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
