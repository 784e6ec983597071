"""Normalise validated curated tables into analysis-ready clean tables.

The curated tables store values exactly as the sources print them (decimal commas, ``median(range)``
pieces, CRP in mg/l or mg/dl, timepoints as words). Here, and only here, they become numbers with one
unit each. The as-reported columns are kept beside the parsed ones so any number can be traced back.
"""


import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pypandoc

from populations import population_ids

WEEKS_PER_MONTH = 52.1775 / 12  # mean Gregorian month
WEEKS_PER_YEAR = 52.1775
WEEKS_PER_DAY = 1 / 7
CRP_MG_PER_L_PER_UNIT = {"mg/l": 1.0, "mg/dl": 10.0}


def parse_reported_number(text) -> float:
    """A number as printed in a source (``'5,10'``, ``'80.3'``, ``'<0.001'``) as a float; NaN when empty.

    A decimal comma is read as a decimal point: the curated tables never contain thousands separators
    (the schema's patterns allow one separator between digits only). A leading comparison sign is dropped;
    keep the as-reported column where it matters (p values).
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return np.nan
    text = str(text).strip()
    if not text:
        return np.nan
    text = re.sub(r"^[<>≤≥]\s?", "", text)
    return float(text.replace(",", "."))


def parse_spread(text) -> tuple[float, float]:
    """Lower and upper end of a reported spread such as ``'1.6-5.3'`` or ``'0,08–4,3'``; NaNs when empty."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
        return (np.nan, np.nan)
    low, high = re.split(r"\s?[-–]\s?", str(text).strip(), maxsplit=1)
    return (parse_reported_number(low), parse_reported_number(high))


def crp_in_mg_per_l(value: float, unit: str) -> float:
    """C-reactive protein converted to mg/L (1 mg/dL = 10 mg/L); NaN for a missing or unknown unit."""
    factor = CRP_MG_PER_L_PER_UNIT.get(str(unit).strip().lower())
    return value * factor if factor is not None else np.nan


def timepoint_in_weeks(timepoint: str) -> float:
    """Weeks from treatment start for a harmonised timepoint (``'month 6'`` -> 26.09); baseline is 0.

    ``final follow-up`` and ``not reported`` have no fixed time and give NaN.
    """
    if timepoint == "baseline":
        return 0.0
    match = re.fullmatch(r"(day|week|month|year) (\d+(?:[.,]\d+)?)", str(timepoint))
    if not match:
        return np.nan
    unit, amount = match.groups()
    weeks_per_unit = {"day": WEEKS_PER_DAY, "week": 1.0, "month": WEEKS_PER_MONTH, "year": WEEKS_PER_YEAR}[unit]
    return round(parse_reported_number(amount) * weeks_per_unit, 2)


def letter_suffix(index: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'aa', 27 -> 'ab': the suffixes that tell same-author, same-year studies apart."""
    letters = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[remainder] + letters
    return letters


def study_labels(bib_path: Path) -> pd.DataFrame:
    """``study_id`` -> short label ``'Deslypere 2011'`` taken from the bibliography (the one home of citations).

    Pandoc parses the BibTeX (its citeproc is what formats the report's references too).
    """
    entries = json.loads(pypandoc.convert_file(str(bib_path), "csljson", format="bibtex"))
    rows = []
    for entry in entries:
        authors = entry.get("author") or []
        first = authors[0] if authors else {}
        # An entry without authors is labelled by its short title (BibTeX 'shorttitle'), e.g. 'Moscow cohort'.
        name = first.get("family") or first.get("literal") or entry.get("title-short") or "Anonymous"
        year = (entry.get("issued", {}).get("date-parts") or [["n.d."]])[0][0]
        rows.append({"study_id": entry["id"], "study_label": f"{name} {year}".strip()})
    labels = pd.DataFrame(rows, columns=["study_id", "study_label"]).sort_values("study_id")
    # Two studies with the same first author and year become 'Yokota 2003a' and 'Yokota 2003b'.
    repeated = labels.groupby("study_label")["study_id"].transform("count") > 1
    suffix = labels.groupby("study_label").cumcount().map(letter_suffix)
    labels.loc[repeated, "study_label"] = labels.loc[repeated, "study_label"] + suffix[repeated]
    return labels.reset_index(drop=True)


def read_curated(path: Path) -> pd.DataFrame:
    """A curated CSV with every column as text (empty cells as empty strings): nothing is parsed yet."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _to_int(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", np.nan)).astype("Int64")


