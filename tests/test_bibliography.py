"""Checks of report/references.bib as Pandoc's citeproc sees it (CSL JSON) and as the project's AMA style
(report/american-medical-association.csl) renders it: the defects a journal would reject in a reference list.

Convention for a value the source does not give (the project's rule: missing, not guessed). An entry that
lacks a field these tests otherwise require says so in its BibTeX ``note``, in one sentence that begins
``Not given by the source:`` and lists the fields, separated by commas, up to the next full stop::

    note = {Not given by the source: author, volume, pages (article number). Other remarks...}

* The names are those of :data:`NOTED_FIELDS`; ``author``, ``year``, ``volume`` and ``pages`` excuse the
  checks below (``pages`` stands for an article number too); a parenthesis after a name is a comment.
* A note must not list a field the entry has (it would be stale), nor a name outside that list (a typo
  would excuse nothing).
* The AMA style does not print ``note``, so the sentence never reaches the reader.

What is checked: every entry has a title, an issued year and an author (a person or a group,
``author = {{Group Name}}``) unless noted; every journal article (``@article``) names its journal and has a
volume and pages (or an article number) unless noted; no author name carries a literal "et al" (an unknown
rest of the list is ``and others``); initials are separated (``Alexeeva, E I``: citeproc keeps only the first
letter of ``EI``); a lower-case name particle is braced with the family name (``{van Dijkhuizen}``, which
renders before it); no page range repeats or leaves open its first page (``1710-1710``, ``1710-``); each
journal is spelled one way; in the rendered list proper nouns keep their capitals (citeproc
sentence-cases titles: ``{Japan}`` must be braced) and no page repeats; and the study labels built from the
.bib (scripts/clean.py) show no "Anonymous" (an entry without authors has a ``shorttitle``) and "n.d." only
where the note says the source gives no year.

Each check is a function returning its problems; ``test_each_check_catches_a_broken_entry`` runs every check
on a deliberately broken bibliography written to a temporary folder, so that none of them passes vacuously.
"""

import json
import re
from pathlib import Path

import pypandoc
import pytest

from clean import study_labels
from conftest import REPO

BIB = REPO / "report" / "references.bib"
CSL = REPO / "report" / "american-medical-association.csl"
LANG = "en-GB"  # the review's language (_quarto.yml)

NOT_GIVEN = re.compile(r"Not given by the source:\s*([^.]*)")
NOTED_FIELDS = {"author", "year", "journal", "volume", "issue", "pages", "doi", "pmid"}

# Proper nouns of the titles, as citeproc's sentence-casing would write them if they were not braced.
LOWER_CASED_PROPER_NOUNS = [
    "japan", "japanese", "german", "italian", "chinese", "russian", "caucasian", "still's", "bayesian",
    "moscow", "ormond", "childhood arthritis", "research alliance", "carra", "biker", "aida network",
    "national medical research center", "snakemake",
]


# ------------------------------------------------------------------------------------------- helpers

def csl_entries(bib: Path) -> list[dict]:
    """The bibliography as CSL JSON: what Pandoc's citeproc formats."""
    return json.loads(pypandoc.convert_file(str(bib), "csljson", format="bibtex"))


def render(bib: Path) -> str:
    """Every entry of ``bib`` formatted by Pandoc citeproc with the project's CSL, as plain text."""
    document = f"---\nnocite: '@*'\nlang: {LANG}\n---\n"
    return pypandoc.convert_text(document, "plain", format="markdown",
                                 extra_args=["--citeproc", f"--csl={CSL}", f"--bibliography={bib}",
                                             "--wrap=none"])


def not_given(entry: dict) -> set[str]:
    """The fields the entry's note declares the source does not give (see the module docstring)."""
    match = NOT_GIVEN.search(entry.get("note", ""))
    if not match:
        return set()
    listed = re.sub(r"\([^)]*\)", "", match.group(1))
    return {item.strip().lower() for item in listed.split(",") if item.strip()}


def has_field(entry: dict, field: str) -> bool:
    """Whether the CSL JSON entry has the BibTeX-level ``field`` (author, year, volume, pages, ...)."""
    if field == "year":
        parts = (entry.get("issued") or {}).get("date-parts") or [[]]
        return bool(parts[0]) and isinstance(parts[0][0], int)
    if field == "author":
        return any(name.get("family") or name.get("literal") for name in entry.get("author") or [])
    csl_name = {"journal": "container-title", "pages": "page", "doi": "DOI", "pmid": "PMID"}.get(field, field)
    return bool(str(entry.get(csl_name, "")).strip())


