"""Overlapping populations: reports that share patients are grouped, so that each population counts once.

``data/overlaps.csv`` names pairs of reports that share patients (same trial, extension, same registry, same
centre, probable). Pairs chain: if A shares patients with B and B with C, all three describe one population.
The rule the review states in its Methods: every count of patients or studies and every pooled estimate takes
one report per population, the one with the most patients for that count or outcome (ties: the most recent,
then the study id), so no patient enters a total or a pool twice.
"""

import pandas as pd


def population_ids(study_ids, overlaps: pd.DataFrame) -> dict[str, str]:
    """``study_id`` -> population id: the alphabetically first study id among the reports that share patients
    with it, directly or through a chain of overlaps. A study that overlaps with none is its own population."""
    parent = {study: study for study in study_ids}
    for pair in overlaps[["study_id", "shares_patients_with"]].itertuples(index=False):
        for study in pair:
            parent.setdefault(study, study)

    def root(study: str) -> str:
        while parent[study] != study:
            parent[study] = parent[parent[study]]
            study = parent[study]
        return study

    for first, second in overlaps[["study_id", "shares_patients_with"]].itertuples(index=False):
        low, high = sorted((root(first), root(second)))
        parent[high] = low
    return {study: root(study) for study in study_ids}


def one_report_per_population(table: pd.DataFrame, size: str, group: list[str] | None = None) -> pd.DataFrame:
    """Keep, within each ``group`` (e.g. one pooled estimate), the rows of one report per ``population_id``.

    The report kept has the most patients in that group (sum of ``size`` over its rows), then the most recent
    ``year``, then the first ``study_id``. Several rows of the kept report (e.g. its anakinra and canakinumab arms)
    all stay: arms of one report are different patients. The table must carry ``population_id``, ``year`` and
    ``study_id``."""
    group = list(group or [])
    if table.empty:
        return table
    sizes = (table.assign(_size=pd.to_numeric(table[size], errors="coerce").fillna(0),
                          _year=pd.to_numeric(table["year"], errors="coerce").fillna(-1))
             .groupby(group + ["population_id", "study_id"], as_index=False)
             .agg(_size=("_size", "sum"), _year=("_year", "max")))
    best = (sizes.sort_values(["_size", "_year", "study_id"], ascending=[False, False, True], kind="stable")
            .drop_duplicates(group + ["population_id"], keep="first"))
    keep = table.merge(best[group + ["study_id"]], on=group + ["study_id"], how="left", indicator=True)["_merge"]
    return table[(keep == "both").to_numpy()]
