"""The README documents every analysis table with exactly the columns the build writes."""

import csv
import re

import pytest

from conftest import REPO

pytestmark = pytest.mark.build


def documented_tables() -> dict[str, list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Analysis tables"):text.index("## Reproducibility")]
    return {m[1]: [c.strip() for c in m[2].split(",")]
            for m in re.finditer(r"^\| `(\w+)\.csv` \| [^|]+ \| ([^|]+) \|$", section, flags=re.M)}


def test_readme_lists_every_analysis_table_with_its_exact_columns(built_repo):
    written = {}
    for path in sorted((built_repo / "results" / "tables").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            written[path.stem] = next(csv.reader(handle))
    assert documented_tables() == written