def clean_studies(studies: pd.DataFrame, labels: pd.DataFrame, overlaps: pd.DataFrame) -> pd.DataFrame:
    """Studies with typed year and n, the bibliography label, and the population each report belongs to.

    ``population_id`` groups reports that share patients (``populations.population_ids``).
    """
    out = studies.copy()
    out["year"] = _to_int(out["year"])
    out["n_total"] = _to_int(out["n_total"])
    out = out.merge(labels, on="study_id", how="left", validate="one_to_one")
    out["study_label"] = out["study_label"].fillna(out["study_id"])
    out["population_id"] = out["study_id"].map(population_ids(out["study_id"], overlaps))
    return out


def with_source_kind(rows: pd.DataFrame, inclusion_log: pd.DataFrame) -> pd.DataFrame:
    """Rows with the kind of text their phrase comes from (primary, fuller, secondary) and its flag, if any,
    so that an analysis can leave out numbers from third-party tables or flagged texts and say so."""
    kinds = inclusion_log[["source_file", "source_kind", "flag"]].rename(columns={"flag": "source_flag"})
    return rows.merge(kinds, on="source_file", how="left", validate="many_to_one")


def clean_arms(arms: pd.DataFrame) -> pd.DataFrame:
    """Arms with typed n."""
    out = arms.copy()
    out["n"] = _to_int(out["n"])
    return out


def clean_efficacy(efficacy: pd.DataFrame) -> pd.DataFrame:
    """Efficacy rows with parsed numbers: proportions, central values, spreads, CRP in mg/L, weeks."""
    out = efficacy.copy()
    for column in ("events", "denominator", "n_evaluated"):
        out[column] = _to_int(out[column])
    out["percent_value"] = out["percent"].map(parse_reported_number)
    out["central_value"] = out["value"].map(parse_reported_number)
    spreads = out["spread"].map(parse_spread)
    out["spread_lower"] = spreads.map(lambda s: s[0])
    out["spread_upper"] = spreads.map(lambda s: s[1])
    is_crp = out["outcome"].eq("crp")
    for column in ("central_value", "spread_lower", "spread_upper"):
        converted = [crp_in_mg_per_l(v, u) for v, u in zip(out[column], out["unit"])]
        out[column] = np.where(is_crp, converted, out[column])
    out.loc[is_crp, "unit"] = "mg/L"
    out["timepoint_weeks"] = out["timepoint"].map(timepoint_in_weeks)
    return out


def clean_safety(safety: pd.DataFrame) -> pd.DataFrame:
    """Safety rows with parsed counts, percentages and rates per 100 patient-years."""
    out = safety.copy()
    for column in ("count", "denominator"):
        out[column] = _to_int(out[column])
    for column in ("percent", "rate_per_100py", "rate_ci_lower", "rate_ci_upper"):
        out[f"{column}_value"] = out[column].map(parse_reported_number)
    return out


def clean_meta_estimates(meta: pd.DataFrame) -> pd.DataFrame:
    """Published estimates with parsed numbers."""
    out = meta.copy()
    for column in ("estimate", "ci_lower", "ci_upper"):
        out[f"{column}_value"] = out[column].map(parse_reported_number)
    for column in ("n_trials", "n_patients"):
        out[column] = _to_int(out[column])
    return out


def clean_table(name: str, curated: dict[str, pd.DataFrame], bib_path: Path) -> pd.DataFrame:
    """The clean version of curated table ``name`` (validated before this runs); ``curated`` holds every
    curated table by name, as some clean tables join another (overlaps, the inclusion log)."""
    table = curated[name]
    if name == "studies":
        return clean_studies(table, study_labels(bib_path), curated["overlaps"])
    cleaners = {"arms": clean_arms, "efficacy": clean_efficacy, "safety": clean_safety,
                "meta_estimates": clean_meta_estimates}
    table = cleaners.get(name, lambda rows: rows)(table)
    if name in {"efficacy", "safety", "meta_estimates"}:
        table = with_source_kind(table, curated["inclusion_log"])
    return table


def run_rule(smk) -> None:
    """Snakemake entry point: validate one curated table (with the tables it looks up and joins), then write
    its clean version; a problem stops the job before anything is written."""
    from pipeline_io import rule_logger, write_table
    from validate import CurationError, validate

    log = rule_logger(smk.log[0], smk.rule)
    name = smk.wildcards.table
    sources_dir = Path(smk.params.sources_dir) if smk.params.sources_dir else None
    bibliography = Path(smk.input.bibliography[0]) if smk.input.bibliography else None  # studies only
    try:
        validate(Path(smk.input.datapackage), bibliography, sources_dir, tables=[name, *smk.params.joined])
    except CurationError as error:
        log.error("%s", error)
        raise SystemExit(1) from None
    curated = {Path(path).stem: read_curated(Path(path)) for path in [smk.input.curated, *smk.input.read]}
    table = clean_table(name, curated, bibliography)
    write_table(table, smk.output[0])
    log.info("%s: valid; %d rows, %d columns", name, len(table), table.shape[1])


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
