"""Shared pieces of the synthesis package: the 95 % level, argument checks and the not-estimable error."""

from __future__ import annotations

import math

from scipy import stats

from conventions import CONFIDENCE_LEVEL

ALPHA = 1.0 - CONFIDENCE_LEVEL
Z_95 = float(stats.norm.isf(ALPHA / 2))  # 1.959964...


class NotEstimableError(ValueError):
    """A study carries no information on the chosen effect measure.

    Raised for a 2x2 table with zero events in both arms (or events in every
    patient of both arms).  Such a study is excluded from the meta-analysis,
    as metafor (``drop00``) and the Cochrane Handbook do; it is not
    "corrected" into a spurious ratio of 1.
    """


def as_count(value, name: str) -> int:
    """Return ``value`` as a non-negative int, or raise ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or number != math.floor(number):
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    return int(number)


def check_arm(events: int, n: int, events_name: str, n_name: str) -> None:
    if n == 0:
        raise ValueError(f"{n_name} must be at least 1")
    if events > n:
        raise ValueError(f"{events_name} ({events}) exceeds {n_name} ({n})")
