"""Claim-level provenance: each number the review's text shows, linked to the rows and source phrases behind it.

A value in the text is made a *claim* with ``Claims.claim(text, *rows, method=...)``: ``rows`` are the analysis
table rows it was read from (as ``report_helpers.one`` and ``Results.table`` return them, which carry the name
of their table). The claim renders as a link, ``[64 of 75](#claim-7){.claim}`` in Markdown (documented Pandoc
and Quarto syntax), to its entry in the appendix "Provenance of the values in the text", which lists the table
rows, the method for a computed value, and the curated rows behind them with their study, location in the source
and exact phrase. In the HTML the link shows that entry as a card on hover or focus; in the PDF it jumps to it.
"""

from dataclasses import dataclass, field

import pandas as pd

from report_helpers import certainty_statement, rows_where
from vocabulary import label

# What each table holds, as the provenance appendix names it (any other table by its name in words).
TABLE_TITLES = {"rct_response": "the placebo-controlled comparisons", "pooled_versus_placebo": "the pooled estimates "
                "against placebo", "indirect_comparisons": "the indirect comparisons", "maintenance_of_response":
                "the randomised-withdrawal trials", "study_characteristics": "the included studies",
                "response_proportions": "the response proportions", "marker_changes": "the inflammatory markers",
                "glucocorticoid_sparing": "the glucocorticoid outcomes", "safety_rates": "the safety rates",
                "safety_events": "the safety events", "published_comparison": "the published estimates",
                "transitivity": "the trials side by side (transitivity)", "switching_evidence": "the studies of a "
                "switch", "certainty_of_evidence": "the summary of findings", "pooled_proportions": "the pooled "
                "proportions", "risk_of_bias": "the risk-of-bias judgements", "efficacy": "the efficacy rows",
                "safety": "the safety rows", "sensitivity_dersimonian_laird": "the DerSimonian-Laird sensitivity "
                "analysis", "sensitivity_with_secondary_comparisons": "the sensitivity analysis with secondary "
                "comparisons", "sensitivity_without_rilonacept": "the sensitivity analysis without rilonacept",
                "sensitivity_refractory_only": "the sensitivity analysis of refractory populations"}
# Columns that identify an analysis table's row, in the order they are shown.
KEY_COLUMNS = ["study_id", "analysis_set", "level", "group", "comparison", "analysis", "drug", "arm_id", "endpoint",
               "outcome", "event", "timepoint", "box"]
# An analysis row's column -> the curated column it was read from (to find the curated rows behind the row).
CURATED_MATCH = {"arm_id": "arm_id", "endpoint": "outcome", "outcome": "outcome", "timepoint": "timepoint",
                 "event": "event", "comparison": "comparison"}
# The curated tables whose phrases stand behind each table's rows (efficacy for any other table): a study's
# row gives its number of patients from its arms; a safety row, from the safety table; a published estimate,
# from the meta-analytic estimates.
CURATED_BEHIND = {"study_characteristics": ["arms"], "studies": ["arms"], "safety_rates": ["safety"],
                  "safety_events": ["safety"], "safety": ["safety"], "published_comparison": ["meta_estimates"],
                  "switching_evidence": ["efficacy"]}


class Claim(str):
    """A value as the text shows it, with the id of its provenance entry; Markdown renders it as a link."""

    claim_id: str

    def __new__(cls, text: str, claim_id: str):
        value = super().__new__(cls, text)
        value.claim_id = claim_id
        return value

    def _repr_markdown_(self) -> str:
        return f"[{str(self)}](#{self.claim_id}){{.claim}}"


@dataclass
class Entry:
    """One claim's provenance: the value shown, how it was computed, the analysis rows it was read from."""

    claim_id: str
    text: str
    method: str
    rows: list[tuple[str, dict]] = field(default_factory=list)  # (table name, key columns of the row)
    counted: list[str] = field(default_factory=list)  # for a count or total: the studies (or texts) it counts
    counted_rows: int = 0  # ... and the rows it counted them from (a study may give more than one)


