"""Appraisal figures: risk of bias in the robvis layout (McGuinness & Higgins 2021), a traffic-light plot of every
study and domain with a summary bar chart of each domain weighted by the number of patients, one figure per tool;
and the PRISMA 2020 flow of the source collection."""

import pandas as pd

from figure_style import JUDGEMENT_COLOURS, MAX_ROWS_PER_PANEL, figure

# For each tool: title, its domains in order, and each judgement's (legend word, colour key, symbol).
TOOLS = {
    "rob2": ("RoB 2: randomised comparisons", [f"D{i}" for i in range(1, 6)],
             {"low": ("Low", "low", "+"), "some_concerns": ("Some concerns", "middle", "\u2013"),
              "high": ("High", "high", "\u00d7"), "no_information": ("No information", "no information", "?")}),
    "robins_i": ("ROBINS-I: non-randomised comparisons of the two classes", [f"D{i}" for i in range(1, 8)],
                 {"low": ("Low", "low", "+"), "moderate": ("Moderate", "middle", "\u2013"),
                  "serious": ("Serious", "high", "\u00d7"), "critical": ("Critical", "critical", "!"),
                  "no_information": ("No information", "no information", "?")}),
    "jbi_case_series": ("JBI checklist: single-arm cohorts and case series", [f"Q{i}" for i in range(1, 11)],
                        {"yes": ("Yes (item met) / low concern", "low", "+"), "low": ("Yes (item met) / low concern", "low", "+"),
                         "unclear": ("Unclear / moderate concern", "middle", "?"),
                         "moderate": ("Unclear / moderate concern", "middle", "?"),
                         "no": ("No (item not met) / high concern", "high", "\u00d7"),
                         "high": ("No (item not met) / high concern", "high", "\u00d7"),
                         "not_applicable": ("Not applicable", "not applicable", "")}),
}


def risk_of_bias_figure(appraisal: pd.DataFrame, tool: str):
    """Traffic lights (top: one row per study, one column per domain and the overall judgement, colour and
    symbol per judgement) and the weighted summary (bottom: share of patients in studies with each judgement,
    per domain). ``appraisal`` is the analysis table ``risk_of_bias`` (judgements with study label and n)."""
    title, domains, scale = TOOLS[tool]
    columns = domains + ["overall"]
    part = appraisal[appraisal["tool"] == tool]
    studies = part.drop_duplicates("study_id").sort_values(["year", "study_label"])
    # beyond MAX_ROWS_PER_PANEL studies the traffic lights would not fit a page: the weighted summary alone
    with_lights = len(studies) <= MAX_ROWS_PER_PANEL
    light_height = 0.2 * len(studies) + 0.9 if with_lights else 0.0
    fig = figure(height_in=light_height + 0.28 * len(columns) + 2.1)
    if studies.empty:
        fig.text(0.5, 0.5, "No study appraised with this tool.", ha="center")
        return fig
    if not with_lights:
        fig.suptitle(f"{title}\n{len(studies)} studies, too many for one traffic light each: the judgements of each "
                     "study are in the risk-of-bias table", fontsize=8, x=0.01, ha="left")
        summary_and_key(fig, part, studies, columns, scale)
        return fig
    top, bottom = fig.subfigures(2, 1, height_ratios=[light_height, 0.28 * len(columns) + 1.9])
    lights = top.subplots()
    # One scatter call per judgement and shape (not one artist per cell): the symbols become a single reused
    # marker path, which keeps the figure fast to draw at many studies.
    row_of = {study: y for y, study in enumerate(studies["study_id"])}
    column_of = {domain: x for x, domain in enumerate(columns)}
    cells = part[part["domain"].isin(columns)]
    for (judgement, overall), group in cells.groupby(["judgement", cells["domain"] == "overall"], sort=True):
        word, colour, symbol = scale[judgement]
        xs, ys = group["domain"].map(column_of), group["study_id"].map(row_of)
        lights.scatter(xs, ys, s=110, color=JUDGEMENT_COLOURS[colour], edgecolor="black", linewidth=0.4,
                       marker="s" if overall else "o")
        if symbol:
            lights.scatter(xs, ys, s=22, color="black", marker=f"${symbol}$", linewidth=0)
    lights.set_xticks(range(len(columns)), [c if c != "overall" else "Overall" for c in columns])
    lights.set_yticks(range(len(studies)), studies["study_label"])
    lights.set_xlim(-0.6, len(columns) - 0.4)
    lights.set_ylim(len(studies) - 0.5, -0.5)
    lights.xaxis.tick_top()
    lights.grid(False)
    lights.set_title(title, loc="left", pad=18)
    summary_and_key(bottom, part, studies, columns, scale)
    return fig


