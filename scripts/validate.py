"""Validate the curated evidence tables against their data dictionary (``data/datapackage.json``).

The data dictionary is a Frictionless Data Package: Frictionless checks columns, types, vocabularies,
required cells, primary and foreign keys. This module adds what a Table Schema cannot express (events not
above their denominator, provenance phrases, bibliography entries, the inclusion log) and turns every
problem into one line a curator can act on::

    data/efficacy.csv, line 15, column 'events': value '-11' - expected a value >= 0

Line numbers are the lines of the CSV file as a text editor shows them (the header is line 1). Nothing
here writes to ``data/``.
"""


import csv
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import frictionless

import provenance

MAX_PROBLEMS_SHOWN = 50


class CurationError(Exception):
    """The curated data cannot be used; the message lists every problem found, one per line."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell, row or file of the curated data."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        # Control characters would break the one-problem-per-line layout: show them escaped.
        value = None if self.value is None else re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m[0])[1:-1], str(self.value))
        shown = "" if value is None else f": value '{value}'"
        return f"{where}{shown} - expected {self.expected}"


def load_descriptor(datapackage: Path) -> dict:
    """The data dictionary as a plain dict."""
    return json.loads(Path(datapackage).read_text(encoding="utf-8"))


def check_encoding(path: Path, label: str) -> list[Problem]:
    """A curated file must be UTF-8 without a byte-order mark, and must end with a newline-terminated table."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return [Problem(label, 1, None, None, "UTF-8 without a byte-order mark (the file starts with a BOM; "
                        "save it as 'CSV UTF-8' without BOM)")]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bad = raw[error.start : error.start + 4]
        return [Problem(label, line, None, repr(bad)[2:-1], f"UTF-8 text (byte {error.start} is not UTF-8)")]
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return [Problem(label, line, None, None, "text without NUL bytes")]
    header = raw.split(b"\n", 1)[0]
    if header.count(b";") > header.count(b","):
        return [Problem(label, 1, None, None, "commas between the columns (this file separates them with ';', as "
                        "spreadsheets do in some languages: save it again as 'CSV UTF-8 (comma delimited)', or "
                        "choose ',' as the field delimiter)")]
    return []


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, row) pairs, keeping every value as the text stored."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames  # reads the header now, so that the first row is line 2, not 1 (found by test_fuzz.py)
        rows = []
        line = reader.line_num
        for row in reader:
            rows.append((line + 1, {k: (v or "") for k, v in row.items() if k is not None}))
            line = reader.line_num
        return rows


TYPE_WORDS = {"integer": "a whole number written with the digits 0-9 (e.g. 12)",
              "number": "a number (e.g. 3.5)", "string": "text"}


def suggested_fix(value: str, pattern: str) -> str:
    """A corrected value when dropping a % sign, a unit-like suffix or stray spaces would make it valid."""
    candidate = re.sub(r"\s*%$", "", str(value).strip())
    candidate = re.sub(r"\s*(patients?|pts|PY|mg/l|mg/L)$", "", candidate)
    if candidate != str(value) and candidate and re.fullmatch(pattern, candidate):
        return f"; write {candidate}"
    return ""


def _expected_from_frictionless(error, field: dict | None = None) -> str:
    note = getattr(error, "note", "") or ""
    kind = error.type
    field = field or {}
    if kind == "type-error":
        return TYPE_WORDS.get(field.get("type"), f"a value of type {field.get('type', 'text')}")
    if kind == "constraint-error":
        match = re.match(r'constraint "(\w+)" is "(.*)"', note, flags=re.S)
        if match:
            name, limit = match.groups()
            if name == "pattern":
                hint = field.get("hint") or "the form the data dictionary describes for this column"
                return hint + suggested_fix(getattr(error, "cell", "") or "", limit)
            if name == "enum":
                codes = [str(code) for code in field.get("constraints", {}).get("enum") or []]
                if len(codes) <= 8:
                    return "one of: " + ", ".join(codes) if codes else f"one of {limit}"
                close = difflib.get_close_matches(str(getattr(error, "cell", "")), codes, n=3, cutoff=0.5)
                hint = f"; closest: {', '.join(close)}" if close else ""
                return (f"a code of the data dictionary's vocabulary for this column ({len(codes)} codes, each defined "
                        f"in data/datapackage.json and the review's appendix){hint}")
            return {
                "minimum": f"a value >= {limit}",
                "maximum": f"a value <= {limit}",
                "required": "a value (this column is required)",
            }.get(name, f"{name} {limit}")
        return note
    if kind == "source-error" and "empty" in note:
        return "a header line naming the data dictionary's columns (the file is empty)"
    return {
        "extra-label": "no such column (it is not in the data dictionary)",
        "missing-label": "this column (the data dictionary requires it)",
        "incorrect-label": "the column the data dictionary defines at this position",
        "duplicate-label": "each column name once",
        "blank-label": "a column name",
        "extra-cell": "no more cells than the header has columns",
        "missing-cell": "as many cells as the header has columns",
        "primary-key": "a unique key (this key occurs on an earlier line)",
        "foreign-key": "a key that exists in the referenced table",
        "blank-row": "no empty lines",
        "duplicate-row": "no duplicated rows",
    }.get(kind, note or kind)