def row_key(row: pd.Series) -> dict:
    """The identifying columns of an analysis table row that it has and fills (a published estimate's study is
    the evidence synthesis it was published in)."""
    key = {column: row[column] for column in KEY_COLUMNS if column in row.index and pd.notna(row[column])}
    if "published_in" in row.index and pd.notna(row["published_in"]):
        key = {"study_id": row["published_in"], **key}
    return key


def source_rows(rows) -> list[tuple[str, dict]]:
    """(table, key) for each row of ``rows``: Series and DataFrames that carry their table's name in ``attrs``."""
    found = []
    for part in rows:
        table = part.attrs.get("table", "")
        frame = part.to_frame().T if isinstance(part, pd.Series) else part
        found += [(table, row_key(row)) for _, row in frame.iterrows()]
    return found


class Claims:
    """The review's claims, numbered in the order the text makes them."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._row_entries: dict[tuple, str] = {}  # a table row's entry, shared by the cells that link to it

    def claim(self, text, *rows, method: str = "") -> Claim:
        """``text`` (already formatted) as a claim read from ``rows`` (analysis rows or tables), with the method
        for a computed value ('REML, Hartung-Knapp-Sidik-Jonkman interval', 'count of rows', ...)."""
        if not rows or not all(isinstance(part, (pd.Series, pd.DataFrame)) for part in rows):
            raise TypeError(f"the claim {text!r} names no analysis row: pass the row(s) or table it was read from")
        return self._add(text, method, rows=source_rows(rows))

    def _add(self, text, method: str, **provenance) -> Claim:
        """A new entry, numbered in the order of the text, and the value that links to it."""
        entry = Entry(f"claim-{len(self.entries) + 1}", str(text), method, **provenance)
        self.entries.append(entry)
        return Claim(str(text), entry.claim_id)

    def linked(self, texts, rows: pd.DataFrame, escape) -> list[str]:
        """Table cells: each of ``texts`` (the cells of one column) as a link to the provenance entry of its row
        of ``rows`` (an analysis table, in the same order). The cells of one row share one entry."""
        cells = []
        for text, (_, row) in zip(texts, rows.iterrows()):
            row.attrs = {"table": rows.attrs.get("table", "")}
            key = (row.attrs["table"], tuple(row_key(row).items()))
            if key not in self._row_entries:
                self._row_entries[key] = self.claim(text, row).claim_id
            cells.append(f"[{escape(text)}](#{self._row_entries[key]}){{.claim}}")
        return cells

    def grade(self, sof: pd.DataFrame, **criteria) -> Claim:
        """The GRADE certainty of the summary-of-findings rows matching ``criteria``, as a claim on those rows."""
        return self.claim(certainty_statement(sof, **criteria), rows_where(sof, **criteria), method="GRADE")

    def count(self, text, rows: pd.DataFrame, what: str, column: str = "study_id") -> Claim:
        """A count or total over ``rows``: the entry says what it counts and names everything counted (the
        rows' ``column``: studies by default, or source texts)."""
        return self._add(text, what, counted=sorted(dict.fromkeys(rows[column].astype(str))), counted_rows=len(rows))


def curated_rows(key: dict, curated: dict[str, pd.DataFrame], behind: list[str] | None = None) -> pd.DataFrame:
    """The curated rows behind an analysis row with a study, from the curated tables ``behind`` it (default:
    efficacy): the same study, and the same arm, outcome, timepoint or event where the row names them; empty
    for rows without a study."""
    if "study_id" not in key:
        return pd.DataFrame()
    found = []
    for name in behind or ["efficacy"]:
        table = curated.get(name)
        if table is None:
            continue
        matched = {CURATED_MATCH[column]: key[column] for column in key if column in CURATED_MATCH}
        if not set(matched) <= set(table.columns):  # an efficacy row's outcome is not in the safety table
            continue
        match = table["study_id"] == key["study_id"]
        for curated_column, value in matched.items():
            match &= table[curated_column].astype(str) == str(value)
        found.append(table.loc[match, ["study_id", "source_location", "source_phrase"]])
    return pd.concat(found, ignore_index=True).drop_duplicates() if found else pd.DataFrame()


def pooled_studies(key: dict, table: pd.DataFrame) -> list[str]:
    """The studies a pooled row combined (its ``studies`` column, ';'-separated), if it has one."""
    if table is None or "studies" not in table.columns:
        return []
    match = pd.Series(True, index=table.index)
    for column, value in key.items():
        match &= table[column].astype(str) == str(value)
    return [s for cell in table.loc[match, "studies"].dropna() for s in str(cell).split(";") if s]


def describe(key: dict, labels: dict[str, str]) -> str:
    """'study De Benedetti 2012, endpoint adapted ACR Pedi 30, timepoint week 12' for a row's key columns."""
    names = {"study_id": "study", "arm_id": "arm", "analysis_set": "analysis"}
    parts = []
    for column, value in key.items():
        shown = labels.get(value, value) if column == "study_id" else label(value)
        parts.append(f"{names.get(column, column.replace('_', ' '))} {shown}")
    return ", ".join(parts)


def evidence(table: str, key: dict, tables: dict[str, pd.DataFrame],
             curated: dict[str, pd.DataFrame]) -> tuple[list[pd.DataFrame], list[str]]:
    """What stands behind one analysis row: the curated rows to quote, and the studies to name only.

    A row of one study quotes that study's curated rows. A pooled row (its ``studies`` column) quotes the
    primary-analysis rows of each trial it pooled, and names the studies that are not such a trial (cohorts),
    whose rows cannot be told apart here."""
    if "study_id" in key:
        return [curated_rows(key, curated, CURATED_BEHIND.get(table))], []
    trials, quoted, named = tables.get("rct_response"), [], []
    for study in pooled_studies(key, tables.get(table)):
        trial = (trials[(trials["study_id"] == study) & (trials["analysis_set"] == "primary analysis")]
                 if trials is not None else pd.DataFrame())
        if trial.empty:
            named.append(study)
            continue
        trial_key = {"study_id": study, "endpoint": trial["endpoint"].iloc[0], "timepoint": trial["timepoint"].iloc[0]}
        quoted.append(curated_rows(trial_key, curated, CURATED_BEHIND.get(table)))
    return quoted, named


def appendix(claims: Claims, tables: dict[str, pd.DataFrame], curated: dict[str, pd.DataFrame],
             labels: dict[str, str], escape) -> str:
    """Markdown for the provenance appendix: one block per claim, with its id as the anchor its link points
    to: the value, the method, each analysis row it was read from, and the curated rows with study, location
    and exact phrase (for a pooled row, those of the trials it pooled). ``escape`` makes text literal."""
    blocks = []
    for entry in claims.entries:
        lines = [f"**{escape(entry.text)}**" + (f" ({escape(entry.method)})" if entry.method else "")]
        phrases = []
        for table, key in entry.rows:
            lines.append(f"From {TABLE_TITLES.get(table, table.replace('_', ' '))}: {escape(describe(key, labels))}.")
            quoted, named = evidence(table, key, tables, curated)
            phrases += [f"{escape(labels.get(row.study_id, row.study_id))}, {escape(row.source_location)}: "
                        f"\u201c{escape(row.source_phrase)}\u201d" for rows in quoted for row in rows.itertuples()]
            if named:
                lines.append(f"Combines {len(named)}: "
                             + ", ".join(escape(labels.get(study, study)) for study in named) + ".")
        if entry.counted:
            counted = ", ".join(escape(labels.get(item, item)) for item in entry.counted)
            lines.append(f"Counts {len(entry.counted)}: {counted}." if entry.counted_rows == len(entry.counted)
                         else f"Counts {entry.counted_rows} rows, from {len(entry.counted)}: {counted}.")
        bullets = "\n".join(f"- {phrase}" for phrase in dict.fromkeys(phrases))
        body = "\n\n".join(lines) + (f"\n\n{bullets}" if bullets else "")
        blocks.append(f"::: {{#{entry.claim_id} .claim-entry}}\n{body}\n:::")
    return "\n\n".join(blocks)
