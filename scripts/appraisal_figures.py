"""Risk-of-bias figures in the robvis layout (McGuinness & Higgins 2021): a traffic-light plot of every study
and domain, and a summary bar chart of each domain weighted by the number of patients, one figure per tool."""

import pandas as pd

from figure_style import JUDGEMENT_COLOURS, figure

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
    fig = figure(height_in=0.2 * len(studies) + 0.28 * len(columns) + 3.0)
    if studies.empty:
        fig.text(0.5, 0.5, "No study appraised with this tool.", ha="center")
        return fig
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.2 * len(studies) + 0.9, 0.28 * len(columns) + 1.9])
    lights = top.subplots()
    judged = part.set_index(["study_id", "domain"])["judgement"]
    for y, study in enumerate(studies["study_id"]):
        for x, domain in enumerate(columns):
            if (study, domain) not in judged.index:
                continue
            word, colour, symbol = scale[judged[(study, domain)]]
            lights.scatter(x, y, s=110, color=JUDGEMENT_COLOURS[colour], edgecolor="black", linewidth=0.4,
                           marker="o" if domain != "overall" else "s")
            lights.text(x, y, symbol, ha="center", va="center", fontsize=7)
    lights.set_xticks(range(len(columns)), [c if c != "overall" else "Overall" for c in columns])
    lights.set_yticks(range(len(studies)), studies["study_label"])
    lights.set_xlim(-0.6, len(columns) - 0.4)
    lights.set_ylim(len(studies) - 0.5, -0.5)
    lights.xaxis.tick_top()
    lights.grid(False)
    lights.set_title(title, loc="left", pad=18)
    summary, key = bottom.subplots(2, 1, height_ratios=[len(columns), 1.2])
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
    return fig
