"""Build-time benchmark (run on demand with `make bench`; not part of the test suite).

In a temporary copy of the repository, times a full build from scratch, a no-op rebuild and an incremental
rebuild after editing one curated efficacy row, on the real evidence tables and on synthetic tables 10 and
100 times larger (every study copied under new ids, written into the temporary copy, never into data/).
Prints Markdown tables for the README: the three timings per scale, and where the time of the full build
goes (summed job time per rule, from Snakemake's log).

    python benchmarks/benchmark.py            # scales 1, 10, 100
    python benchmarks/benchmark.py --scale 1  # the real data only
"""

import argparse
import csv
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
sys.path.insert(0, str(REPO / "tests"))
from conftest import copy_repository  # noqa: E402

CURATED = ["inclusion_log", "studies", "arms", "efficacy", "safety", "meta_estimates"]


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
                copy = {**row, "study_id": f"{row['study_id']}_x{k}"}
                if table == "inclusion_log":
                    copy["source_file"] = row["source_file"].replace(".txt", f"_x{k}.txt")
                copies.append(copy)
        write_rows(path, fields, rows + copies)
    bib = workdir / "report" / "references.bib"
    text = bib.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=@)", text.strip())
    extra = [re.sub(r"^(@\w+\{)([^,]+),", lambda m: f"{m[1]}{m[2]}_x{k},", e, count=1)
             for k in range(1, factor) for e in entries]
    bib.write_text(text.rstrip() + "\n\n" + "\n\n".join(extra) + "\n", encoding="utf-8")


def build(workdir: Path) -> tuple[float, str]:
    """Seconds for `snakemake --cores all` (no sources folder: the synthetic copies have no source texts)."""
    start = time.perf_counter()
    subprocess.run([SNAKEMAKE, "--cores", "all"], cwd=workdir, check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    return elapsed, logs[-1].read_text(encoding="utf-8") if logs else ""


def seconds_per_rule(log: str) -> dict[str, float]:
    """Summed job durations per rule, from the timestamps Snakemake writes when jobs start and finish."""
    started, rule_of, totals = {}, {}, defaultdict(float)
    stamp = None
    for line in log.splitlines():
        match = re.match(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$", line.strip())
        if match:
            stamp = datetime.strptime(match[1], "%a %b %d %H:%M:%S %Y")
            continue
        rule = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if rule:
            current = rule[1]
            continue
        job = re.match(r"^jobid: (\d+)$", line.strip())
        if job and stamp is not None:
            started[job[1]], rule_of[job[1]] = stamp, current
            continue
        finished = re.match(r"^Finished jobid: (\d+)", line.strip())
        if finished and finished[1] in started:
            totals[rule_of[finished[1]]] += (stamp - started[finished[1]]).total_seconds()
    return dict(totals)


def edit_one_efficacy_row(workdir: Path) -> None:
    """Append to the note of the first efficacy row (a curator's typical one-row edit)."""
    path = workdir / "data" / "efficacy.csv"
    fields, rows = read_rows(path)
    rows[0]["note"] = (rows[0]["note"] + " Benchmark edit.").strip()
    write_rows(path, fields, rows)


def benchmark(factor: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sjia-bench-") as tmp:
        workdir = copy_repository(Path(tmp) / "repo")
        scale_evidence(workdir, factor)
        _, studies = read_rows(workdir / "data" / "studies.csv")
        full, log = build(workdir)
        noop, _ = build(workdir)
        edit_one_efficacy_row(workdir)
        incremental, _ = build(workdir)
        return {"factor": factor, "studies": len(studies), "full": full, "noop": noop, "incremental": incremental,
                "per_rule": seconds_per_rule(log)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args()
    results = [benchmark(factor) for factor in args.scale]
    print("| evidence | studies | full build (s) | no-op (s) | incremental, one efficacy row (s) |")
    print("|---|---|---|---|---|")
    for r in results:
        name = "real tables" if r["factor"] == 1 else f"synthetic x{r['factor']}"
        print(f"| {name} | {r['studies']} | {r['full']:.1f} | {r['noop']:.1f} | {r['incremental']:.1f} |")
    print("\nJob time per rule in the full build (seconds, summed over jobs; jobs run two at a time):\n")
    rules = sorted({rule for r in results for rule in r["per_rule"]})
    print("| rule | " + " | ".join(f"x{r['factor']}" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for rule in rules:
        print(f"| {rule} | " + " | ".join(f"{r['per_rule'].get(rule, 0):.0f}" for r in results) + " |")


if __name__ == "__main__":
    main()