def schema_problems(datapackage: Path, names: list[str]) -> list[Problem]:
    """Problems Frictionless finds in tables ``names`` against their Table Schemas (types, vocabularies, keys)."""
    data_dir = Path(datapackage).parent
    package = frictionless.Package(str(datapackage))
    problems = []
    for name in names:
        problems += _frictionless_problems(package.get_resource(name).validate(), datapackage, data_dir)
    return problems


def _frictionless_problems(report, datapackage: Path, data_dir: Path) -> list[Problem]:
    problems = []
    resources = {r["name"]: r for r in load_descriptor(datapackage)["resources"]}
    for task in report.tasks:
        label = str(data_dir / resources[task.name]["path"]) if task.name in resources else task.name
        for error in task.errors:
            column = getattr(error, "field_name", None) or getattr(error, "label", None)
            value = getattr(error, "cell", None)
            if value is None and error.type in {"constraint-error", "type-error", "missing-cell"}:
                value = ""  # an empty cell, not the word None
            if error.type in {"foreign-key", "primary-key"}:
                column = ", ".join(getattr(error, "field_names", []) or []) or None
                value = ", ".join(str(v) for v in (getattr(error, "field_cells", []) or [])) or None
            if error.type in {"missing-label", "extra-label", "incorrect-label"}:
                value = getattr(error, "label", None)
            fields = resources.get(task.name, {}).get("schema", {}).get("fields", [])
            field = next((f for f in fields if f["name"] == getattr(error, "field_name", None)), None)
            expected = _expected_from_frictionless(error, field)
            if error.type == "foreign-key":
                referenced = resources.get(error.reference_name, {}).get("path", error.reference_name)
                expected = f"a key ({column}) that exists in {referenced}"
            first_line = "label" in error.type or error.type == "source-error"
            problems.append(Problem(label, getattr(error, "row_number", None) or (1 if first_line else None),
                                    column, value, expected))
    for error in report.errors:
        problems.append(Problem(str(datapackage), None, None, None, error.message))
    return problems


def denominator_problems(label: str, rows, numerator: str, denominator: str) -> list[Problem]:
    """Events (or patients with an event) can never exceed the patients they were counted among."""
    problems = []
    for line, row in rows:
        if row.get(numerator, "").isdigit() and row.get(denominator, "").isdigit():
            if int(row[numerator]) > int(row[denominator]):
                problems.append(Problem(label, line, numerator, row[numerator],
                                        f"a count not above {denominator} ({row[denominator]})"))
    return problems


# How cleaning (pandas) reads an integer cell. Frictionless casts with Python's int(), which also accepts
# '1_000', ' 3', '+3' and other scripts' digits ('٣', '３'), and any size; pandas refuses those (and anything
# beyond 64 bits) with a traceback. Found by tests/test_fuzz.py.
INTEGER_TEXT = re.compile(r"-?[0-9]{1,15}")


def integer_text_problems(label: str, rows, columns: list[str]) -> list[Problem]:
    """Integer cells must be plain ASCII digits (an optional minus, at most 15 digits), as cleaning reads them."""
    problems = []
    for line, row in rows:
        for column in columns:
            value = row.get(column, "")
            if value and not INTEGER_TEXT.fullmatch(value):
                problems.append(Problem(label, line, column, value,
                                        "a whole number written with the digits 0-9 only (no spaces, signs, "
                                        "separators or other scripts' digits; at most 15 digits)"))
    return problems