def without_locators(text: str) -> str:
    """Rendered text without DOIs and URLs (their lower-case words and digit runs are not prose)."""
    return re.sub(r"(?:doi:|https?://)\S+", " ", text)


# ------------------------------------------------------------------------------------------- checks

def missing_title(entries: list[dict]) -> list[str]:
    return [f"{e['id']}: no title" for e in entries if not str(e.get("title", "")).strip()]


def missing_unless_noted(entries: list[dict], field: str, types: set[str] | None = None) -> list[str]:
    """Entries (of ``types``, if given) without ``field`` whose note does not say the source gives none."""
    return [f"{e['id']}: no {field}, and its note does not say 'Not given by the source: {field}'"
            for e in entries
            if (types is None or e.get("type") in types) and not has_field(e, field)
            and field not in not_given(e)]


def missing_year(entries):
    return missing_unless_noted(entries, "year")


def missing_author(entries):
    return missing_unless_noted(entries, "author")


def article_without_journal(entries):
    return [f"{e['id']}: journal article without a journal (container-title)"
            for e in entries if e.get("type") == "article-journal" and not has_field(e, "journal")]


def article_without_volume_or_pages(entries):
    return (missing_unless_noted(entries, "volume", {"article-journal"})
            + missing_unless_noted(entries, "pages", {"article-journal"}))


def stale_or_unknown_notes(entries):
    problems = []
    for entry in entries:
        for field in sorted(not_given(entry)):
            if field not in NOTED_FIELDS:
                problems.append(f"{entry['id']}: note names '{field}', not one of {sorted(NOTED_FIELDS)}")
            elif has_field(entry, field):
                problems.append(f"{entry['id']}: note says the source gives no {field}, but the entry has one")
    return problems


def literal_et_al(entries):
    return [f"{e['id']}: author name {name} contains 'et al' (list the authors, or write 'and others')"
            for e in entries for name in e.get("author") or []
            if any(re.search(r"\bet\.?\s*al\b", str(part), re.I) for part in name.values())]


def run_together_initials(entries):
    return [f"{e['id']}: given name '{name['given']}' of {name.get('family')}: citeproc keeps only its first "
            f"letter; separate the initials ('E I')"
            for e in entries for name in e.get("author") or []
            if re.fullmatch(r"[A-Z]{2,}", name.get("given", ""))]


def trailing_particles(entries):
    return [f"{e['id']}: '{name['dropping-particle']}' of {name.get('family')} renders after the name; "
            f"brace it with the family name ({{{name['dropping-particle']} {name.get('family')}}})"
            for e in entries for name in e.get("author") or [] if name.get("dropping-particle")]


def bad_page_ranges(entries):
    problems = []
    for entry in entries:
        page = str(entry.get("page", "")).strip()
        parts = re.split(r"\s*[-\u2013\u2014]+\s*", page)
        if len(parts) == 1:
            continue
        if len(parts) != 2 or not all(parts):
            problems.append(f"{entry['id']}: page range {page!r} is not closed (give the single page)")
            continue
        first, last = parts
        if last.isdigit() and first.isdigit() and len(last) < len(first):  # 2385-95 -> 2385-2395
            last = first[: len(first) - len(last)] + last
        if first == last:
            problems.append(f"{entry['id']}: page range {page!r} repeats one page (give the single page)")
    return problems


def journal_spelled_two_ways(entries):
    def words(name: str) -> list[str]:
        return re.sub(r"[^\w\s]", " ", name).lower().split()

    names = sorted({e["container-title"] for e in entries if e.get("container-title")})
    return [f"journal spelled two ways: {a!r} and {b!r}"
            for a in names for b in names
            if a != b and words(b)[: len(words(a))] == words(a) and (len(words(a)) < len(words(b)) or a < b)]


def lower_cased_proper_nouns(text: str) -> list[str]:
    prose = without_locators(text).replace("\u2019", "'")
    return [f"'{noun}' in lower case: {line.strip()[:160]}"
            for noun in LOWER_CASED_PROPER_NOUNS
            for line in prose.splitlines()
            if re.search(r"(?<![\w'])" + re.escape(noun) + r"(?!\w)", line)]


def rendered_repeated_pages(text: str) -> list[str]:
    return [f"page range {m.group(0)!r} repeats one page"
            for m in re.finditer(r"(?<![\w.])([A-Za-z]?\d+)[-\u2013]\1(?![\w])", without_locators(text))]


