"""Build-time benchmark (run on demand with `make bench`; not part of the test suite).

Times, in a temporary copy of the repository: a full build from scratch, a no-op rebuild, and an
incremental rebuild after editing one curated efficacy row. Prints a Markdown table for the README.
"""

import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
sys.path.insert(0, str(REPO / "tests"))
from conftest import copy_repository, sources_dir  # noqa: E402


def timed_build(workdir: Path) -> float:
    """Seconds for `snakemake --cores all` in ``workdir``."""
    config = ["--config", f"sources_dir={sources_dir()}"] if sources_dir() else []
    start = time.perf_counter()
    subprocess.run([SNAKEMAKE, "--cores", "all", "--quiet", "all", *config], cwd=workdir, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def edit_one_efficacy_row(workdir: Path) -> None:
    """Append to the note of the first efficacy row (a curator's typical one-row edit)."""
    path = workdir / "data" / "efficacy.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["note"] = (rows[0]["note"] + " Benchmark edit.").strip()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sjia-bench-") as tmp:
        workdir = copy_repository(Path(tmp) / "repo")
        full = timed_build(workdir)
        noop = timed_build(workdir)
        edit_one_efficacy_row(workdir)
        incremental = timed_build(workdir)
    print("| build | seconds |\n|---|---|")
    print(f"| full build from scratch | {full:.1f} |")
    print(f"| no-op rebuild | {noop:.1f} |")
    print(f"| incremental (one efficacy row edited) | {incremental:.1f} |")


if __name__ == "__main__":
    main()
