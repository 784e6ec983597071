"""Every kind of bad curated input stops the build with one line naming file, line, column, value, expectation."""

import csv
import shutil
from pathlib import Path

import pytest

import validate
import validation_report
from conftest import REPO


@pytest.fixture
def curated(tmp_path) -> Path:
    """A copy of data/ and the bibliography that a test may break; the real data/ is never touched."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copy(REPO / "report" / "references.bib", tmp_path / "references.bib")
    return tmp_path


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, table: list[dict], fieldnames=None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames or list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)


def edit_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell; ``line`` as a text editor counts (header = 1)."""
    table = rows(path)
    table[line - 2][column] = value
    write_rows(path, table)


def synthetic_sources(directory: Path, data: Path) -> Path:
    """Source texts that contain every phrase of the curated data (the real texts are not in the repository)."""
    directory.mkdir()
    log = rows(data / "inclusion_log.csv")
    by_study = {r["study_id"]: r["source_file"] for r in log}
    texts = {r["source_file"]: ["citation: synthetic", "---"] for r in log}
    for table in ("studies", "arms", "efficacy", "safety", "meta_estimates", "overlaps", "risk_of_bias"):
        for row in rows(data / f"{table}.csv"):
            phrase_file = row.get("source_file") or row.get("support_file") or by_study[row["study_id"]]
            phrase = row.get("source_phrase") or row.get("support_phrase", "")
            texts[phrase_file].append(phrase.replace(" [...] ", "\n"))
            for kind in ("line", "background"):  # phrases with a file column of their own
                if row.get(f"{kind}_phrase"):
                    texts[row[f"{kind}_source_file"]].append(row[f"{kind}_phrase"].replace(" [...] ", "\n"))
    for name, lines in texts.items():
        (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def problems(curated: Path, sources=None) -> str:
    with pytest.raises(validate.CurationError) as error:
        validate.validate(curated / "data" / "datapackage.json", curated / "references.bib", sources)
    return str(error.value)


def first_line_of(table: Path, **match) -> int:
    for index, row in enumerate(rows(table), start=2):
        if all(row[k] == v for k, v in match.items()):
            return index
    raise LookupError(match)


def test_repository_data_are_valid():
    validate.validate(REPO / "data" / "datapackage.json", REPO / "report" / "references.bib")


def test_repository_data_phrases_occur_in_the_real_sources():
    from conftest import sources_dir

    if sources_dir() is None:
        pytest.skip(f"source texts not found at {REPO.parent / 'shared' / 'sources'}; CI provides them")
    validate.validate(REPO / "data" / "datapackage.json", REPO / "report" / "references.bib", sources_dir())


def test_missing_column_is_named(curated):
    path = curated / "data" / "efficacy.csv"
    table = rows(path)
    fields = [f for f in table[0] if f != "timepoint"]
    write_rows(path, [{k: r[k] for k in fields} for r in table], fields)
    message = problems(curated)
    assert "efficacy.csv" in message and "'timepoint'" in message and "data dictionary" in message


def test_extra_column_is_named(curated):
    path = curated / "data" / "arms.csv"
    table = [{**r, "dose_mg": "1"} for r in rows(path)]
    write_rows(path, table)
    message = problems(curated)
    assert "arms.csv" in message and "dose_mg" in message and "not in the data dictionary" in message


def test_wrong_type_names_line_column_and_value(curated):
    path = curated / "data" / "studies.csv"
    edit_cell(path, 2, "n_total", "eight")
    message = problems(curated)
    assert "studies.csv, line 2, column 'n_total': value 'eight'" in message
    assert "type" in message


def test_value_outside_vocabulary_lists_allowed_values(curated):
    path = curated / "data" / "efficacy.csv"
    edit_cell(path, 2, "outcome", "acr_pedi_35")
    message = problems(curated)
    assert "efficacy.csv, line 2, column 'outcome': value 'acr_pedi_35'" in message
    assert "closest: " in message and "acr_pedi_30" in message  # the long vocabulary is named, not listed
    short = curated / "data" / "arms.csv"
    edit_cell(short, 2, "role", "treated")
    assert "column 'role': value 'treated' - expected one of: active, placebo, comparator" in problems(curated)


def test_events_above_denominator_are_refused(curated):
    path = curated / "data" / "efficacy.csv"
    line = first_line_of(path, study_id="pontikaki2008", outcome="investigator_defined_response")
    table = rows(path)
    table[line - 2].update({"events": "17", "source_phrase": table[line - 2]["source_phrase"] + " 17"})
    write_rows(path, table)
    message = problems(curated)
    assert f"efficacy.csv, line {line}, column 'events': value '17' - expected a count not above denominator (16)" in message


def test_negative_count_is_refused(curated):
    path = curated / "data" / "safety.csv"
    edit_cell(path, 2, "count", "-1")
    message = problems(curated)
    assert "safety.csv, line 2, column 'count': value '-1'" in message and ">= 0" in message


def test_duplicate_key_is_refused(curated):
    path = curated / "data" / "studies.csv"
    table = rows(path)
    write_rows(path, table + [table[0]])
    message = problems(curated)
    assert f"studies.csv, line {len(table) + 2}" in message and "unique key" in message


def test_outcome_for_unknown_study_is_refused(curated):
    path = curated / "data" / "efficacy.csv"
    edit_cell(path, 2, "study_id", "nobody2099")
    message = problems(curated)
    assert "efficacy.csv, line 2" in message and "nobody2099" in message and "exists in arms.csv" in message


def test_number_missing_from_its_phrase_is_refused(curated):
    path = curated / "data" / "efficacy.csv"
    line = first_line_of(path, study_id="pontikaki2008", outcome="investigator_defined_response")
    edit_cell(path, line, "events", "12")
    message = problems(curated)
    assert f"efficacy.csv, line {line}, column 'events': value '12' - expected a number that occurs in the row's source_phrase" in message


def test_phrase_not_in_source_is_refused(curated, tmp_path):
    sources = synthetic_sources(tmp_path / "sources", curated / "data")
    validate.validate(curated / "data" / "datapackage.json", curated / "references.bib", sources)  # sound as built
    path = curated / "data" / "efficacy.csv"
    line = first_line_of(path, study_id="pontikaki2008", outcome="investigator_defined_response")
    edit_cell(path, line, "source_phrase", "11/16 patients (69%) were complete responders")
    message = problems(curated, sources)
    assert f"efficacy.csv, line {line}, column 'source_phrase'" in message and "not found there" in message


def test_source_missing_from_inclusion_log_is_awaiting_classification_not_an_error(curated, tmp_path):
    sources = synthetic_sources(tmp_path / "sources", curated / "data")
    (sources / "Newstudy2030_unlisted.txt").write_text("citation: x\n---\ntext\n", encoding="utf-8")
    datapackage = curated / "data" / "datapackage.json"
    validate.validate(datapackage, curated / "references.bib", sources)  # the build goes on
    assert validation_report.awaiting_classification(datapackage, sources) == ["Newstudy2030_unlisted.txt"]
    report = validation_report.checks_report(sources, ["Newstudy2030_unlisted.txt"])
    assert "awaiting classification" in report and "Newstudy2030_unlisted.txt" in report
    assert "Add a row for it" in validation_report.awaiting_warning("Newstudy2030_unlisted.txt")


def test_logged_source_missing_from_the_folder_is_refused(curated, tmp_path):
    sources = synthetic_sources(tmp_path / "sources", curated / "data")
    (sources / "Woo2005_MRA_phaseII_singledose.txt").unlink()
    message = problems(curated, sources)
    assert "inclusion_log.csv" in message and "Woo2005_MRA_phaseII_singledose.txt" in message and "exists" in message


def test_phrase_from_a_file_not_logged_for_its_study_is_refused(curated):
    path = curated / "data" / "efficacy.csv"
    line = first_line_of(path, study_id="pontikaki2008", outcome="investigator_defined_response")
    edit_cell(path, line, "source_file", "Woo2005_MRA_phaseII_singledose.txt")
    message = problems(curated)
    assert (f"efficacy.csv, line {line}, column 'source_file': value 'Woo2005_MRA_phaseII_singledose.txt' - expected "
            "a source file logged for pontikaki2008") in message


def test_semicolon_separated_file_gets_one_plain_message(curated):
    path = curated / "data" / "arms.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line.replace(",", ";") for line in text.splitlines()) + "\n", encoding="utf-8")
    message = problems(curated)
    assert "arms.csv, line 1 - expected commas between the columns" in message and "CSV UTF-8" in message
    assert message.count("\n") == 1  # one problem, not one per row


def test_pattern_problem_says_the_fix_in_words(curated):
    path = curated / "data" / "efficacy.csv"
    line = first_line_of(path, study_id="alexeeva2013", timepoint="month 6")
    edit_cell(path, line, "percent", "64%")
    message = problems(curated)
    assert f"efficacy.csv, line {line}, column 'percent': value '64%' - expected a number as the source prints it, without % " in message
    assert "write 64" in message and "^" not in message.split("value '64%'")[1].splitlines()[0]


def test_integer_problem_names_no_library_type(curated):
    path = curated / "data" / "arms.csv"
    edit_cell(path, 2, "n", "seventy-five")
    message = problems(curated)
    assert "arms.csv, line 2, column 'n': value 'seventy-five' - expected a whole number" in message
    assert "integer/default" not in message


def test_line_of_therapy_needs_its_phrase_and_failed_class(curated):
    path = curated / "data" / "studies.csv"
    line = first_line_of(path, study_id="woo2005")
    edit_cell(path, line, "line_phrase", "")
    edit_cell(path, line, "treatment_line", "after_biologic")
    edit_cell(path, line, "prior_biologic", "")
    message = problems(curated)
    assert f"studies.csv, line {line}, column 'line_phrase'" in message
    assert f"studies.csv, line {line}, column 'prior_biologic'" in message and "class of the biologic" in message
    edit_cell(path, line, "treatment_line", "first_line_biologic")
    edit_cell(path, line, "line_phrase", "a phrase")
    edit_cell(path, line, "prior_biologic", "TNF")
    assert "a failed biologic belongs to after_biologic, or to mixed" in problems(curated)


def test_overlap_with_unknown_study_or_written_twice_is_refused(curated):
    path = curated / "data" / "overlaps.csv"
    table = rows(path)
    fields = ["study_id", "shares_patients_with", "relation", "reason", "source_file", "source_phrase"]
    extra = [{"study_id": "horneff2017", "shares_patients_with": "nobody2099", "relation": "probable",
              "reason": "test", "source_file": "", "source_phrase": ""},
             {"study_id": "yokota2014", "shares_patients_with": "horneff2017", "relation": "probable",
              "reason": "test", "source_file": "", "source_phrase": ""}]
    write_rows(path, table + extra, fields)
    message = problems(curated)
    assert "'nobody2099' - expected a study_id that is in inclusion_log.csv" in message
    assert "'horneff2017' - expected a study_id that sorts after 'yokota2014'" in message


def test_study_without_bibliography_entry_is_refused(curated):
    bib = curated / "references.bib"
    text = bib.read_text(encoding="utf-8")
    bib.write_text(text.replace("@article{inaba2013,", "@article{inaba2013x,"), encoding="utf-8")
    message = problems(curated)
    assert "studies.csv" in message and "'inaba2013'" in message and "references.bib" in message


def test_byte_order_mark_is_refused(curated):
    path = curated / "data" / "arms.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    message = problems(curated)
    assert "arms.csv, line 1" in message and "byte-order mark" in message


def test_non_utf8_file_is_refused_with_its_line(curated):
    path = curated / "data" / "studies.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2] + " caf\u00e9".encode("latin-1")  # saved by an editor in Latin-1
    path.write_bytes(b"\n".join(lines))
    message = problems(curated)
    assert "studies.csv, line 3" in message and "UTF-8" in message


def test_empty_file_is_refused_at_its_first_line(curated):
    (curated / "data" / "safety.csv").write_bytes(b"")
    message = problems(curated)
    assert "safety.csv, line 1 - expected a header line naming the data dictionary's columns (the file is empty)" in message


def test_validation_never_writes_into_data(curated):
    before = {p.name: p.read_bytes() for p in (curated / "data").rglob("*") if p.is_file()}
    edit_cell(curated / "data" / "efficacy.csv", 2, "outcome", "bad")
    broken = (curated / "data" / "efficacy.csv").read_bytes()
    problems(curated)
    after = {p.name: p.read_bytes() for p in (curated / "data").rglob("*") if p.is_file()}
    assert after == {**before, "efficacy.csv": broken}


def test_risk_of_bias_judgement_off_the_tools_scale_is_refused(curated):
    path = curated / "data" / "risk_of_bias.csv"
    line = first_line_of(path, study_id="debenedetti2012", domain="D1")
    edit_cell(path, line, "judgement", "serious")  # a ROBINS-I word in a RoB 2 row
    message = problems(curated)
    assert f"risk_of_bias.csv, line {line}, column 'judgement': value 'serious' - expected one of" in message
    assert "for rob2 D1" in message


def test_risk_of_bias_judgement_needs_its_supporting_phrase(curated):
    path = curated / "data" / "risk_of_bias.csv"
    line = first_line_of(path, study_id="debenedetti2012", domain="D3")
    edit_cell(path, line, "support_phrase", "")
    message = problems(curated)
    assert f"risk_of_bias.csv, line {line}, column 'support_phrase'" in message and "supports the" in message


def test_curated_overall_risk_of_bias_follows_the_protocols_rules():
    """RoB 2 overall by its algorithm; ROBINS-I overall = the most severe domain; JBI overall by the amended
    protocol rule (low: at least 70% of applicable items yes and none no; high: no on Q1, Q4, Q5 or Q8, or two
    or more no; moderate otherwise)."""
    table = rows(REPO / "data" / "risk_of_bias.csv")
    by_study: dict[tuple, dict] = {}
    for row in table:
        by_study.setdefault((row["study_id"], row["tool"]), {})[row["domain"]] = row["judgement"]
    severity = {"low": 0, "moderate": 1, "serious": 2, "critical": 3}
    for (study, tool), judged in by_study.items():
        domains = {d: j for d, j in judged.items() if d != "overall"}
        if tool == "rob2":
            values = set(domains.values())
            expected = ("high" if "high" in values else
                        "some_concerns" if values & {"some_concerns", "no_information"} else "low")
        elif tool == "robins_i":
            expected = max((j for j in domains.values() if j in severity), key=severity.get)
        else:
            applicable = [j for j in domains.values() if j != "not_applicable"]
            no = [d for d, j in domains.items() if j == "no"]
            if set(no) & {"Q1", "Q4", "Q5", "Q8"} or len(no) >= 2:
                expected = "high"
            elif not no and applicable and applicable.count("yes") / len(applicable) >= 0.7:
                expected = "low"
            else:
                expected = "moderate"
        assert judged["overall"] == expected, (study, tool, domains)


def test_any_phrase_without_its_source_file_is_refused(curated):
    path = curated / "data" / "studies.csv"
    line = first_line_of(path, study_id="debenedetti2012")
    edit_cell(path, line, "background_source_file", "")
    edit_cell(path, line, "line_source_file", "")
    message = problems(curated)
    assert f"studies.csv, line {line}, column 'line_source_file': value '' - expected the file the line_phrase" in message
    assert f"studies.csv, line {line}, column 'background_source_file': value '' - expected the file the background_phrase" in message
