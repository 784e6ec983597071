"""One look for every figure: colour-blind-safe palette, IL-6 and IL-1 always the same colours, A4 width.

Colours are from the Okabe-Ito palette (Okabe & Ito 2008), distinguishable with all common colour-vision
deficiencies. SVG output is made byte-reproducible: fixed hash salt for element ids, no date metadata,
text converted to paths (no font needed to view it).
"""


import io
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

TARGET_COLOURS = {"IL-6": "#0072B2", "IL-1": "#D55E00", "IL-6 and IL-1": "#009E73", "other": "#999999"}
TARGET_MARKERS = {"IL-6": "o", "IL-1": "s", "IL-6 and IL-1": "D", "other": "^"}
# Risk-of-bias judgements in the robvis layout, on the same Okabe-Ito palette: green low, yellow some concerns or
# moderate, vermilion high or serious, reddish purple critical, sky blue no information, grey not applicable.
JUDGEMENT_COLOURS = {"low": "#009E73", "middle": "#F0E442", "high": "#D55E00", "critical": "#CC79A7",
                     "no information": "#56B4E9", "not applicable": "#BBBBBB"}
A4_TEXT_WIDTH_IN = 6.3  # 210 mm page minus 2 x 22 mm margins
# A figure with one row per study arm draws at most this many rows per panel; beyond it (a review ten times
# this one's size) it summarises each group in one row, so that it stays readable on an A4 page.
MAX_ROWS_PER_PANEL = 40
SVG_METADATA = {"Date": None, "Creator": None}


def apply_style() -> None:
    """Seaborn theme and matplotlib settings shared by all figures."""
    sns.set_theme(context="paper", style="whitegrid", font="DejaVu Sans", font_scale=1.0)
    matplotlib.rcParams.update({
        "svg.hashsalt": "sjia-review",
        "svg.fonttype": "path",
        "figure.dpi": 100,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
    })


def figure(height_in: float, width_in: float = A4_TEXT_WIDTH_IN):
    """A new figure at the report's text width."""
    apply_style()
    return plt.figure(figsize=(width_in, height_in), layout="constrained")


def svg_bytes(fig) -> bytes:
    """The figure as deterministic SVG bytes (closes the figure)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=SVG_METADATA)
    plt.close(fig)
    return buffer.getvalue().encode("utf-8")


def save_svg(fig, path: str | Path) -> None:
    """Write the figure as deterministic SVG, atomically."""
    from pipeline_io import write_atomically

    write_atomically(path, svg_bytes(fig))


def rows_drawn(part: pd.DataFrame, keys: list[str]) -> int:
    """Rows a panel draws: one per row of ``part``, or one per group of ``keys`` beyond ``MAX_ROWS_PER_PANEL``."""
    return len(part) if len(part) <= MAX_ROWS_PER_PANEL else part.groupby(keys).ngroups


def summary_strip(ax, groups: list[tuple[str, list[float], str, str]], value_format) -> None:
    """One row per group: every value as a small translucent mark and the median as a large one, labelled
    '<group>: <k> rows, median <m> (range <a> to <b>)'. ``groups``: (label, values, colour, marker)."""
    labels = []
    for y, (name, values, colour, marker) in enumerate(groups):
        values = [v for v in values if pd.notna(v)]
        ax.scatter(values, [y] * len(values), s=12, color=colour, alpha=0.35, marker=marker, linewidth=0)
        median = float(np.median(values)) if values else np.nan
        ax.scatter([median], [y], s=60, color=colour, edgecolor="black", linewidth=0.5, marker=marker, zorder=3)
        labels.append(f"{name}: {len(values)} rows, median {value_format(median)} "
                      f"(range {value_format(min(values))} to {value_format(max(values))})" if values else name)
    ax.set_yticks(range(len(groups)), labels, fontsize=7)
    ax.invert_yaxis()


def target_key(targets) -> tuple[list, list[str]]:
    """Legend handles (marker and colour) and labels for the targets among ``targets``, in the palette's order."""
    present = [target for target in TARGET_COLOURS if target in set(targets)]
    handles = [plt.Line2D([], [], linestyle="none", marker=TARGET_MARKERS[t], color=TARGET_COLOURS[t]) for t in present]
    return handles, present
