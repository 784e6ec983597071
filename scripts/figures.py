"""Figures of the review, one function per figure, each drawing one or more analysis tables.

Each function returns a matplotlib figure; the entry point saves it as deterministic SVG.
"""


import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from appraisal_figures import risk_of_bias_figure, source_flow_figure
from conventions import EVIDENCE_SYNTHESES, REFRACTORY_LINES
from figure_style import (MAX_ROWS_PER_PANEL, TARGET_COLOURS, TARGET_MARKERS, figure, rows_drawn, save_svg,
                          summary_strip, target_key)
from vocabulary import arm_label, label, sentence as readable

DESIGN_ORDER = [
    "randomised_controlled_trial", "randomised_withdrawal_trial", "randomised_open_label_trial",
    "open_label_extension", "single_arm_trial", "prospective_cohort", "retrospective_cohort", "registry",
    "post_marketing_surveillance", "case_series", "case_report", "systematic_review", "meta_analysis",
    "network_meta_analysis",
]


def evidence_map(characteristics: pd.DataFrame):
    """Year x design; primary studies coloured by target with marker area proportional to patients; evidence
    syntheses as hollow grey diamonds of one size, since their patients are those of the trials they pool."""
    designs = [d for d in DESIGN_ORDER if d in set(characteristics["design"])]
    fig = figure(height_in=0.45 * len(designs) + 1.4)
    ax = fig.add_subplot()
    y = {design: i for i, design in enumerate(designs)}
    n = characteristics["n_total"].fillna(1).clip(lower=1)
    is_synthesis = characteristics["design"].isin(EVIDENCE_SYNTHESES)
    for target, group in characteristics[~is_synthesis].groupby("target", sort=True):
        sizes = marker_area(n.loc[group.index])
        ax.scatter(group["year"], [y[d] for d in group["design"]], s=sizes, color=TARGET_COLOURS.get(target, "#999999"),
                   marker=TARGET_MARKERS.get(target, "o"), alpha=0.75, edgecolor="black", linewidth=0.4, label=target)
    syntheses = characteristics[is_synthesis]
    if not syntheses.empty:
        ax.scatter(syntheses["year"], [y[d] for d in syntheses["design"]], s=40, facecolor="white", edgecolor="#555555",
                   marker="D", linewidth=0.8, label="evidence synthesis (not sized)")
    ax.set_yticks(range(len(designs)), [readable(d) for d in designs])
    ax.set_xlabel("Publication year")
    ax.invert_yaxis()
    targets = ax.legend(title="Target", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, markerscale=0.8)
    ax.add_artist(targets)
    # the marker area's key: patients in the study (a study without a reported n is drawn at the smallest size)
    keys = [ax.scatter([], [], s=marker_area(k), color="#cccccc", edgecolor="black", linewidth=0.4, label=f"{k:,}")
            for k in SIZE_KEY]
    ax.legend(handles=keys, title="Patients", loc="upper left", bbox_to_anchor=(1.01, 0.55), frameon=False,
              labelspacing=1.2, borderpad=0.8)
    return fig


SIZE_KEY = [20, 100, 400]  # patients shown in the evidence map's size key


def marker_area(patients):
    """Marker area (points squared) for a study of ``patients``: grows linearly with the number of patients."""
    return 12 + 0.4 * np.asarray(patients, dtype=float)


# Panels by line of therapy: "refractory" is after conventional drugs or another biologic failed.
COHORT_PANELS = {line: "Refractory disease" for line in REFRACTORY_LINES} | {"first_line_biologic": "First-line use"}