def placeholder_labels(bib: Path) -> list[str]:
    """Study labels the pipeline builds from the .bib (scripts/clean.py): 'Anonymous' never (an entry without
    authors needs a ``shorttitle``), 'n.d.' only where the note says the source gives no year."""
    entries = {e["id"]: e for e in csl_entries(bib)}
    problems = []
    for row in study_labels(bib).itertuples():
        if "Anonymous" in row.study_label:
            problems.append(f"{row.study_id}: label {row.study_label!r} (give the group author or a shorttitle)")
        if "n.d." in row.study_label and "year" not in not_given(entries[row.study_id]):
            problems.append(f"{row.study_id}: label {row.study_label!r}, but no note says the source gives no year")
    return problems


# ------------------------------------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return csl_entries(BIB)


@pytest.fixture(scope="module")
def rendered() -> str:
    return render(BIB)


def test_every_entry_has_a_title(entries):
    assert len(entries) > 40
    assert missing_title(entries) == []


def test_every_entry_has_an_issued_year_unless_its_note_says_the_source_gives_none(entries):
    assert missing_year(entries) == []


def test_every_entry_has_an_author_or_group_author_unless_its_note_says_the_source_gives_none(entries):
    assert missing_author(entries) == []


def test_every_journal_article_names_its_journal(entries):
    assert article_without_journal(entries) == []


def test_every_journal_article_has_volume_and_pages_unless_its_note_says_the_source_gives_none(entries):
    assert article_without_volume_or_pages(entries) == []


def test_not_given_notes_name_known_fields_the_entry_really_lacks(entries):
    assert stale_or_unknown_notes(entries) == []


def test_no_author_name_contains_a_literal_et_al(entries):
    assert literal_et_al(entries) == []


def test_initials_are_separated_so_that_citeproc_keeps_each(entries):
    assert run_together_initials(entries) == []


def test_name_particles_render_before_the_family_name(entries):
    assert trailing_particles(entries) == []


def test_no_page_range_repeats_or_leaves_open_its_first_page(entries):
    assert bad_page_ranges(entries) == []


def test_each_journal_is_spelled_one_way(entries):
    assert journal_spelled_two_ways(entries) == []


def test_rendered_reference_list_has_every_entry(entries, rendered):
    assert len(re.findall(r"^\d+\. ", rendered, flags=re.M)) == len(entries)


def test_rendered_titles_keep_proper_nouns_capitalised(rendered):
    assert lower_cased_proper_nouns(rendered) == []


def test_rendered_reference_list_repeats_no_page(rendered):
    assert rendered_repeated_pages(rendered) == []


def test_study_labels_have_no_anonymous_and_no_nd_where_a_year_is_known():
    assert placeholder_labels(BIB) == []


# ------------------------------------------------------------------------------------------- the checks can fail

SOUND = "journal = {J Test}, year = {2020}, volume = {1}, pages = {10-12}"

BROKEN = {
    "no title": (missing_title, "@article{x, author = {Doe, J}, " + SOUND + "}"),
    "no year, no note": (missing_year,
                         "@article{x, author = {Doe, J}, title = {T}, journal = {J}, volume = {1}, pages = {2}}"),
    "no year, note about something else": (
        missing_year, "@misc{x, author = {Doe, J}, title = {T}, note = {Not given by the source: volume}}"),
    "no author, no note": (missing_author, "@article{x, title = {T}, " + SOUND + "}"),
    "article without journal": (
        article_without_journal, "@article{x, author = {Doe, J}, title = {T}, year = {2020}, volume = {1},"
                                 " pages = {2}}"),
    "article without volume": (
        article_without_volume_or_pages, "@article{x, author = {Doe, J}, title = {T}, journal = {J}, year = {2020},"
                                         " pages = {2}}"),
    "article without pages": (
        article_without_volume_or_pages, "@article{x, author = {Doe, J}, title = {T}, journal = {J}, year = {2020},"
                                         " volume = {1}}"),
    "stale note": (stale_or_unknown_notes, "@article{x, author = {Doe, J}, title = {T}, " + SOUND
                   + ", note = {Not given by the source: volume}}"),
    "misspelt field in note": (stale_or_unknown_notes, "@article{x, author = {Doe, J}, title = {T}, journal = {J},"
                               " year = {2020}, pages = {2}, note = {Not given by the source: volumes}}"),
    "et al as a name": (literal_et_al, "@article{x, author = {{Gattorno M et al.}}, title = {T}, " + SOUND + "}"),
    "et al in a given name": (literal_et_al, "@article{x, author = {Gattorno, M et al}, title = {T}, " + SOUND + "}"),
    "run-together initials": (run_together_initials,
                              "@article{x, author = {Alexeeva, EI}, title = {T}, " + SOUND + "}"),
    "unbraced particle": (trailing_particles,
                          "@article{x, author = {van Dijkhuizen, E H P}, title = {T}, " + SOUND + "}"),
    "repeated page": (bad_page_ranges, "@article{x, author = {Doe, J}, title = {T}, journal = {J}, year = {2020},"
                      " volume = {1}, pages = {1710-1710}}"),
    "abbreviated repeated page": (bad_page_ranges, "@article{x, author = {Doe, J}, title = {T}, journal = {J},"
                                  " year = {2020}, volume = {1}, pages = {1710-10}}"),
    "open page range": (bad_page_ranges, "@article{x, author = {Doe, J}, title = {T}, journal = {J}, year = {2020},"
                        " volume = {1}, pages = {1710-}}"),
    "journal spelled two ways": (journal_spelled_two_ways,
                                 "@article{x, author = {Doe, J}, title = {T}, journal = {Front Med}, year = {2020},"
                                 " volume = {1}, pages = {2}}\n@article{y, author = {Roe, J}, title = {U}, journal ="
                                 " {Front Med (Lausanne)}, year = {2021}, volume = {2}, pages = {3}}"),
}

