"""Build-time benchmark (run on demand with `make bench`; not part of the test suite).

In a temporary copy of the repository, times a full build from scratch, a no-op rebuild, and the rebuilds
after three kinds of edit a curator makes: one efficacy row, one safety row, one sentence of the review; on
the real evidence tables and on synthetic tables 10 and 100 times larger (every study copied under new ids,
written into the temporary copy, never into data/). Prints Markdown tables for the README: the timings per
scale (the no-op as the median of three runs) with each edit's share of the full build, and where the time
of the full build goes: wall-clock seconds of each rule's jobs (summed over a rule's jobs), from the
`benchmark:` files Snakemake writes (results/benchmarks/).

    python benchmarks/benchmark.py            # scales 1, 10, 100
    python benchmarks/benchmark.py --scale 1  # the real data only
"""

import argparse
import csv
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
sys.path.insert(0, str(REPO / "tests"))
from conftest import copy_repository  # noqa: E402

CURATED = ["inclusion_log", "studies", "arms", "efficacy", "safety", "meta_estimates", "overlaps", "extraction_passes",
           "risk_of_bias"]


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def scale_evidence(workdir: Path, factor: int) -> None:
    """Make the copy's evidence ``factor`` times larger: each study copied under ids ``<id>_x<k>``."""
    if factor == 1:
        return
    for table in CURATED:
        path = workdir / "data" / f"{table}.csv"
        fields, rows = read_rows(path)
        copies = []
        for k in range(1, factor):
            for row in rows:
                copy = {**row}
                if "study_id" in row:
                    copy["study_id"] = f"{row['study_id']}_x{k}"
                if row.get("shares_patients_with"):
                    copy["shares_patients_with"] = f"{row['shares_patients_with']}_x{k}"
                for column in ("source_file", "line_source_file", "background_source_file", "support_file"):
                    if row.get(column):  # each copy cites its own copy of the source text
                        copy[column] = row[column].replace(".txt", f"_x{k}.txt")
                copies.append(copy)
        write_rows(path, fields, rows + copies)
    bib = workdir / "report" / "references.bib"
    text = bib.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=@)", text.strip())
    extra = [re.sub(r"^(@\w+\{)([^,]+),", lambda m: f"{m[1]}{m[2]}_x{k},", e, count=1)
             for k in range(1, factor) for e in entries]
    bib.write_text(text.rstrip() + "\n\n" + "\n\n".join(extra) + "\n", encoding="utf-8")


def build(workdir: Path) -> float:
    """Seconds for `snakemake --cores all` (no sources folder: the synthetic copies have no source texts)."""
    start = time.perf_counter()
    result = subprocess.run([SNAKEMAKE, "--cores", "all"], cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the build failed in {workdir}:\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def seconds_per_rule(workdir: Path) -> dict[str, float]:
    """Wall-clock seconds of each rule's jobs in the last build that ran them (Snakemake's `benchmark:` files;
    a rule with one job per table, such as clean_table, has a folder of them, summed here)."""
    seconds = {}
    for path in sorted((workdir / "results" / "benchmarks").rglob("*.tsv")):
        rule = path.parent.name if path.parent.name != "benchmarks" else path.stem
        with path.open(encoding="utf-8", newline="") as handle:
            seconds[rule] = seconds.get(rule, 0.0) + float(next(csv.DictReader(handle, delimiter="\t"))["s"])
    return seconds


def edit_one_row(workdir: Path, table: str) -> None:
    """Append to the note of the first row of a curated table (a curator's typical one-row edit)."""
    path = workdir / "data" / f"{table}.csv"
    fields, rows = read_rows(path)
    rows[0]["note"] = (rows[0]["note"] + " Benchmark edit.").strip()
    write_rows(path, fields, rows)


def edit_one_sentence(workdir: Path) -> None:
    """Add one sentence to the review's text (no code, no number)."""
    qmd = workdir / "report" / "review.qmd"
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\nOne more sentence for the benchmark.\n", encoding="utf-8")


EDITS = {"efficacy row": lambda w: edit_one_row(w, "efficacy"), "safety row": lambda w: edit_one_row(w, "safety"),
         "sentence": edit_one_sentence}


def benchmark(factor: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sjia-bench-") as tmp:
        workdir = copy_repository(Path(tmp) / "repo")
        scale_evidence(workdir, factor)
        _, studies = read_rows(workdir / "data" / "studies.csv")
        full = build(workdir)
        per_rule = seconds_per_rule(workdir)
        noop = statistics.median(build(workdir) for _ in range(3))
        edits = {}
        for name, edit in EDITS.items():
            edit(workdir)
            edits[name] = build(workdir)
        return {"factor": factor, "studies": len(studies), "full": full, "noop": noop, "edits": edits,
                "per_rule": per_rule}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args()
    results = [benchmark(factor) for factor in args.scale]
    print("| evidence | studies | full build (s) | no-op (s) | " + " | ".join(f"one {name} (s, share of full)"
                                                                     for name in EDITS) + " |")
    print("|---|---|---|---|" + "---|" * len(EDITS))
    for r in results:
        name = "real tables" if r["factor"] == 1 else f"synthetic x{r['factor']}"
        edits = " | ".join(f"{r['edits'][edit]:.1f} ({r['edits'][edit] / r['full']:.0%})" for edit in EDITS)
        print(f"| {name} | {r['studies']} | {r['full']:.1f} | {r['noop']:.1f} | {edits} |")
    print("\nJob time per rule in the full build (wall-clock seconds, summed over a rule's jobs; on 2 cores jobs "
          "of different rules run side by side):\n")
    rules = sorted({rule for r in results for rule in r["per_rule"]})
    print("| rule | " + " | ".join(f"x{r['factor']}" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for rule in rules:
        print(f"| {rule} | " + " | ".join(f"{r['per_rule'].get(rule, 0):.1f}" for r in results) + " |")


if __name__ == "__main__":
    main()