def response_forest(proportions: pd.DataFrame):
    """Response proportions in refractory and first-line cohorts (non-randomised studies), by target.

    Filled markers with Wilson 95% intervals where responders and denominators are reported; hollow markers
    for a percentage reported without its denominator (no interval can be computed).
    """
    table = proportions[proportions["treatment_line"].isin(COHORT_PANELS) & proportions["target"].isin(["IL-6", "IL-1"])
                        & ~proportions["design"].str.startswith("randomised")]
    table = table.assign(panel=table["treatment_line"].map(COHORT_PANELS))
    lines = [line for line in dict.fromkeys(COHORT_PANELS.values()) if line in set(table["panel"])]
    if not lines:
        fig = figure(height_in=1.2)
        fig.text(0.5, 0.5, "No refractory or first-line cohort reports a response proportion.", ha="center")
        return fig
    sizes = [max(1, rows_drawn(table[table["panel"] == line], ["target", "outcome"])) for line in lines]
    fig = figure(height_in=0.36 * sum(sizes) + 0.5 * len(lines) + 1.4)
    axes = fig.subplots(len(lines), 1, squeeze=False, sharex=True, height_ratios=sizes).ravel()
    summarised = False
    for ax, line in zip(axes, lines):
        part = table[table["panel"] == line].sort_values(["target", "year", "study_id"], ascending=[False, True, True])
        part = part.reset_index(drop=True)
        if rows_drawn(part, ["target", "outcome"]) < len(part):  # too many arms to draw one by one
            summary_strip(ax, [(f"{target}, {label(outcome)}", list(group["proportion"]), TARGET_COLOURS[target],
                                TARGET_MARKERS[target])
                               for (target, outcome), group in part.groupby(["target", "outcome"], sort=False)],
                          lambda value: f"{value:.0%}")
            ax.set_title(line, loc="left")
            summarised = True
            continue
        for y, r in part.iterrows():
            colour = TARGET_COLOURS[r["target"]]
            if r["interval_available"]:
                ax.errorbar(r["proportion"], y, xerr=[[r["proportion"] - r["ci_lower"]], [r["ci_upper"] - r["proportion"]]],
                            fmt=TARGET_MARKERS[r["target"]], color=colour, capsize=2, markersize=5)
            else:
                ax.plot(r["proportion"], y, TARGET_MARKERS[r["target"]], color=colour, markerfacecolor="white", markersize=5)
        counts = [f"{int(r.responders)}/{int(r.n_evaluated)}" if r.interval_available else f"{100 * r.proportion:g}%"
                  for r in part.itertuples()]
        # the source's own outcome term in full (wrapped, not cut), so that two rows never read alike
        ax.set_yticks(range(len(part)), [
            f"{r.study_label}, {arm_label(r.drug, r.arm_id)}, {r.timepoint}: {c}\n"
            + textwrap.shorten(str(r.outcome_as_reported), 90, placeholder="\u2026")
            for r, c in zip(part.itertuples(), counts)], fontsize=6.5)
        ax.invert_yaxis()
        ax.set_title(line, loc="left")
    axes[-1].set_xlim(0, 1)
    axes[-1].xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    fig.supxlabel("Patients with the outcome" + (" (a row with a median summarises the arms of one outcome: small marks "
                                                 "each arm, large mark their median)" if summarised else ""), fontsize=9)
    handles, labels = target_key(table["target"])
    handles += [plt.Line2D([], [], marker="o", color="#555555", markersize=5),
                plt.Line2D([], [], linestyle="none", marker="o", color="#555555", markerfacecolor="white", markersize=5)]
    fig.legend(handles, [*labels, "responders/evaluated, 95% Wilson interval", "percentage without denominator"],
               loc="outside upper center", ncols=2, frameon=False)
    return fig