BROKEN_RENDERED = {
    "unbraced Japan": (lower_cased_proper_nouns,
                       "@article{x, author = {Doe, J}, title = {Tocilizumab in Japan}, " + SOUND + "}"),
    "unbraced Still's": (lower_cased_proper_nouns,
                         "@article{x, author = {Doe, J}, title = {Canakinumab in Still's disease}, " + SOUND + "}"),
    "unbraced Great Ormond Street": (lower_cased_proper_nouns, "@article{x, author = {Doe, J}, title = {Systemic JIA:"
                                     " the Great Ormond Street Hospital experience}, " + SOUND + "}"),
    "repeated page as rendered": (rendered_repeated_pages,
                                  "@article{x, author = {Doe, J}, title = {T}, journal = {J}, year = {2020},"
                                  " volume = {1}, pages = {1710-}}"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_check_catches_a_broken_entry(case, tmp_path):
    check, bib_text = BROKEN[case]
    bib = tmp_path / "broken.bib"
    bib.write_text(bib_text + "\n", encoding="utf-8")
    assert check(csl_entries(bib)) != []


BROKEN_LABELS = {
    "no author and no shorttitle": "@article{x, title = {T}, " + SOUND
                                   + ", note = {Not given by the source: author}}",
    "no year and no note": "@misc{x, author = {Doe, J}, title = {T}}",
}


@pytest.mark.parametrize("case", sorted(BROKEN_RENDERED))
def test_each_rendering_check_catches_a_broken_entry(case, tmp_path):
    check, bib_text = BROKEN_RENDERED[case]
    bib = tmp_path / "broken.bib"
    bib.write_text(bib_text + "\n", encoding="utf-8")
    assert check(render(bib)) != []


@pytest.mark.parametrize("case", sorted(BROKEN_LABELS))
def test_the_label_check_catches_a_broken_entry(case, tmp_path):
    bib = tmp_path / "broken.bib"
    bib.write_text(BROKEN_LABELS[case] + "\n", encoding="utf-8")
    assert placeholder_labels(bib) != []


def test_the_checks_accept_a_sound_entry_and_a_noted_gap(tmp_path):
    bib = tmp_path / "sound.bib"
    bib.write_text("@article{x, author = {Alexeeva, E I and {van Dijkhuizen}, E and others}, title = {Tocilizumab in"
                   " {Japan}}, " + SOUND + "}\n"
                   "@article{y, title = {T}, shorttitle = {Cohort}, journal = {J Test}, year = {2021},"
                   " note = {Not given by the source: author, volume, pages (article number). More.}}\n"
                   "@misc{z, title = {U}, shorttitle = {Other}, note = {Not given by the source: author, year}}\n",
                   encoding="utf-8")
    entries = csl_entries(bib)
    for check in {check for check, _ in BROKEN.values()}:
        assert check(entries) == [], check.__name__
    text = render(bib)
    assert lower_cased_proper_nouns(text) == [] and rendered_repeated_pages(text) == []
    assert placeholder_labels(bib) == []
