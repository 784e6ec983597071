"""Effect sizes of one placebo-controlled trial: odds ratio and risk ratio from a 2x2 table."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.meta_analysis import effectsize_2proportions

from conventions import DEFAULT_CONTINUITY_CORRECTION
from synthesis._common import Z_95, NotEstimableError, as_count, check_arm


@dataclass(frozen=True)
class TwoByTwoEffect:
    """Odds ratio or risk ratio (active vs placebo) from one 2x2 table.

    ``estimate``, ``ci_lower`` and ``ci_upper`` are on the ratio scale;
    ``log_estimate`` and ``se_log`` are on the natural-log scale (feed these
    to ``random_effects_pool``).  ``continuity_correction_applied`` tells
    whether ``continuity_added`` was added to all four cells because one cell
    was zero.
    """

    measure: str
    estimate: float
    ci_lower: float
    ci_upper: float
    log_estimate: float
    se_log: float
    continuity_correction_applied: bool
    continuity_added: float


def checked_table(events_active, n_active, events_placebo, n_placebo) -> tuple[int, int, int, int]:
    """The 2x2 table's counts as integers (events and patients per arm); a clear error for a count that is
    not a whole non-negative number, for an arm without patients, or for more events than patients in an arm."""
    a = as_count(events_active, "events_active")
    n1 = as_count(n_active, "n_active")
    c = as_count(events_placebo, "events_placebo")
    n2 = as_count(n_placebo, "n_placebo")
    check_arm(a, n1, "events_active", "n_active")
    check_arm(c, n2, "events_placebo", "n_placebo")
    return a, n1, c, n2


def is_estimable_2x2(events_active, n_active, events_placebo, n_placebo) -> bool:
    """False when the table carries no information on an OR or RR.

    That is: zero events in both arms, or every patient with the event in
    both arms.  ``odds_ratio`` / ``risk_ratio`` raise ``NotEstimableError``
    for such tables; use this to filter studies beforehand.
    """
    a, n1, c, n2 = checked_table(events_active, n_active, events_placebo, n_placebo)
    return not ((a == 0 and c == 0) or (a == n1 and c == n2))


def _two_by_two(statistic, measure, events_active, n_active, events_placebo, n_placebo, continuity):
    a, n1, c, n2 = checked_table(events_active, n_active, events_placebo, n_placebo)
    continuity = float(continuity)
    if not (math.isfinite(continuity) and continuity > 0):
        raise ValueError(f"continuity must be a positive number, got {continuity!r}")
    if not is_estimable_2x2(a, n1, c, n2):
        what = "zero events" if a == 0 else "events in every patient"
        raise NotEstimableError(
            f"{measure.replace('_', ' ')} not estimable: {what} in both arms "
            f"({a}/{n1} active vs {c}/{n2} placebo); exclude this study from pooling"
        )
    has_zero_cell = a in (0, n1) or c in (0, n2)
    # Pass the correction only for a table with a zero cell.  For such a
    # table statsmodels adds it to all four cells (events + c, arm totals
    # + 2c).  Caution: given ``zero_correction`` for a table *without* zero
    # cells, statsmodels (0.14/0.15) still adds it to the event counts but
    # not to the totals, which would bias every estimate.
    log_effect, variance = effectsize_2proportions(
        np.array([a], dtype=float),
        np.array([n1], dtype=float),
        np.array([c], dtype=float),
        np.array([n2], dtype=float),
        statistic=statistic,
        zero_correction=continuity if has_zero_cell else None,
    )
    log_estimate = float(log_effect[0])
    se_log = math.sqrt(float(variance[0]))
    return TwoByTwoEffect(
        measure=measure,
        estimate=math.exp(log_estimate),
        ci_lower=math.exp(log_estimate - Z_95 * se_log),
        ci_upper=math.exp(log_estimate + Z_95 * se_log),
        log_estimate=log_estimate,
        se_log=se_log,
        continuity_correction_applied=has_zero_cell,
        continuity_added=continuity if has_zero_cell else 0.0,
    )


def odds_ratio(
    events_active, n_active, events_placebo, n_placebo, continuity: float = DEFAULT_CONTINUITY_CORRECTION
) -> TwoByTwoEffect:
    """Odds ratio, active vs placebo, with a 95 % Wald CI on the log scale.

    Cells: a = events_active, b = n_active - a, c = events_placebo,
    d = n_placebo - c.  OR = (a d) / (b c); SE(log OR) = sqrt(1/a + 1/b +
    1/c + 1/d) (Woolf); CI = exp(log OR +/- 1.96 SE).

    Continuity correction: ``continuity`` (default 0.5) is added to all four
    cells only when at least one cell is zero; the result reports
    ``continuity_correction_applied``.  Tables with zero events in both arms
    (or all events in both arms) raise ``NotEstimableError`` (a ValueError):
    they are excluded, not corrected.
    """
    return _two_by_two("odds-ratio", "odds_ratio", events_active, n_active, events_placebo, n_placebo, continuity)


def risk_ratio(
    events_active, n_active, events_placebo, n_placebo, continuity: float = DEFAULT_CONTINUITY_CORRECTION
) -> TwoByTwoEffect:
    """Risk ratio, active vs placebo, with a 95 % Wald CI on the log scale.

    RR = (a / n_active) / (c / n_placebo); SE(log RR) = sqrt(1/a - 1/n_active
    + 1/c - 1/n_placebo); CI = exp(log RR +/- 1.96 SE).

    Continuity correction as for ``odds_ratio``: 0.5 added to all four cells
    (so each arm total grows by 1) only when a cell is zero; double-zero
    tables raise ``NotEstimableError``.
    """
    return _two_by_two("risk-ratio", "risk_ratio", events_active, n_active, events_placebo, n_placebo, continuity)
