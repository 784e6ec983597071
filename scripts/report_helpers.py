"""Helpers the review (report/review.qmd) calls: load the pipeline's tables, format numbers, build tables.

Everything the prose says with a number comes from these tables through inline expressions; nothing is
typed by hand. Text from the curated data is escaped before it reaches Markdown, so a study name with
``*``, ``<script>`` or ``$`` appears literally in the HTML and the PDF.
"""


import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from conventions import REFRACTORY_LINES  # noqa: F401 - used by the review
from populations import one_report_per_population  # noqa: F401 - used by the review
from vocabulary import arm_label, label, sentence as readable  # noqa: F401 - used by the review

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$@~^&=:;'\"%/])")


def escape(text) -> str:
    """Text shown literally by Pandoc: every ASCII punctuation character backslash-escaped."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def count(value) -> str:
    """An integer count with a thousands separator, e.g. '16', '2,000'; an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "\u2014"
    return f"{int(value):,}"


def percent(fraction, digits: int = 0) -> str:
    """A fraction (0-1) as a percentage, e.g. 0.6875 -> '69%'."""
    if fraction is None or pd.isna(fraction):
        return "\u2014"
    return f"{100 * float(fraction):.{digits}f}%"


def number(value, digits: int = 1) -> str:
    """A decimal number with fixed digits, e.g. 2.25 -> '2.2' (digits=1)."""
    if value is None or pd.isna(value):
        return "\u2014"
    return f"{float(value):.{digits}f}"


def interval(lower, upper, formatter=percent) -> str:
    """A 95% interval, e.g. '41% to 89%'."""
    return f"{formatter(lower)} to {formatter(upper)}"