def marker_changes(markers: pd.DataFrame):
    """Central values of each marker over time (weeks), one panel per marker, one line per study arm."""
    table = markers[markers["timepoint_weeks"].notna()]
    points = table.groupby("outcome")["timepoint_weeks"].nunique()
    outcomes = sorted(points[points >= 2].index)  # a marker needs a baseline and a later value to show change
    table = table[table["outcome"].isin(outcomes)]
    fig = figure(height_in=2.4 * int(np.ceil(len(outcomes) / 2)) + 0.3)
    axes = fig.subplots(int(np.ceil(len(outcomes) / 2)), 2, squeeze=False).ravel()
    for ax, outcome in zip(axes, outcomes):
        panel = table[table["outcome"] == outcome]
        for (study, arm), line in panel.groupby(["study_label", "arm_id"], sort=True):
            line = line.sort_values("timepoint_weeks")
            ax.errorbar(line["timepoint_weeks"], line["value"],
                        yerr=[line["value"] - line["spread_lower"].fillna(line["value"]),
                              line["spread_upper"].fillna(line["value"]) - line["value"]],
                        marker="o", capsize=2, color=TARGET_COLOURS["IL-6"] if "tocilizumab" in arm else "#555555",
                        label=study)
        unit = panel["unit"].dropna().iloc[0] if panel["unit"].notna().any() else ""
        ax.set_title(label(outcome))
        ax.set_xlabel("Weeks from start")
        ax.set_ylabel(f"{panel['statistic'].dropna().iloc[0] if panel['statistic'].notna().any() else 'value'}"
                      + (f" ({unit})" if unit else ""))
        ax.legend(frameon=False, fontsize=7)
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    return fig


def _log_axis(ax, low=0.02, high=500):
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.axvline(1, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:g}")


# Groups of the trial forest plot, in order, with the direction of their odds ratios.
FOREST_GROUPS = [
    ("primary analysis", "Induction, primary analysis (> 1 favours drug)"),
    ("secondary-source comparison", "Induction, secondary sources (sensitivity only)"),
    ("maintenance of response", "Withdrawal: maintenance (> 1 favours continuing)"),
    ("indirect", "Indirect via placebo (> 1 favours tocilizumab)"),
]