def phrase_source_problems(label: str, line: int, row: dict, phrase_column: str, file_column: str | None,
                           logged: list[str], owner: str, sources: dict[str, str] | None) -> list[Problem]:
    """A phrase must come from a file logged for its study (``owner``; ``logged`` are its files): the row's named
    file, or else any of the study's files. A row with a file column names the file of every phrase it holds.

    The file checks need only the inclusion log; the phrase-in-text check needs the source texts too.
    """
    phrase = row.get(phrase_column, "")
    named = row.get(file_column, "") if file_column else ""
    if file_column and phrase.strip() and not named:
        return [Problem(label, line, file_column, "", f"the file the {phrase_column} is copied from")]
    if named and named not in logged:
        listed = ", ".join(logged) or "none"
        return [Problem(label, line, file_column, named,
                        f"a source file logged for {owner} in inclusion_log.csv (logged: {listed})")]
    if sources is None or not phrase.strip():
        return []
    candidates = [named] if named else logged
    texts = [sources[name] for name in candidates if name in sources]
    if not texts:
        return []  # the file is missing from the sources folder: reported by the inclusion-log check
    problems = []
    for fragment in provenance.phrase_fragments(phrase):
        if all(provenance.missing_fragments(fragment, text) for text in texts):
            where = named or " or ".join(candidates)
            problems.append(Problem(label, line, phrase_column, fragment,
                                    f"a phrase copied exactly from {where} (not found there)"))
    return problems


def provenance_problems(label: str, rows, number_columns: list[str], study_files: dict[str, list[str]],
                        sources: dict[str, str] | None) -> list[Problem]:
    """Every number must stand in the row's phrase; every phrase must stand in its source, when sources are given."""
    problems = []
    for line, row in rows:
        phrase = row.get("source_phrase", "")
        numbers = [c for c in number_columns if row.get(c, "").strip()]
        if numbers and not phrase.strip():
            problems.append(Problem(label, line, "source_phrase", "", f"an exact source phrase containing {', '.join(numbers)}"))
            continue
        for column in numbers:
            if not provenance.number_in_phrase(row[column], phrase):
                problems.append(Problem(label, line, column, row[column],
                                        f"a number that occurs in the row's source_phrase '{phrase}'"))
        file_column = "source_file" if "source_file" in row else None
        problems += phrase_source_problems(label, line, row, "source_phrase", file_column,
                                           study_files.get(row["study_id"], []), row["study_id"], sources)
    return problems


def line_of_therapy_problems(label: str, rows, study_files: dict[str, list[str]],
                             sources: dict[str, str] | None) -> list[Problem]:
    """A line of therapy other than not_reported is justified by a phrase; a failed biologic is named when one failed."""
    problems = []
    for line, row in rows:
        level = row["treatment_line"]
        if level != "not_reported" and not row["line_phrase"].strip():
            problems.append(Problem(label, line, "line_phrase", "", f"an exact phrase that shows the line of therapy "
                                    f"'{level}' (or treatment_line 'not_reported')"))
        if level == "after_biologic" and not row["prior_biologic"]:
            problems.append(Problem(label, line, "prior_biologic", "", "the class of the biologic that failed before "
                                    "(IL-6, IL-1, TNF, other or not_stated)"))
        if row["prior_biologic"] and level not in {"after_biologic", "mixed"}:
            problems.append(Problem(label, line, "prior_biologic", row["prior_biologic"],
                                    "an empty cell (a failed biologic belongs to after_biologic, or to mixed when part "
                                    "of the cohort had one)"))
        for kind in ("line", "background"):
            problems += phrase_source_problems(label, line, row, f"{kind}_phrase", f"{kind}_source_file",
                                               study_files.get(row["study_id"], []), row["study_id"], sources)
    return problems


