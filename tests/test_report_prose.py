"""Checks of report/review.qmd as text (no build): numbers, citations and cross-references.

* Every number the prose shows must come from an inline ``{python}`` expression: the prose (outside code
  cells, inline expressions, the YAML front matter and citation brackets) may contain a digit only inside a
  small list of fixed constants (years, IL-6, ACR30, "95% CI", "100 patient-years", ...).
* Every citation key has an entry in report/references.bib, and so has every study of data/studies.csv
  (the review builds citations such as ``f"[@{sid}]"`` from those ids in code cells).
* Every ``@fig-``/``@tbl-``/``@sec-`` reference has a label, and every figure and table label is referenced.
"""

import csv
import re

import pytest

from conftest import REPO

QMD = REPO / "report" / "review.qmd"
BIB = REPO / "report" / "references.bib"
STUDIES = REPO / "data" / "studies.csv"

# The only digits the prose may contain: fixed constants, not results. Each entry is a regular expression
# matched as a whole token (not inside a longer number or word). Everything else with a digit is flagged.
ALLOWED_NUMERIC_CONSTANTS = {
    "year 1900-2099": r"(?:19|20)[0-9]{2}",
    "cytokine": r"(?:IL|interleukin)-(?:6|1)",  # IL-6, IL-1 (and the spelled-out interleukin-6, interleukin-1)
    "ACR response level": r"ACR(?:30|50|70|90)",  # ACR30/50/70/90, which covers 'JIA ACR30'
    "interval level": r"95% (?:CI|confidence|prediction|credible|Wald|Wilson|intervals?)\b",
    "rate unit": r"100\s+patient-years",
    "absolute-effect unit": r"1000\s+patients",  # GRADE's "per 1000 patients"
    "supplementary file": r"S[1-9]",  # a supplementary file's label (listed in its appendix)
    "checksum algorithm name": r"sha256",  # the name of the hash in 'sha256 checksum', not a quantity
    "appraisal tool and domain names": r"RoB\s2|D[1-7]|Q(?:[1-9]|10)",  # RoB 2, its domains D1-D5, JBI items Q1-Q10
}

# Cross-reference tokens (@sec-x, @fig-x, @tbl-x) and attribute blocks ({#sec-x}, {.unnumbered}) are
# section/figure/table references: never numbers, whatever their names contain.
CROSS_REFERENCE = re.compile(r"@(?:fig|tbl|sec)-[A-Za-z0-9_-]*[A-Za-z0-9]")
ATTRIBUTES = re.compile(r"\{[#.][^{}\n]*\}")
INLINE_EXPRESSION = re.compile(r"`\{python\}[^`]*`")
CITATION_BRACKET = re.compile(r"\[[^\[\]]*@[^\[\]]*\]")
LINK_TARGET = re.compile(r"\]\([^()\s]*\)")  # the file an image or link points to: a path, not prose
FENCE = re.compile(r"^(`{3,})")


def _blank(match: re.Match) -> str:
    """Replace a match by spaces (newlines kept), so offsets and line numbers stay those of the file."""
    return re.sub(r"[^\n]", " ", match.group(0))


def prose_only(text: str) -> str:
    """The .qmd with everything that is not prose blanked out: front matter, fenced cells, inline code,
    citation brackets, cross-references and attribute blocks. Line numbers are preserved."""
    lines = text.split("\n")
    keep = [True] * len(lines)
    start = 0
    if lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        for i in range(end + 1):
            keep[i] = False
        start = end + 1
    i = start
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence:  # a ```{python} cell (or any fenced block) up to its closing fence
            j = i + 1
            while j < len(lines) and lines[j].strip() != fence.group(1):
                j += 1
            for k in range(i, min(j, len(lines) - 1) + 1):
                keep[k] = False
            i = j + 1
            continue
        i += 1
    body = "\n".join(line if kept else "" for line, kept in zip(lines, keep))
    for pattern in (INLINE_EXPRESSION, LINK_TARGET, CITATION_BRACKET, CROSS_REFERENCE, ATTRIBUTES):
        body = pattern.sub(_blank, body)
    return body


def numeric_literals(text: str) -> list[tuple[int, str]]:
    """(line, token) for every digit in the prose of ``text`` that is not one of the allowed constants."""
    body = prose_only(text)
    for pattern in ALLOWED_NUMERIC_CONSTANTS.values():
        body = re.sub(r"(?<![\w.,-])" + pattern + r"(?![\w%]|[.,][0-9])", _blank, body)
    found = []
    for match in re.finditer(r"\S*[0-9]\S*", body):  # ASCII digits only: tau² and I² are notation
        found.append((body.count("\n", 0, match.start()) + 1, match.group(0)))
    return found


def test_prose_contains_no_typed_numbers():
    found = numeric_literals(QMD.read_text(encoding="utf-8"))
    assert found == [], ("numbers typed into the prose of report/review.qmd (compute them with an inline "
                         "`{python} ...` expression instead): "
                         + "; ".join(f"line {line}: {token!r}" for line, token in found))


SNIPPET = """---
title: "Trial 2012"
date: 2025-01-01
---

```{python}
#| label: tbl-x
n = 75  # numbers in code cells are fine
```

In 2012, `{python} rh.count_of(64, 75)` patients on tocilizumab (IL-6) reached JIA ACR30 [@debenedetti2012, p. 12];
the odds ratio had a 95% CI of `{python} rh.ratio(18.1)`, and MAS occurred at 1.2 per 100 patient-years
(@tbl-x, @sec-part-2). On IL-1 blockade, the response was ACR50. {#sec-part-2}
"""