def rct_forest(rct: pd.DataFrame, indirect: pd.DataFrame, pooled: pd.DataFrame, characteristics: pd.DataFrame):
    """Odds ratios of the randomised trials in their analyses (primary induction analysis with the pooled IL-1
    estimate, secondary-source comparisons, withdrawal trials) and every indirect comparison of tocilizumab,
    each group headed by the direction its odds ratios read in (log scale)."""
    labels = characteristics.set_index("study_id")["study_label"]
    rct = rct.assign(label=[f"{labels.get(s, s)} ({d})" for s, d in zip(rct["study_id"], rct["drug"])],
                     detail=[f"{ea}/{na} vs {ep}/{np_}" for ea, na, ep, np_ in
                             rct[["events_active", "n_active", "events_placebo", "n_placebo"]].itertuples(index=False)])
    classes = pooled[pooled["level"] == "target"].set_index("group")
    agents = pooled[pooled["level"] == "drug"].set_index("group")
    # Too many trials to draw one by one: the primary analysis by agent (pooled), the other analyses by drug
    # (median odds ratio, the line spanning the trials' range).
    compact = len(rct) > MAX_ROWS_PER_PANEL
    rows = []
    for group, title in FOREST_GROUPS:
        members = []
        if compact and group != "indirect":
            for target in ("IL-6", "IL-1"):
                part = rct[(rct["analysis_set"] == group) & (rct["target"] == target)]
                for drug, trials in part.groupby("drug", sort=True):
                    if group == "primary analysis" and drug in agents.index:
                        a = agents.loc[drug]
                        members.append((f"{drug}, {int(a.k_trials)} trials pooled", a.odds_ratio, a.ci_lower,
                                        a.ci_upper, target, "pooled", f"k = {int(a.k_trials)}"))
                    else:
                        ors = trials["odds_ratio"].dropna()
                        members.append((f"{drug}, {len(ors)} trials (median, range)", ors.median(), ors.min(),
                                        ors.max(), target, "range", f"k = {len(ors)}"))
                if group == "primary analysis" and target in classes.index and classes.loc[target, "k_trials"] > 1:
                    c = classes.loc[target]
                    members.append((f"{target} trials pooled", c.odds_ratio, c.ci_lower, c.ci_upper, target, "pooled",
                                    f"k = {int(c.k_trials)}"))
        elif group == "indirect":
            for r in indirect[indirect["odds_ratio"].notna()].itertuples():
                members.append((r.comparison.replace("tocilizumab vs ", "Tocilizumab vs "), r.odds_ratio, r.ci_lower,
                                r.ci_upper, "IL-6 and IL-1", "indirect", f"k = {int(r.k_trials)} trials"))
        else:
            for target in ("IL-6", "IL-1"):
                for r in rct[(rct["analysis_set"] == group) & (rct["target"] == target)].itertuples():
                    members.append((r.label, r.odds_ratio, r.or_ci_lower, r.or_ci_upper, target, "trial", r.detail))
                if group == "primary analysis" and target in classes.index and classes.loc[target, "k_trials"] > 1:
                    c = classes.loc[target]
                    members.append((f"{target} trials pooled", c.odds_ratio, c.ci_lower, c.ci_upper, target, "pooled",
                                    f"k = {int(c.k_trials)}"))
        if members:
            rows.append((title, None, None, None, None, "header", ""))
            rows += members
    fig = figure(height_in=0.32 * len(rows) + 1.3)
    ax = fig.add_subplot()
    for y, (_, estimate, low, high, target, kind, _) in enumerate(rows):
        if kind == "header":
            continue
        colour = TARGET_COLOURS.get(target, "#555555")
        marker = {"trial": "s", "pooled": "D", "indirect": "D", "range": "s"}[kind]
        # An interval wider than the axis is drawn to the edge: the table beside the figure gives its bounds.
        shown_low, shown_high = max(low, 0.011), min(high, 990)
        ax.errorbar(estimate, y, xerr=[[estimate - shown_low], [shown_high - estimate]], fmt=marker, color=colour,
                    capsize=0 if kind == "range" else 2, markersize=7 if kind not in {"trial", "range"} else 5,
                    markerfacecolor="white" if kind in {"indirect", "range"} else colour)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    for tick, row in zip(ax.get_yticklabels(), rows):
        if row[5] == "header":
            tick.set_fontweight("bold")
    ax.invert_yaxis()
    _log_axis(ax, low=0.01, high=1000)
    details = ax.twinx()
    details.set_ylim(ax.get_ylim())
    details.set_yticks(range(len(rows)), [r[6] for r in rows], fontsize=7)
    details.grid(False)
    ax.set_xlabel("Odds ratio of response (95% CI, log scale)" if not compact else
                  "Odds ratio of response (95% CI, log scale)\nhollow squares: median of the trials, line: their range")
    return fig


def safety_label(row) -> str:
    """'Klein 2020 (tocilizumab)'; a systematic review's pooled class-level rate says so."""
    agent = "IL-1 class" if row.drug == "mixed" else row.drug
    if row.design in EVIDENCE_SYNTHESES:
        return f"{row.study_label} ({agent}; pooled, sJIA and AOSD)"
    return f"{row.study_label} ({agent})"


