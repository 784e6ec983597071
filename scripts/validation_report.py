"""What the validation step reports: the checks it made, and the source texts awaiting classification.

Snakemake runs ``run_rule`` as the ``validation_report`` job, after every curated table has passed its checks
in its own ``clean_table`` job (``validate.validate``, with the tables it looks up and the source texts).
"""

from pathlib import Path

import pandas as pd

import provenance
from validate import load_descriptor, read_rows


def awaiting_classification(datapackage: Path, sources_dir: Path | None) -> list[str]:
    """Source texts in the sources folder that the inclusion log does not list yet (Cochrane's 'studies awaiting
    classification'): the build goes on, lists them and warns; it never guesses a decision for them."""
    if sources_dir is None:
        return []
    resources = {r["name"]: r for r in load_descriptor(datapackage)["resources"]}
    logged = {row["source_file"] for _, row in read_rows(Path(datapackage).parent / resources["inclusion_log"]["path"])}
    return sorted(set(provenance.load_sources(sources_dir)) - logged)


def awaiting_warning(name: str) -> str:
    """The build's warning for a source text that the inclusion log does not list yet."""
    return (f"{name} is awaiting classification: it is in the sources folder but not in data/inclusion_log.csv. "
            "Add a row for it (included with its extracted rows, or excluded with a reason) and rebuild; "
            "until then the review lists it as awaiting classification.")


def checks_report(sources_dir: Path | None, awaiting: list[str] = ()) -> str:
    """What a successful validation checked, for ``results/validation/report.txt`` (skipped checks named)."""
    phrase_check = (f"every phrase (numbers, line and background therapy, overlaps, risk-of-bias support) found in its "
                    f"source text under {sources_dir}"
                    if sources_dir else
                    "SKIPPED phrase-in-source check: no sources folder configured (config sources_dir)")
    lines = ["Every curated table in data/datapackage.json is valid:",
             "- columns, types, vocabularies, required cells, primary and foreign keys (data/datapackage.json)",
             "- events and counts not above their denominators",
             "- every extracted number occurs in its source_phrase",
             "- every phrase's source file is logged for its study in the inclusion log",
             f"- {phrase_check}",
             "- every included study is in the inclusion log and in report/references.bib",
             "- every line of therapy other than not_reported has its phrase; each overlapping pair is logged once"]
    if sources_dir:
        lines.append(f"Source texts awaiting classification (not in data/inclusion_log.csv): {len(awaiting)}")
        lines += [f"- WARNING {awaiting_warning(name)}" for name in awaiting]
    return "\n".join(lines) + "\n"


def run_rule(smk) -> None:
    """Snakemake entry point, once every curated table has passed its checks (the clean tables exist): write
    what was checked and the source texts awaiting classification, and warn about each of those."""
    from pipeline_io import rule_logger, write_atomically, write_table

    log = rule_logger(smk.log[0], smk.rule)
    sources_dir = Path(smk.params.sources_dir) if smk.params.sources_dir else None
    awaiting = awaiting_classification(Path(smk.input.datapackage), sources_dir)
    report = checks_report(sources_dir, awaiting)
    log.info("%s", report.strip())
    write_table(pd.DataFrame({"source_file": awaiting}, dtype=str), smk.output.awaiting)
    write_atomically(smk.output.validation, report)
    for name in awaiting:  # last, so that the console shows them after the report
        log.warning("%s", awaiting_warning(name))


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