def test_scanner_accepts_numbers_outside_the_prose_and_the_allowed_constants():
    # A year, IL-6/IL-1, JIA ACR30/ACR50, '95% CI', '100 patient-years', an inline expression, a code
    # cell, front matter, a citation locator and cross-references with digits: none is a typed result.
    # Only the rate '1.2' is typed into the prose.
    assert numeric_literals(SNIPPET) == [(12, "1.2")]


def test_scanner_flags_a_count_typed_into_the_prose():
    snippet = "Tocilizumab worked: 64 of 75 patients responded (85%) at week 12 [@debenedetti2012].\n"
    assert [token for _, token in numeric_literals(snippet)] == ["64", "75", "(85%)", "12"]
    # typed into the real review, the same sentence is caught with its line number
    text = QMD.read_text(encoding="utf-8")
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("# Discussion"))
    lines.insert(index + 2, "Patients responded in 64 of 75 cases.")
    found = numeric_literals("\n".join(lines))
    assert (index + 3, "64") in found and (index + 3, "75") in found


def test_scanner_flags_near_misses_of_the_allowed_constants():
    # IL-10 is not IL-1, ACR35 is not a response level, '95% of patients' is a result, 1850 is no year here,
    # and '2 per 100 patient-years' still types the rate.
    snippet = "IL-10 rose; ACR35 was met; 95% of patients improved in 1850; 2 per 100 patient-years.\n"
    assert [token for _, token in numeric_literals(snippet)] == ["IL-10", "ACR35", "95%", "1850;", "2"]


# ------------------------------------------------------------------------------------------- citations

def bibliography_keys() -> set[str]:
    """Keys of the BibTeX entries (not @string/@comment/@preamble) in report/references.bib."""
    entries = re.findall(r"^\s*@(\w+)\s*\{\s*([^,\s]+)\s*,", BIB.read_text(encoding="utf-8"), flags=re.M)
    return {key for kind, key in entries if kind.lower() not in {"string", "comment", "preamble"}}


def cited_keys(text: str) -> set[str]:
    """Static citation keys of a .qmd: ``[@key]``, ``[@a; @b]``, ``@key`` in the prose, code cells and inline
    expressions alike (``@{sid}`` built in code is not a static key). Cross-references are not citations."""
    keys = set(re.findall(r"(?<![\w@])@([A-Za-z][\w:.#$%&+?<>~/-]*[\w])", text))
    return {key for key in keys if not re.match(r"(?:fig|tbl|sec|eq|lst|thm)-", key)}


def test_every_static_citation_has_a_bibliography_entry():
    keys = cited_keys(QMD.read_text(encoding="utf-8"))
    assert len(keys) >= 20, sorted(keys)  # the scanner does see the review's citations
    missing = sorted(keys - bibliography_keys())
    assert missing == [], f"cited in report/review.qmd but not in report/references.bib: {missing}"


def test_every_study_cited_from_code_has_a_bibliography_entry():
    with STUDIES.open(encoding="utf-8", newline="") as handle:
        study_ids = {row["study_id"] for row in csv.DictReader(handle)}
    assert len(study_ids) > 10
    missing = sorted(study_ids - bibliography_keys())
    assert missing == [], f"studies in data/studies.csv without an entry in report/references.bib: {missing}"


def test_citation_scanner_sees_keys_in_brackets_and_ignores_cross_references():
    text = "As shown [@alpha2001; @beta_2 p. 3] and by @gamma2020, see @fig-x and @tbl-y; f\"[@{sid}]\"; a@b.org."
    assert cited_keys(text) == {"alpha2001", "beta_2", "gamma2020"}


# -------------------------------------------------------------------------------------- cross-references

def labels(text: str) -> set[str]:
    """Cross-reference targets defined in a .qmd: ``#| label: fig-x`` / ``tbl-x`` and ``{#sec-x}`` attributes."""
    defined = set(re.findall(r"^#\|\s*label:\s*[\"']?((?:fig|tbl)-[A-Za-z0-9_-]+)", text, flags=re.M))
    defined |= set(re.findall(r"\{[^{}\n]*#((?:fig|tbl|sec)-[A-Za-z0-9_-]+)[^{}\n]*\}", text))
    return defined


def references(text: str) -> set[str]:
    """Cross-references made in the document: ``@fig-x``, ``@tbl-x``, ``@sec-x``."""
    return {match.group(0)[1:] for match in CROSS_REFERENCE.finditer(text)}


def test_every_cross_reference_has_a_label():
    text = QMD.read_text(encoding="utf-8")
    assert references(text), "the review makes cross-references"
    missing = sorted(references(text) - labels(text))
    assert missing == [], f"references without a label in report/review.qmd: {missing}"


def test_every_figure_and_table_label_is_referenced():
    # Sections may stay unreferenced (their labels are anchors for the contents); every figure and
    # table must be pointed to from the text.
    text = QMD.read_text(encoding="utf-8")
    floats = {label for label in labels(text) if label.startswith(("fig-", "tbl-"))}
    assert len(floats) >= 5
    unreferenced = sorted(floats - references(text))
    assert unreferenced == [], f"figures/tables never referenced with @label in report/review.qmd: {unreferenced}"


@pytest.mark.parametrize("snippet, dangling, unreferenced", [
    ("```{python}\n#| label: fig-a\n```\nSee @fig-a and @tbl-b.\n", {"tbl-b"}, set()),
    ("```{python}\n#| label: tbl-b\n```\n# Part {#sec-p}\nSee @sec-p.\n", set(), {"tbl-b"}),
])
def test_cross_reference_checks_catch_dangling_and_unreferenced_labels(snippet, dangling, unreferenced):
    assert references(snippet) - labels(snippet) == dangling
    floats = {label for label in labels(snippet) if label.startswith(("fig-", "tbl-"))}
    assert floats - references(snippet) == unreferenced