def overlap_problems(label: str, rows, study_files: dict[str, list[str]],
                     sources: dict[str, str] | None) -> list[Problem]:
    """Both reports of an overlapping pair are in the inclusion log, the pair is written once, the phrase is real."""
    problems, seen = [], set()
    for line, row in rows:
        pair = (row["study_id"], row["shares_patients_with"])
        for column, study in zip(("study_id", "shares_patients_with"), pair):
            if study not in study_files:
                problems.append(Problem(label, line, column, study, "a study_id that is in inclusion_log.csv"))
        if pair[0] >= pair[1]:
            problems.append(Problem(label, line, "shares_patients_with", pair[1],
                                    f"a study_id that sorts after '{pair[0]}' (write each pair once, in alphabetical order)"))
        if frozenset(pair) in seen:
            problems.append(Problem(label, line, "shares_patients_with", pair[1], "each pair of reports once"))
        seen.add(frozenset(pair))
        files = study_files.get(pair[0], []) + study_files.get(pair[1], [])  # the phrase may be in either report
        problems += phrase_source_problems(label, line, row, "source_phrase", "source_file", files,
                                           f"{pair[0]} or {pair[1]}", sources)
    return problems


def bibliography_keys(bib_path: Path) -> set[str]:
    """Citation keys defined in a BibTeX file."""
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", Path(bib_path).read_text(encoding="utf-8")))


def study_problems(data_dir: Path, tables: dict, bib_keys: set[str] | None) -> list[Problem]:
    """Every study is marked included in the inclusion log and has a bibliography entry of the same key."""
    problems, label = [], str(data_dir / "studies.csv")
    included = {row["study_id"] for _, row in tables["inclusion_log"] if row["decision"] == "included"}
    for line, row in tables["studies"]:
        if row["study_id"] not in included:
            problems.append(Problem(label, line, "study_id", row["study_id"],
                                    "a study marked 'included' in inclusion_log.csv"))
        if bib_keys is not None and row["study_id"] not in bib_keys:
            problems.append(Problem(label, line, "study_id", row["study_id"],
                                    "a study with an entry of the same key in report/references.bib"))
    return problems


# Each appraisal tool's domains and the judgements its scale allows (the data dictionary lists their union).
APPRAISAL_SCALES = {
    "rob2": ({f"D{i}" for i in range(1, 6)}, {"low", "some_concerns", "high", "no_information"}),
    "robins_i": ({f"D{i}" for i in range(1, 8)}, {"low", "moderate", "serious", "critical", "no_information"}),
    "jbi_case_series": ({f"Q{i}" for i in range(1, 11)}, {"yes", "no", "unclear", "not_applicable"}),
}
JBI_OVERALL = {"low", "moderate", "high"}


def risk_of_bias_problems(label: str, rows, study_files: dict[str, list[str]],
                          sources: dict[str, str] | None) -> list[Problem]:
    """Each judgement is on its tool's scale and for one of its domains, a phrase supports every judgement that
    is not 'no information', and the phrase comes from a file of the study."""
    problems = []
    for line, row in rows:
        domains, scale = APPRAISAL_SCALES[row["tool"]]
        if row["domain"] != "overall" and row["domain"] not in domains:
            problems.append(Problem(label, line, "domain", row["domain"], f"a domain of {row['tool']}: "
                                    + ", ".join(sorted(domains, key=lambda d: int(d[1:]))) + " or overall"))
        allowed = JBI_OVERALL if (row["tool"] == "jbi_case_series" and row["domain"] == "overall") else (
            scale - {"no_information"} if row["domain"] == "overall" else scale)
        if row["judgement"] not in allowed:
            problems.append(Problem(label, line, "judgement", row["judgement"],
                                    f"one of {', '.join(sorted(allowed))} for {row['tool']} {row['domain']}"))
        if not row["support_phrase"].strip() and row["judgement"] not in {"no_information", "unclear", "not_applicable"} \
                and row["domain"] != "overall":
            problems.append(Problem(label, line, "support_phrase", "", "the phrase of the source that supports the "
                                    f"judgement '{row['judgement']}' (or the judgement no_information / unclear)"))
        problems += phrase_source_problems(label, line, row, "support_phrase", "support_file",
                                           study_files.get(row["study_id"], []), row["study_id"], sources)
    return problems