def safety_rates(rates: pd.DataFrame):
    """MAS, serious infections and serious adverse events per 100 patient-years as reported, by study and agent."""
    events = [e for e in ("macrophage_activation_syndrome", "serious_infection", "serious_adverse_event")
              if e in set(rates["event"])]
    rows = [max(1, rows_drawn(rates[rates["event"] == e], ["target", "drug"])) for e in events]
    fig = figure(height_in=0.3 * sum(rows) + 0.9 * len(events) + 0.8)
    axes = fig.subplots(len(events), 1, squeeze=False, sharex=True, height_ratios=rows).ravel()
    titles = {"macrophage_activation_syndrome": "Macrophage activation syndrome", "serious_infection": "Serious infections",
              "serious_adverse_event": "Serious adverse events"}
    summarised = False
    for ax, event in zip(axes, events):
        part = rates[rates["event"] == event].sort_values(["target", "drug"]).reset_index(drop=True)
        if rows_drawn(part, ["target", "drug"]) < len(part):  # too many studies to draw one by one
            summary_strip(ax, [("IL-1 class" if drug == "mixed" else drug, list(group["rate_per_100py_reported"]),
                                TARGET_COLOURS.get(target, "#555555"),
                                TARGET_MARKERS.get(target, "o"))
                               for (target, drug), group in part.groupby(["target", "drug"], sort=False)],
                          lambda value: f"{value:.1f}")
            ax.set_title(titles[event], loc="left")
            summarised = True
            continue
        for y, r in part.iterrows():
            colour = TARGET_COLOURS.get(r["target"], "#555555")
            # An interval printed around a rate it does not contain (a typo in the source) is not drawn.
            has_ci = (pd.notna(r["rate_ci_lower"]) and pd.notna(r["rate_ci_upper"])
                      and r["rate_ci_lower"] <= r["rate_per_100py_reported"] <= r["rate_ci_upper"])
            ax.errorbar(r["rate_per_100py_reported"], y, xerr=[[r["rate_per_100py_reported"] - r["rate_ci_lower"]],
                        [r["rate_ci_upper"] - r["rate_per_100py_reported"]]] if has_ci else None,
                        fmt=TARGET_MARKERS.get(r["target"], "o"), color=colour, capsize=2)
        ax.set_yticks(range(len(part)), [safety_label(r) for r in part.itertuples()])
        ax.invert_yaxis()
        ax.set_title(titles[event], loc="left")
    # centred under the figure: under the axes alone it would run past the figure's edge (long row labels)
    fig.supxlabel("Events per 100 patient-years, as reported (95% CI where given)" + (
        "; a row with a median summarises one agent's studies (small marks each study, large mark their median)"
        if summarised else ""), fontsize=9, wrap=True)
    handles, labels = target_key(rates["target"])
    fig.legend(handles, labels, title="Target", loc="outside upper center", ncols=len(labels), frameon=False)
    return fig


# Each figure's function and the analysis tables it draws, in the order of the function's parameters.
FIGURE_FUNCTIONS = {
    "evidence_map": (evidence_map, ["study_characteristics"]),
    "response_forest": (response_forest, ["response_proportions"]),
    "marker_changes": (marker_changes, ["marker_changes"]),
    "rct_forest": (rct_forest, ["rct_response", "indirect_comparisons", "pooled_versus_placebo",
                                "study_characteristics"]),
    "safety_rates": (safety_rates, ["safety_rates"]),
    "risk_of_bias_rob2": (lambda table: risk_of_bias_figure(table, "rob2"), ["risk_of_bias"]),
    "risk_of_bias_robins_i": (lambda table: risk_of_bias_figure(table, "robins_i"), ["risk_of_bias"]),
    "risk_of_bias_jbi": (lambda table: risk_of_bias_figure(table, "jbi_case_series"), ["risk_of_bias"]),
    "source_flow": (source_flow_figure, ["source_flow"]),
}


def draw(name: str, tables: dict[str, pd.DataFrame]):
    """Figure ``name`` drawn from the analysis tables it needs (``tables`` maps table name to table)."""
    function, needed = FIGURE_FUNCTIONS[name]
    return function(*(tables[table] for table in needed))


def run_rule(smk) -> None:
    """Snakemake entry point: draw every figure from the analysis tables."""
    from pipeline_io import read_table, rule_logger

    log = rule_logger(smk.log[0], smk.rule)
    tables = {Path(path).stem: read_table(path) for path in smk.input.tables}
    for path in smk.output:
        save_svg(draw(Path(path).stem, tables), path)
        log.info("drew %s", path)


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
