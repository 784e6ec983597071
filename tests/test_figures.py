"""Figures stay readable as the evidence grows: beyond a page's worth of rows they summarise instead."""

import numpy as np
import pandas as pd

import appraisal_figures
import figures
from figure_style import MAX_ROWS_PER_PANEL


def tick_labels(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]


def safety_rows(studies: int) -> pd.DataFrame:
    return pd.DataFrame({
        "study_id": [f"s{i}" for i in range(studies)], "study_label": [f"Study {i}" for i in range(studies)],
        "design": "registry", "event": "serious_infection", "target": ["IL-6", "IL-1"] * (studies // 2),
        "drug": ["tocilizumab", "anakinra"] * (studies // 2),
        "rate_per_100py_reported": np.linspace(1, 20, studies), "rate_ci_lower": np.nan, "rate_ci_upper": np.nan})


def test_a_few_studies_are_drawn_one_row_each():
    fig = figures.safety_rates(safety_rows(10))
    assert len(tick_labels(fig)) == 10 and not any("median" in label for label in tick_labels(fig))


def test_many_studies_are_summarised_one_row_per_agent_and_the_figure_stays_page_sized():
    fig = figures.safety_rates(safety_rows(10 * MAX_ROWS_PER_PANEL))
    labels = tick_labels(fig)
    assert len(labels) == 2 and all("median" in label and "range" in label for label in labels)
    assert fig.get_figheight() < 6


def test_many_appraised_studies_keep_the_weighted_summary_without_traffic_lights():
    n = 2 * MAX_ROWS_PER_PANEL
    rows = [{"study_id": f"s{i}", "study_label": f"Study {i}", "year": 2000 + i % 20, "design": "case_series",
             "n_total": 10 + i, "tool": "rob2", "domain": domain, "judgement": "low"}
            for i in range(n) for domain in ["D1", "D2", "D3", "D4", "D5", "overall"]]
    fig = appraisal_figures.risk_of_bias_figure(pd.DataFrame(rows), "rob2")
    assert f"{n} studies, too many for one traffic light each" in fig._suptitle.get_text()
    assert fig.get_figheight() < 6