def inclusion_log_problems(data_dir: Path, tables: dict, sources: dict[str, str] | None) -> list[Problem]:
    """Every included study has a row in studies.csv; a fuller text belongs to a study already logged; with
    sources, every logged file exists (files not yet logged are awaiting classification: a warning, not a problem)."""
    problems, label = [], str(data_dir / "inclusion_log.csv")
    studies = {row["study_id"] for _, row in tables["studies"]}
    kinds: dict[str, set[str]] = {}
    for _, row in tables["inclusion_log"]:
        kinds.setdefault(row["study_id"], set()).add(row["source_kind"])
    for line, row in tables["inclusion_log"]:
        if row["decision"] == "included" and row["study_id"] not in studies:
            problems.append(Problem(label, line, "study_id", row["study_id"], "an included study that has a row in studies.csv"))
        if (row["decision"] == "excluded") != bool(row.get("exclusion_category", "")):
            problems.append(Problem(label, line, "exclusion_category", row.get("exclusion_category", ""),
                                    "a category for an excluded text (narrative_review, no_extractable_numbers, "
                                    "not_sjia_specific, no_new_verified_numbers), and none for an included one"))
        if row["source_kind"] == "fuller" and kinds[row["study_id"]] == {"fuller"}:
            problems.append(Problem(label, line, "study_id", row["study_id"],
                                    "a study that also has a primary or secondary text in the log (a fuller text adds "
                                    "to a study already logged; use source_kind 'primary' for a study's first text)"))
        if sources is not None and row["source_file"] not in sources:
            problems.append(Problem(label, line, "source_file", row["source_file"],
                                    "a file that exists in the sources folder"))
    return problems


def study_files(inclusion_rows) -> dict[str, list[str]]:
    """``study_id`` -> the source files logged for it (a study can have a primary and fuller texts)."""
    files: dict[str, list[str]] = {}
    for _, row in inclusion_rows:
        files.setdefault(row["study_id"], []).append(row["source_file"])
    return files


def find_problems(datapackage: Path, bib_path: Path | None = None, sources_dir: Path | None = None,
                  tables: list[str] | None = None) -> list[Problem]:
    """Every problem in curated ``tables`` (default: all), in file order. Empty means the data can be used."""
    datapackage = Path(datapackage)
    data_dir = datapackage.parent
    resources = {r["name"]: r for r in load_descriptor(datapackage)["resources"]}
    checked = list(tables or resources)
    needed = list(dict.fromkeys(checked + [n for name in checked for n in resources[name].get("lookups", [])]))
    encoding = []
    for name in needed:
        path = data_dir / resources[name]["path"]
        if not path.exists():
            encoding.append(Problem(str(path), None, None, None, "this file (the data dictionary lists it)"))
        else:
            encoding += check_encoding(path, str(path))
    if encoding:
        return encoding  # nothing else can be read reliably
    problems = schema_problems(datapackage, checked)
    if problems:
        return problems  # later checks assume well-typed, well-keyed tables
    rows = {name: read_rows(data_dir / resources[name]["path"]) for name in needed}
    sources = provenance.load_sources(sources_dir) if sources_dir else None
    files = study_files(rows["inclusion_log"]) if "inclusion_log" in rows else {}
    for name in checked:
        label = str(data_dir / resources[name]["path"])
        integers = [f["name"] for f in resources[name]["schema"]["fields"] if f.get("type") == "integer"]
        problems += integer_text_problems(label, rows[name], integers)
        if name in {"efficacy", "safety"}:
            numerator = "events" if name == "efficacy" else "count"
            problems += denominator_problems(label, rows[name], numerator, "denominator")
        numbers = resources[name].get("provenance", {}).get("numbers", [])
        if numbers:
            problems += provenance_problems(label, rows[name], numbers, files, sources)
        if name == "studies":
            problems += study_problems(data_dir, rows, bibliography_keys(bib_path) if bib_path else None)
            problems += line_of_therapy_problems(label, rows[name], files, sources)
        if name == "overlaps":
            problems += overlap_problems(label, rows[name], files, sources)
        if name == "risk_of_bias":
            problems += risk_of_bias_problems(label, rows[name], files, sources)
        if name == "inclusion_log":
            problems += inclusion_log_problems(data_dir, rows, sources)
    return problems


def validate(datapackage: Path, bib_path: Path | None = None, sources_dir: Path | None = None,
             tables: list[str] | None = None) -> None:
    """Raise ``CurationError`` listing every problem, or return quietly when the data are sound."""
    problems = find_problems(datapackage, bib_path, sources_dir, tables)
    if problems:
        shown = "\n".join(f"  {p}" for p in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise CurationError(f"The curated data have {len(problems)} problem(s); nothing was built from them:\n"
                            f"{shown}{tail}")
