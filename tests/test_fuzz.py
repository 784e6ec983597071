"""Fuzzing the curated-data contract: any bytes as a curated file give clean tables or a CurationError.

The contract (what a curator may rely on): whatever is saved as ``data/<table>.csv``, validation either
refuses it with a ``CurationError`` listing problems that each name a curated file (with the line and column
where the problem has one; a problem in a changed cell gives that cell's line), or accepts it, and then
cleaning turns it into a clean table with one row per validated row. Any other exception (KeyError,
ValueError, ...) is a bug: the build would stop with a traceback instead of a line a curator can act on.

Two strategies: arbitrary bytes (finds encoding and CSV-structure holes) and single-cell mutations of the
real, valid file (keeps the rest valid, so the mutated value travels through the deep checks and cleaning).
Runs are deterministic (``derandomize=True``, no example database); ``FUZZ_EXAMPLES=1500`` searches harder.
Found so far, and fixed in scripts/validate.py: counts such as '٣', '１２', '1_000' or 20 digits passed
validation (Python's int() reads them) and crashed cleaning (pandas does not); problems in the first data
row were reported on line 1.
"""

import csv
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clean
import validate
from conftest import REPO

pytestmark = pytest.mark.fuzz

FUZZED_TABLES = ["safety", "efficacy"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))

fuzz_settings = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A copy of data/ and the bibliography; each example overwrites one curated file and restores it after."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "data", root / "data")
    shutil.copy(REPO / "report" / "references.bib", root / "references.bib")
    return root


def original_bytes(table: str) -> bytes:
    return (REPO / "data" / f"{table}.csv").read_bytes()


def check_contract(root: Path, table: str, content: bytes, changed: "Changed | None" = None) -> object:
    """Write ``content`` as ``data/<table>.csv`` in ``root`` and run validation and cleaning on it.

    Returns the clean table or the CurationError; any other exception propagates and fails the test.
    With ``changed`` (one cell changed), a problem reported in that cell must give that cell's line.
    """
    path = root / "data" / f"{table}.csv"
    datapackage = root / "data" / "datapackage.json"
    bib = root / "references.bib"
    path.write_bytes(content)
    try:
        try:
            validate.validate(datapackage, bib, None, [table])
        except validate.CurationError as error:
            problems = validate.find_problems(datapackage, bib, None, [table])
            assert problems, "validate() raised although find_problems() finds nothing"
            message = str(error)
            for problem in problems[: validate.MAX_PROBLEMS_SHOWN]:
                assert str(problem) in message
                assert Path(problem.file).parent == root / "data", str(problem)  # names a curated file
                assert problem.line is None or problem.line >= 1, str(problem)
            assert any(p.file == str(path) for p in problems), message  # and points at the file that changed
            if changed is not None and changed.line is not None:
                for problem in problems:
                    if problem.column == changed.column and problem.value == changed.value:
                        assert problem.line == changed.line, f"{problem} (the changed cell is on line {changed.line})"
            return error
        curated = {other.stem: clean.read_curated(other) for other in (root / "data").glob("*.csv")}
        cleaned = clean.clean_table(table, curated, bib)
        assert isinstance(cleaned, pd.DataFrame)
        # The clean table is the table that was validated: one row per curated row, keys unchanged.
        validated_rows = validate.read_rows(path)
        assert len(cleaned) == len(validated_rows)
        assert list(cleaned["study_id"]) == [row["study_id"] for _, row in validated_rows]
        cleaned.to_csv(io.StringIO(), index=False, lineterminator="\n", float_format="%.6g")
        return cleaned
    finally:
        path.write_bytes(original_bytes(table))


# --- strategy 1: arbitrary bytes -----------------------------------------------------------------------

def header_then_anything(table: str):
    """The real header line followed by arbitrary text or bytes (gets past the header checks more often)."""
    header = original_bytes(table).split(b"\n", 1)[0] + b"\n"
    tails = st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8")))
    return tails.map(lambda tail: header + tail)


def any_bytes(table: str):
    return st.one_of(st.binary(max_size=600), st.text(max_size=600).map(lambda t: t.encode("utf-8")),
                     header_then_anything(table))


@pytest.mark.parametrize("table", FUZZED_TABLES)
def test_any_bytes_give_clean_tables_or_a_curation_error(workspace, table):
    @fuzz_settings
    @given(content=any_bytes(table))
    def run(content):
        check_contract(workspace, table, content)

    run()


# --- strategy 2: one cell of the valid file changed ----------------------------------------------------

def parsed(table: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(original_bytes(table).decode("utf-8"), newline="")))
    return rows[0], rows[1:]


