"""One look for every figure: colour-blind-safe palette, IL-6 and IL-1 always the same colours, A4 width.

Colours are from the Okabe-Ito palette (Okabe & Ito 2008), distinguishable with all common colour-vision
deficiencies. SVG output is made byte-reproducible: fixed hash salt for element ids, no date metadata,
text converted to paths (no font needed to view it).
"""


import io
from pathlib import Path

import matplotlib

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
