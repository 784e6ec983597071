"""Single-arm proportions: one cohort's Wilson or exact interval, and cohorts pooled on the logit scale."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from conventions import DEFAULT_CONTINUITY_CORRECTION
from synthesis._common import ALPHA, as_count, check_arm
from synthesis.pooling import pool


@dataclass(frozen=True)
class ProportionInterval:
    """A single proportion with its 95 % confidence interval (0-1 scale).

    Unpacks as ``proportion, ci_lower, ci_upper = result``.
    """

    proportion: float
    ci_lower: float
    ci_upper: float
    responders: int
    n_evaluated: int
    method: str

    def __iter__(self) -> Iterator[float]:
        return iter((self.proportion, self.ci_lower, self.ci_upper))


@dataclass(frozen=True)
class PooledProportion:
    """Random-effects pooled proportion (logit scale, back-transformed).

    ``proportion``, ``ci_*`` and ``pi_*`` are on the 0-1 scale; ``logit_*``,
    ``se_logit`` and ``tau2`` are on the logit scale.
    ``n_studies_continuity_corrected`` counts cohorts with 0 or n_evaluated
    responders that received the 0.5 correction.
    """

    k: int
    method: str
    hartung_knapp: bool
    ci_distribution: str
    proportion: float
    ci_lower: float
    ci_upper: float
    logit_estimate: float
    se_logit: float
    logit_ci_lower: float
    logit_ci_upper: float
    tau2: float
    i2_percent: float
    q: float
    q_df: int
    q_p_value: float
    prediction_interval_available: bool
    pi_lower: float
    pi_upper: float
    logit_pi_lower: float
    logit_pi_upper: float
    n_studies_continuity_corrected: int
    single_study: bool
    notes: str


def proportion_interval(responders, n_evaluated, method: str = "wilson") -> ProportionInterval:
    """Proportion of responders with a two-sided 95 % confidence interval.

    Parameters
    ----------
    responders, n_evaluated : whole numbers, 0 <= responders <= n_evaluated,
        n_evaluated >= 1.
    method : ``"wilson"`` (score interval without continuity correction,
        Newcombe 1998 method 3; the default) or ``"exact"`` / ``"beta"``
        (Clopper-Pearson, Newcombe method 5).  Computed by
        ``statsmodels.stats.proportion.proportion_confint``.

    Returns
    -------
    ProportionInterval with ``proportion``, ``ci_lower``, ``ci_upper`` on the
    0-1 scale (unpacks as a 3-tuple).  No continuity correction is applied;
    both methods stay inside [0, 1] for 0 or n responders.
    """
    x = as_count(responders, "responders")
    n = as_count(n_evaluated, "n_evaluated")
    check_arm(x, n, "responders", "n_evaluated")
    key = str(method).lower()
    statsmodels_method = {"wilson": "wilson", "exact": "beta", "beta": "beta"}.get(key)
    if statsmodels_method is None:
        raise ValueError(f"method must be 'wilson' or 'exact', got {method!r}")
    lower, upper = proportion_confint(x, n, alpha=ALPHA, method=statsmodels_method)
    # Clopper-Pearson gives NaN at the boundaries in some versions: the
    # exact bound there is 0 (x == 0) or 1 (x == n).
    lower = 0.0 if x == 0 else float(lower)
    upper = 1.0 if x == n else float(upper)
    return ProportionInterval(
        proportion=x / n,
        ci_lower=lower,
        ci_upper=upper,
        responders=x,
        n_evaluated=n,
        method="wilson" if statsmodels_method == "wilson" else "exact",
    )


def _inverse_logit(value: float) -> float:
    """Back-transform a logit to a proportion (NaN stays NaN)."""
    return float("nan") if math.isnan(value) else float(stats.logistic.cdf(value))


def logit_proportion(responders, n_evaluated, continuity: float = DEFAULT_CONTINUITY_CORRECTION) -> tuple[float, float, bool]:
    """Logit of one cohort's proportion and its sampling variance.

    logit = log(x / (n - x)), variance = 1/x + 1/(n - x) (metafor
    ``escalc(measure="PLO")``).  When x = 0 or x = n, ``continuity`` (0.5)
    is added to both the responder and non-responder counts.

    Returns ``(logit, variance, continuity_correction_applied)``.
    """
    x = as_count(responders, "responders")
    n = as_count(n_evaluated, "n_evaluated")
    check_arm(x, n, "responders", "n_evaluated")
    corrected = x in (0, n)
    add = float(continuity) if corrected else 0.0
    if corrected and not (math.isfinite(add) and add > 0):
        raise ValueError("continuity must be a positive number")
    successes, failures = x + add, n - x + add
    return math.log(successes / failures), 1.0 / successes + 1.0 / failures, corrected


def pooled_proportion_logit(
    responders: Sequence[int],
    n_evaluated: Sequence[int],
    *,
    method: str = "dl",
    hartung_knapp: bool = True,
) -> PooledProportion:
    """Random-effects pooled response proportion across single-arm cohorts.

    Each cohort is transformed with ``logit_proportion`` (0.5 continuity
    correction for 0 or n_evaluated responders), pooled on the logit scale
    exactly as ``random_effects_pool`` does (``"dl"`` or ``"pm"`` tau^2;
    Hartung-Knapp t(k - 1) CI by default), and the estimate, 95 % CI and
    95 % prediction interval are back-transformed with the inverse logit.
    ``tau2`` is on the logit scale; I^2 in percent.  k < 3 gives a NaN
    prediction interval with ``prediction_interval_available=False``; k == 1
    returns that cohort's logit Wald interval with ``single_study=True``.
    """
    responders = list(responders)
    n_evaluated = list(n_evaluated)
    if len(responders) != len(n_evaluated):
        raise ValueError("responders and n_evaluated must have the same length")
    per_study = [logit_proportion(x, n) for x, n in zip(responders, n_evaluated)]
    core = pool([s[0] for s in per_study], [s[1] for s in per_study], method, hartung_knapp)
    return PooledProportion(
        k=core.k,
        method=core.method,
        hartung_knapp=core.hartung_knapp,
        ci_distribution=core.ci_distribution,
        proportion=_inverse_logit(core.estimate),
        ci_lower=_inverse_logit(core.ci_lower),
        ci_upper=_inverse_logit(core.ci_upper),
        logit_estimate=core.estimate,
        se_logit=core.se,
        logit_ci_lower=core.ci_lower,
        logit_ci_upper=core.ci_upper,
        tau2=core.tau2,
        i2_percent=core.i2_percent,
        q=core.q,
        q_df=core.q_df,
        q_p_value=core.q_p_value,
        prediction_interval_available=core.pi_available,
        pi_lower=_inverse_logit(core.pi_lower),
        pi_upper=_inverse_logit(core.pi_upper),
        logit_pi_lower=core.pi_lower,
        logit_pi_upper=core.pi_upper,
        n_studies_continuity_corrected=sum(1 for s in per_study if s[2]),
        single_study=core.single_study,
        notes=core.notes,
    )