def cell_values(table: str):
    """Replacement values: other cells of the file, number-like and hostile text, and anything at all."""
    header, rows = parsed(table)
    seen = sorted({value for row in rows for value in row})
    tricky = ["", " ", "0", "-0", "-1", "00", "1e3", "1E400", "nan", "NaN", "inf", "NA", "None", "null",
              "3,5", "3.5", "3,", ",5", "1.5-2", "1,5–2,5", "2-1", "1 - 2", "<0.001", "≤ 0,05", ">>1", "٣",
              "²", "１２", "9" * 40, "0x10", "1_000", "\u00a0", "\t", '"', "'", ",", "\n", "\r", "\r\n", "\x00",
              "\ufeff", "week 0", "month 1,5", "day 99999999999999999999", "year 1.", "final follow-up",
              "baseline", "not reported", "crp", "mg/dl", "mg/l", "value", "range"]
    numbers = st.from_regex(r"\A[<>≤≥]?\s?[+-]?\d{1,4}([.,]\d{1,3})?(\s?[-–]\s?\d{1,4}([.,]\d{1,3})?)?\Z")
    return st.one_of(st.sampled_from(seen), st.sampled_from(tricky), numbers, st.text(max_size=30))


def write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Changed:
    """A curated file with one cell changed, and where: the line a text editor shows for that cell's row
    (None when the change was typed in unquoted, which can move cells and lines)."""

    content: bytes
    column: str
    value: str
    line: int | None


def one_cell_changed(table: str):
    header, rows = parsed(table)

    @st.composite
    def build(draw):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(header) - 1))
        value = draw(cell_values(table))
        changed = [list(r) for r in rows]
        changed[row][column] = value
        if draw(st.booleans()):  # properly quoted by a CSV writer ...
            return Changed(write_csv(header, changed), header[column], value, row + 2)
        lines = original_bytes(table).decode("utf-8").split("\n")  # ... or typed into a text editor
        fields = next(csv.reader([lines[row + 1]]))
        fields[column] = value
        lines[row + 1] = ",".join(fields)
        return Changed("\n".join(lines).encode("utf-8"), header[column], value, None)

    return build()


def one_phrase_kept_cell_changed(table: str):
    """A number cell changed and the new number appended to the row's phrase (passes provenance, reaches clean)."""
    header, rows = parsed(table)
    resources = {r["name"]: r for r in validate.load_descriptor(REPO / "data" / "datapackage.json")["resources"]}
    numbers = resources[table]["provenance"]["numbers"]
    phrase = header.index("source_phrase")

    @st.composite
    def build(draw):
        row = draw(st.integers(0, len(rows) - 1))
        column = header.index(draw(st.sampled_from(numbers)))
        value = draw(cell_values(table))
        changed = [list(r) for r in rows]
        changed[row][column] = value
        changed[row][phrase] = f"{changed[row][phrase]} {value}"
        return Changed(write_csv(header, changed), header[column], value, row + 2)

    return build()


@pytest.mark.parametrize("table", FUZZED_TABLES)
def test_one_changed_cell_gives_clean_tables_or_a_curation_error(workspace, table):
    @fuzz_settings
    @given(changed=st.one_of(one_cell_changed(table), one_phrase_kept_cell_changed(table)))
    def run(changed):
        check_contract(workspace, table, changed.content, changed)

    run()


def test_the_unchanged_files_pass_the_contract_as_clean_tables(workspace):
    for table in FUZZED_TABLES:
        assert isinstance(check_contract(workspace, table, original_bytes(table)), pd.DataFrame)


def test_the_contract_check_catches_a_crash(workspace, monkeypatch):
    """The harness itself can fail: a cleaner that raises something other than CurationError is caught."""
    def broken(*args):
        raise ValueError("boom")

    monkeypatch.setattr(clean, "clean_safety", broken)
    with pytest.raises(ValueError, match="boom"):
        check_contract(workspace, "safety", original_bytes("safety"))


@pytest.mark.parametrize("value", ["٣", "１２", "1_000", "9" * 19])
def test_integers_python_reads_but_pandas_does_not_are_refused_with_line_and_column(workspace, value):
    """Found by the fuzzer: Frictionless accepted these counts (Python's int() does), cleaning crashed on them."""
    header, rows = parsed("efficacy")
    rows = [list(r) for r in rows]
    rows[0][header.index("events")] = value
    rows[0][header.index("source_phrase")] += f" {value}"  # so that only the integer check can object
    error = check_contract(workspace, "efficacy", write_csv(header, rows), Changed(b"", "events", value, 2))
    assert isinstance(error, validate.CurationError)
    assert f"efficacy.csv, line 2, column 'events': value '{value}' - expected a whole number" in str(error)