def summary_and_key(panel, part: pd.DataFrame, studies: pd.DataFrame, columns: list[str], scale: dict) -> None:
    """The weighted summary bars (share of patients in studies with each judgement, per domain) and the key."""
    summary, key = panel.subplots(2, 1, height_ratios=[len(columns), 1.2])
    weight = studies.set_index("study_id")["n_total"].fillna(1).clip(lower=1)
    legend = {}
    for y, domain in enumerate(columns):
        rows = part[part["domain"] == domain]
        total = float(sum(weight[s] for s in rows["study_id"]))
        left = 0.0
        for judgement, (word, colour, _) in scale.items():
            share = float(sum(weight[s] for s in rows.loc[rows["judgement"] == judgement, "study_id"])) / total
            if share > 0:
                legend[word] = summary.barh(y, share, left=left, color=JUDGEMENT_COLOURS[colour], edgecolor="black",
                                            linewidth=0.3)
                left += share
    summary.set_yticks(range(len(columns)), [c if c != "overall" else "Overall" for c in columns])
    summary.invert_yaxis()
    summary.set_xlim(0, 1)
    summary.xaxis.set_major_formatter(lambda value, _: f"{100 * value:.0f}%")
    summary.set_xlabel("Share of patients in the appraised studies (weighted by study size)")
    order = [word for word, _, _ in dict.fromkeys(scale.values()) if word in legend]  # the scale's own order
    key.axis("off")  # an axis of its own for the legend, so that the layout keeps room for it
    key.legend([legend[word] for word in order], order, loc="center", ncol=min(len(order), 3), frameon=False,
               fontsize=7, title="Judgement (symbols as in the traffic lights)", title_fontsize=7)


def source_flow_figure(flow: pd.DataFrame):
    """PRISMA 2020 flow of the source collection (analysis table ``source_flow``): the collection, what left it
    (awaiting classification, excluded with reasons, texts merged into their study) on the right, and what the
    review kept down the middle (studies, syntheses, shared populations, quantitative and narrative synthesis)."""
    count = {row.box: int(row.count) for row in flow.itertuples() if row.box != "excluded"}
    excluded = flow[flow["box"] == "excluded"]
    fig = figure(height_in=5.2)
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.axis("off")

    def box(x, y, text, width=4.4):
        ax.text(x, y, text, ha="center", va="center", fontsize=7.5, wrap=True,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "#333333", "linewidth": 0.8})

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 0.8})

    box(2.6, 9.2, f"Source texts in the curated collection\n(no new database search)\nn = {count['collection']}")
    box(2.6, 6.9, f"Source texts in the inclusion log\nn = {count['collection'] - count['awaiting']}")
    reasons = "\n".join(f"{row.label.removeprefix('excluded: ')}: {int(row.count)}" for row in excluded.itertuples())
    box(7.6, 8.1, f"Awaiting classification: {count['awaiting']}\n\nExcluded: {int(excluded['count'].sum())}\n{reasons}",
        width=4.2)
    box(7.6, 5.2, f"Texts adding to a study already\ncounted (fuller texts, third-party\ntables): {count['merged']}")
    box(2.6, 4.4, f"Studies included\nn = {count['studies']}\n(evidence syntheses: {count['syntheses']};\n"
                  f"primary reports of a population\nalready counted: {count['shared']})")
    box(1.5, 1.3, f"Quantitative synthesis\n(randomised comparison or\npooled proportion)\nn = {count['quantitative']}")
    box(5.3, 1.3, f"Narrative synthesis only\n(primary studies)\nn = {count['narrative']}")
    arrow(2.6, 8.55, 2.6, 7.35)
    arrow(4.0, 8.0, 5.3, 8.0)
    arrow(2.6, 6.45, 2.6, 5.35)
    arrow(4.0, 5.6, 5.6, 5.3)
    arrow(2.2, 3.45, 1.7, 2.15)
    arrow(3.0, 3.45, 4.8, 2.15)
    return fig