def words_list(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class MarkdownText(str):
    """Text that is Markdown: an inline expression inserts it as Markdown (like IPython's ``Markdown``), where a
    plain string would be shown literally, under Quarto and the offline renderer alike."""

    def _repr_markdown_(self) -> str:
        return str(self)


def citations(study_ids) -> MarkdownText:
    """A Pandoc citation for the studies, e.g. '[@a; @b]' (keys are validated against the .bib)."""
    keys = sorted(set(study_ids))
    return MarkdownText("[" + "; ".join(f"@{k}" for k in keys) + "]" if keys else "")


# Characters of table text (8 pt in the PDF) across the text width of an A4 page, less each cell's padding.
TABLE_LINE_CHARACTERS = 100
CELL_PADDING_CHARACTERS = 3


def breakable(text: str) -> str:
    """Long identifiers (file names of more than 20 characters) may wrap after each underscore: a zero-width
    space follows it. Shorter words are left exactly as they are."""
    return re.sub(r"\S{21,}", lambda word: word[0].replace("\\_", "\\_\u200b"), text)


def visible_text(markdown: str) -> str:
    """The text a cell shows, roughly: links as their text; escapes, citation brackets and code marks removed."""
    text = re.sub(r"\[([^\]]*)\]\(#[^)]*\)(\{[^}]*\})?", r"\1", markdown)  # a link shows its text only
    text = re.sub(r"\\(.)", r"\1", text)
    text = re.sub(r"\[@[^\]]*\]", "[1]", text)  # a citation shows as a short superscript number
    return text.replace("`", "")


def column_widths(rows: list[list[str]]) -> list[int]:
    """Relative widths (Pandoc reads them from a pipe table's dashes) for a table's columns: each column gets
    at least its longest word, so that no word runs into the next column, and the room left over goes to the
    columns with longer text, in proportion to how much more they need (a column never gets more than its
    longest cell)."""
    columns = list(zip(*rows))
    needed = [max(len(word) for cell in column for word in (re.split(r"[\s\u200b]+", cell) or [""]))
              + CELL_PADDING_CHARACTERS
              for column in columns]
    wanted = [max(len(cell) for cell in column) + CELL_PADDING_CHARACTERS for column in columns]
    room = max(TABLE_LINE_CHARACTERS - sum(needed), 0)
    more = [max(w - n, 0) for w, n in zip(wanted, needed)]
    total_more = sum(more) or 1
    return [n + min(m, round(room * m / total_more)) for n, m in zip(needed, more)]


def markdown_table(table: pd.DataFrame, columns: dict[str, str], raw: tuple[str, ...] = ()) -> str:
    """A Pandoc pipe table of ``columns`` (name -> header); cell text escaped unless the column is in ``raw``.

    ``raw`` columns hold Markdown built by this module (citations), never curated free text.
    """
    body = [[str(row[c]) if c in raw else breakable(escape(row[c])) for c in columns] for _, row in table.iterrows()]
    header = [escape(h) for h in columns.values()]
    dashes = column_widths([[visible_text(cell) for cell in row] for row in [header, *body]])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(":" + "-" * d for d in dashes) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


@dataclass(frozen=True)
class Results:
    """The pipeline's outputs as the review reads them."""

    root: Path

    def table(self, name: str) -> pd.DataFrame:
        """An analysis table; it carries its name (``attrs['table']``) into the rows taken from it, for claims."""
        table = pd.read_csv(self.root / "tables" / f"{name}.csv")
        table.attrs["table"] = name
        return table

    def clean(self, name: str) -> pd.DataFrame:
        """A clean curated table, carrying its name like an analysis table."""
        table = pd.read_csv(self.root / "clean" / f"{name}.csv", keep_default_na=False, na_values=[""])
        table.attrs["table"] = name
        return table

    def validation(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.root / "validation" / f"{name}.csv", keep_default_na=False, na_values=[""])

    def sources_checked(self) -> bool:
        """Whether the build checked the curated data against the source texts (config sources_dir)."""
        return "SKIPPED" not in (self.root / "validation" / "report.txt").read_text(encoding="utf-8")


def data_dictionary(datapackage: Path) -> pd.DataFrame:
    """One row per column of every curated table, from data/datapackage.json (the single source of truth)."""
    descriptor = json.loads(Path(datapackage).read_text(encoding="utf-8"))
    rows = []
    for resource in descriptor["resources"]:
        for field in resource["schema"]["fields"]:
            constraints = field.get("constraints", {})
            allowed = (", ".join(str(code) for code in constraints["enum"]) if "enum" in constraints
                       else field.get("hint", ""))
            rows.append({"table": resource["path"], "column": field["name"], "type": field["type"],
                         "required": "yes" if constraints.get("required") else "",
                         "description": field.get("description", ""), "allowed": allowed})
    return pd.DataFrame(rows)


def vocabularies(datapackage: Path) -> pd.DataFrame:
    """One row per code of every controlled vocabulary that the data dictionary defines in words."""
    descriptor = json.loads(Path(datapackage).read_text(encoding="utf-8"))
    rows = [{"table": resource["path"], "column": field["name"], "code": code, "definition": definition}
            for resource in descriptor["resources"] for field in resource["schema"]["fields"]
            for code, definition in field.get("definitions", {}).items()]
    return pd.DataFrame(rows, columns=["table", "column", "code", "definition"])


def rows_where(table: pd.DataFrame, **criteria) -> pd.DataFrame:
    """The rows of ``table`` matching every ``column=value`` (they keep the table's name, for claims)."""
    mask = pd.Series(True, index=table.index)
    for column, value in criteria.items():
        mask &= table[column] == value
    return table[mask]


def one(table: pd.DataFrame, **criteria) -> pd.Series:
    """The single row of ``table`` matching every ``column=value``; a clear error if there is not exactly one.

    The review states facts about named studies through this, so a change in the data that removes or
    duplicates such a row stops the build instead of printing a wrong number.
    """
    rows = rows_where(table, **criteria)
    if len(rows) != 1:
        raise LookupError(f"expected exactly one row with {criteria}, found {len(rows)}")
    row = rows.iloc[0].copy()
    row.attrs = {"table": table.attrs.get("table", "")}  # the row remembers its table, for claims
    return row


def ratio(value, digits: int = 2) -> str:
    """An odds or risk ratio with sensible precision: 18.1, 3.17, 0.82."""
    if value is None or pd.isna(value):
        return "\u2014"
    value = float(value)
    return f"{value:.1f}" if value >= 10 else f"{value:.{digits}f}"


def ratio_ci(row, estimate="odds_ratio", lower="ci_lower", upper="ci_upper") -> str:
    """'18.1 (95% CI 6.75 to 48.5)' from a row with estimate and interval columns."""
    return f"{ratio(row[estimate])} (95% CI {ratio(row[lower])} to {ratio(row[upper])})"


def ratio_range(lower, upper, floor: float = 0.01, ceiling: float = 1000) -> str:
    """A ratio interval in words that stay readable when a bound is extreme: 'below 0.01 to above 1000'."""
    low = f"below {floor:g}" if lower < floor else ratio(lower)
    high = f"above {ceiling:g}" if upper > ceiling else ratio(upper)
    return f"{low} to {high}"


def count_of(events, total) -> str:
    """'64 of 75 (85%)'."""
    return f"{count(events)} of {count(total)} ({percent(float(events) / float(total))})"


def reported_percent(value) -> str:
    """A percentage stored as the source printed it, e.g. 64.0 -> '64%', 80.3 -> '80.3%'."""
    if value is None or pd.isna(value):
        return "\u2014"
    return f"{float(value):g}%"


def effect_direction(lower, upper, better: str, worse: str, neutral: str) -> str:
    """Words for what a ratio's 95% interval shows: ``better`` above 1, ``worse`` below 1, else ``neutral``.

    Claims in the prose that depend on the data are phrased through this, so that adding a study can
    change the words as well as the numbers.
    """
    if float(lower) > 1:
        return better
    if float(upper) < 1:
        return worse
    return neutral


PLURAL_LAST_WORD = {"series": "series", "study": "studies", "surveillance": "surveillance studies", "analysis": "analyses",
                    "registry": "registries"}


def counted(n: int, noun: str) -> str:
    """'1 case report', '5 randomised controlled trials', '2 case series', '3 registries'."""
    if int(n) == 1:
        return f"{int(n)} {noun}"
    *head, last = noun.split(" ")
    last = PLURAL_LAST_WORD.get(last, last + "s")
    return f"{int(n)} {' '.join(head + [last])}"


GRADE_LEVELS = ["very low", "low", "moderate", "high"]


def certainty_statement(sof: pd.DataFrame, **criteria) -> str:
    """The GRADE certainty of the summary-of-findings rows matching ``column=value`` criteria, with the domains
    they were rated down for: 'low (rated down for risk of bias and imprecision)'. Rows rated alike
    (one per trial, for outcomes that are not pooled) read as one; rated differently, as a range."""
    rows = rows_where(sof, **criteria)
    if rows.empty:
        raise LookupError(f"no summary-of-findings row with {criteria}")
    levels = sorted(set(rows["certainty"]), key=GRADE_LEVELS.index)
    domains = dict.fromkeys(reason.split(":")[0].strip() for reasons in rows["reasons"].dropna()
                            for reason in str(reasons).split(";") if ":" in reason)
    level = levels[0] if len(levels) == 1 else f"{levels[0]} to {levels[-1]}"
    return level + (f" (rated down for {words_list(domains)})" if domains else "")


def protocol_deviations(protocol: Path) -> tuple[int, list[str]]:
    """From the review protocol (Markdown): how many changes of method its deviations table records, and the
    lead phrase (the first bold words, without its full stop) of each deviation it lists as still open."""
    text = Path(protocol).read_text(encoding="utf-8")
    evolved = text.split("## Deviations and how the methods evolved", 1)[1].split("\n## ", 1)[0]
    changes = [line for line in evolved.splitlines() if line.startswith("| ") and not line.startswith("| Date")]
    still_open = text.split("## Deviations still open", 1)[1].split("\n## ", 1)[0]
    leads = [m.group(1).rstrip(".") for m in re.finditer(r"^- \*\*(.+?)\*\*", still_open, flags=re.M)]
    return len(changes), leads


def article_information(review: dict, version: str, licences: dict[str, str]) -> str:
    """The review's article information as Markdown lines: authors with affiliation and ORCID, the corresponding
    author, funding, conflicts of interest, data and code availability, and the version with its data freeze.
    ``review`` is the config's ``review`` block; what it leaves empty reads as not declared."""
    authors = review.get("authors") or []
    lines = []
    if authors:
        named = [escape(a["name"]) + (f" ({escape(a['affiliation'])})" if a.get("affiliation") else "")
                 + (f", ORCID [{a['orcid']}](https://orcid.org/{a['orcid']})" if a.get("orcid") else "")
                 for a in authors]
        lines.append(f"**Authors:** {'; '.join(named)}.")
        corresponding = [a for a in authors if a.get("corresponding")]
        if corresponding:
            lines.append("**Corresponding author:** " + "; ".join(
                escape(a["name"]) + (f", <{a['email']}>" if a.get("email") else "") for a in corresponding) + ".")
    else:
        lines.append("**Authors:** not declared in this version; the review is generated from curated data by the "
                     "sjia-review pipeline.")
    lines.append(f"**Funding:** {escape(review.get('funding')) or 'not declared'}.")
    lines.append(f"**Conflicts of interest:** {escape(review.get('conflicts_of_interest')) or 'not declared'}.")
    place = f"the project's repository, <{review['repository']}>" if review.get("repository") else "the project's repository"
    lines.append(f"**Data and code availability:** the curated data ({licences['data']}), the code ({licences['code']}) "
                 f"and the source of this review ({licences['text']}) are in {place}; the source texts are "
                 "copyrighted and are not redistributed.")
    lines.append(f"**Version:** {escape(version)}, with the curated data frozen on {escape(review['data_freeze'])}.")
    return "  \n".join(lines)
