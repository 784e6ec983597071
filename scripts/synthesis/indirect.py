"""Bucher adjusted indirect comparison of two treatments through a common comparator."""

from __future__ import annotations

import math
from dataclasses import dataclass

from synthesis._common import Z_95


@dataclass(frozen=True)
class IndirectComparison:
    """Bucher adjusted indirect comparison of A vs B through common comparator C.

    ``log_estimate`` / ``se_log`` on the natural-log scale; ``estimate`` and
    the 95 % CI exponentiated (ratio of A vs B; < 1 favours A when the
    outcome is harmful, > 1 favours A when it is a response).
    """

    estimate: float
    ci_lower: float
    ci_upper: float
    log_estimate: float
    se_log: float
    log_ci_lower: float
    log_ci_upper: float


def bucher_indirect(log_or_a_vs_c: float, se_a_vs_c: float, log_or_b_vs_c: float, se_b_vs_c: float) -> IndirectComparison:
    """Adjusted indirect comparison of A vs B through common comparator C.

    Bucher et al. 1997 (J Clin Epidemiol 50:683): on the log scale the
    indirect effect is the difference of the two direct effects and, the
    trials being independent, the variances add:

        log OR_AB = log OR_AC - log OR_BC
        SE_AB     = sqrt(SE_AC^2 + SE_BC^2)
        95 % CI   = exp(log OR_AB +/- 1.96 SE_AB)

    Works identically for log RR or log HR.  Here typically A = tocilizumab,
    B = an IL-1 blocker, C = placebo; inputs are e.g. pooled
    ``random_effects_pool(...).log_estimate`` and ``.se_log``.  Assumes the
    A-vs-C and B-vs-C trials are similar in effect modifiers (transitivity).
    """
    values = [float(log_or_a_vs_c), float(se_a_vs_c), float(log_or_b_vs_c), float(se_b_vs_c)]
    if not all(math.isfinite(value) for value in values):
        raise ValueError("log estimates and standard errors must be finite")
    if values[1] <= 0 or values[3] <= 0:
        raise ValueError("standard errors must be > 0")
    log_estimate = values[0] - values[2]
    se_log = math.hypot(values[1], values[3])
    log_ci_lower = log_estimate - Z_95 * se_log
    log_ci_upper = log_estimate + Z_95 * se_log
    return IndirectComparison(
        estimate=math.exp(log_estimate),
        ci_lower=math.exp(log_ci_lower),
        ci_upper=math.exp(log_ci_upper),
        log_estimate=log_estimate,
        se_log=se_log,
        log_ci_lower=log_ci_lower,
        log_ci_upper=log_ci_upper,
    )
