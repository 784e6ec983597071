"""Statistics for the systemic JIA review: IL-6 (tocilizumab) versus IL-1
blockade (anakinra, canakinumab, rilonacept).

Three kinds of evidence are handled:

* placebo-controlled trials -> 2x2 counts -> odds ratio / risk ratio
  (``odds_ratio``, ``risk_ratio``), pooled with ``random_effects_pool`` and
  compared across drug classes with ``bucher_indirect``;
* single-arm cohorts -> responders / n_evaluated -> ``proportion_interval``
  for one cohort, ``pooled_proportion_logit`` across cohorts;
* registries -> events / patient-years -> ``rate_per_100_patient_years``.

Conventions used throughout (each function's docstring repeats what applies):

* All confidence, prediction and rate intervals are two-sided 95 %.
* Ratio measures are pooled on the natural-log scale; proportions on the
  logit scale.  Results carry both the transformed-scale values
  (``log_*`` / ``logit_*``) and the back-transformed, clinician-facing ones.
* Continuity correction is 0.5, added to every cell of a table (or both
  cells of a proportion) only when that study has a zero cell.
* Functions are pure: no I/O, no global state; results are frozen
  dataclasses whose numeric fields are plain Python floats.

The arithmetic is delegated to maintained library code where it exists:
``statsmodels.stats.meta_analysis`` (effect sizes, DerSimonian-Laird and
Paule-Mandel between-study variance, Hartung-Knapp-Sidik-Jonkman variance),
``statsmodels.stats.proportion.proportion_confint`` (Wilson, Clopper-Pearson)
and ``scipy.stats`` (normal, t and chi-square quantiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects, effectsize_2proportions
from statsmodels.stats.proportion import proportion_confint

from conventions import CONFIDENCE_LEVEL, DEFAULT_CONTINUITY_CORRECTION

_ALPHA = 1.0 - CONFIDENCE_LEVEL
_Z_95 = float(stats.norm.isf(_ALPHA / 2))  # 1.959964...

# Between-study variance estimators: our name -> statsmodels ``method_re``.
_TAU2_METHODS = {"dl": "dl", "pm": "iterated"}
# Paule-Mandel iteration settings (statsmodels' default atol is 1e-5 on the
# estimating equation; tighter so that tau^2 agrees with metafor to ~1e-8).
_PM_ATOL = 1e-10
_PM_MAXITER = 500


class NotEstimableError(ValueError):
    """A study carries no information on the chosen effect measure.

    Raised for a 2x2 table with zero events in both arms (or events in every
    patient of both arms).  Such a study is excluded from the meta-analysis,
    as metafor (``drop00``) and the Cochrane Handbook do; it is not
    "corrected" into a spurious ratio of 1.
    """


# --------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------


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


@dataclass(frozen=True)
class PooledRatio:
    """Random-effects pooled ratio (OR, RR, HR...) and heterogeneity.

    Log-scale fields (``log_*``, ``se_log``, ``tau2``) are natural-log scale;
    ``estimate``, ``ci_*`` and ``pi_*`` are exponentiated.  ``i2_percent`` is
    Higgins-Thompson I^2 = max(0, (Q - df) / Q) x 100.  The prediction
    interval is NaN unless ``prediction_interval_available``; ``notes``
    says why, and flags a single-study "pool".
    """

    k: int
    method: str
    hartung_knapp: bool
    ci_distribution: str
    estimate: float
    ci_lower: float
    ci_upper: float
    log_estimate: float
    se_log: float
    log_ci_lower: float
    log_ci_upper: float
    tau2: float
    i2_percent: float
    q: float
    q_df: int
    q_p_value: float
    prediction_interval_available: bool
    pi_lower: float
    pi_upper: float
    log_pi_lower: float
    log_pi_upper: float
    single_study: bool
    notes: str


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


@dataclass(frozen=True)
class RateEstimate:
    """Event rate per 100 patient-years with exact (Garwood) 95 % CI."""

    rate_per_100_patient_years: float
    ci_lower: float
    ci_upper: float
    events: int
    patient_years: float


@dataclass(frozen=True)
class _PoolCore:
    """Scale-free pooling result shared by the public pooling functions."""

    k: int
    method: str
    hartung_knapp: bool
    ci_distribution: str
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    tau2: float
    i2_percent: float
    q: float
    q_df: int
    q_p_value: float
    pi_available: bool
    pi_lower: float
    pi_upper: float
    single_study: bool
    notes: str


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _as_count(value, name: str) -> int:
    """Return ``value`` as a non-negative int, or raise ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or number != math.floor(number):
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    return int(number)


def _check_arm(events: int, n: int, events_name: str, n_name: str) -> None:
    if n == 0:
        raise ValueError(f"{n_name} must be at least 1")
    if events > n:
        raise ValueError(f"{events_name} ({events}) exceeds {n_name} ({n})")


def _check_method(method: str) -> str:
    key = str(method).lower()
    if key not in _TAU2_METHODS:
        raise ValueError(f"method must be 'dl' (DerSimonian-Laird) or 'pm' (Paule-Mandel), got {method!r}")
    return key


# --------------------------------------------------------------------------
# 1. Single proportion
# --------------------------------------------------------------------------


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
    x = _as_count(responders, "responders")
    n = _as_count(n_evaluated, "n_evaluated")
    _check_arm(x, n, "responders", "n_evaluated")
    key = str(method).lower()
    statsmodels_method = {"wilson": "wilson", "exact": "beta", "beta": "beta"}.get(key)
    if statsmodels_method is None:
        raise ValueError(f"method must be 'wilson' or 'exact', got {method!r}")
    lower, upper = proportion_confint(x, n, alpha=_ALPHA, method=statsmodels_method)
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


# --------------------------------------------------------------------------
# 2. Odds ratio and risk ratio from a 2x2 table
# --------------------------------------------------------------------------


def is_estimable_2x2(events_active, n_active, events_placebo, n_placebo) -> bool:
    """False when the table carries no information on an OR or RR.

    That is: zero events in both arms, or every patient with the event in
    both arms.  ``odds_ratio`` / ``risk_ratio`` raise ``NotEstimableError``
    for such tables; use this to filter studies beforehand.
    """
    a = _as_count(events_active, "events_active")
    n1 = _as_count(n_active, "n_active")
    c = _as_count(events_placebo, "events_placebo")
    n2 = _as_count(n_placebo, "n_placebo")
    _check_arm(a, n1, "events_active", "n_active")
    _check_arm(c, n2, "events_placebo", "n_placebo")
    return not ((a == 0 and c == 0) or (a == n1 and c == n2))


def _two_by_two(statistic, measure, events_active, n_active, events_placebo, n_placebo, continuity):
    a = _as_count(events_active, "events_active")
    n1 = _as_count(n_active, "n_active")
    c = _as_count(events_placebo, "events_placebo")
    n2 = _as_count(n_placebo, "n_placebo")
    _check_arm(a, n1, "events_active", "n_active")
    _check_arm(c, n2, "events_placebo", "n_placebo")
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
        ci_lower=math.exp(log_estimate - _Z_95 * se_log),
        ci_upper=math.exp(log_estimate + _Z_95 * se_log),
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


# --------------------------------------------------------------------------
# 3. Random-effects pooling (shared core)
# --------------------------------------------------------------------------


def _paule_mandel_converged(effects: np.ndarray, variances: np.ndarray, tau2: float) -> bool:
    """Check the Paule-Mandel estimating equation Q(tau^2) = k - 1 holds."""
    weights = 1.0 / (variances + tau2)
    mean = float(np.sum(weights * effects) / np.sum(weights))
    generalised_q = float(np.sum(weights * (effects - mean) ** 2))
    df = effects.size - 1
    if tau2 <= 0.0:
        return generalised_q <= df + 1e-6
    return abs(generalised_q - df) <= 1e-6 * max(1.0, df)


def _pool(effects: Sequence[float], variances: Sequence[float], method: str, hartung_knapp: bool) -> _PoolCore:
    """Inverse-variance random-effects pooling on whatever scale is given.

    Uses ``statsmodels.stats.meta_analysis.combine_effects``:
    * tau^2 by DerSimonian-Laird (``"dl"``, truncated at 0) or Paule-Mandel
      (``"pm"``, statsmodels ``"iterated"``);
    * without Hartung-Knapp: CI = mu +/- z_0.975 * SE (SE^2 = 1 / sum w*);
    * with Hartung-Knapp(-Sidik-Jonkman): SE^2 = sum w*(y - mu)^2 /
      ((k - 1) sum w*) and CI = mu +/- t_{k-1, 0.975} * SE (statsmodels'
      "wls" variance; no ad hoc max(1, scale) truncation, as metafor
      ``test="knha"``);
    * Q = sum w (y - mu_FE)^2 with w = 1/v, p from chi^2_{k-1};
    * I^2 = max(0, (Q - (k-1)) / Q) x 100 (Higgins & Thompson 2002);
    * prediction interval (Higgins, Thompson & Spiegelhalter 2009):
      mu +/- t_{k-2, 0.975} sqrt(tau^2 + SE^2), SE being the SE used for the
      CI (the Hartung-Knapp SE when requested, as R ``meta`` does); NaN
      with a note when k < 3.
    """
    key = _check_method(method)
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.ndim != 1 or v.shape != y.shape:
        raise ValueError("estimates and standard errors must be 1-D sequences of equal length")
    k = int(y.size)
    if k == 0:
        raise ValueError("at least one study is needed")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("estimates must be finite and standard errors finite and > 0")
    nan = float("nan")

    if k == 1:
        se = math.sqrt(float(v[0]))
        estimate = float(y[0])
        return _PoolCore(
            k=1,
            method=key,
            hartung_knapp=False,
            ci_distribution="normal",
            estimate=estimate,
            se=se,
            ci_lower=estimate - _Z_95 * se,
            ci_upper=estimate + _Z_95 * se,
            tau2=nan,
            i2_percent=nan,
            q=nan,
            q_df=0,
            q_p_value=nan,
            pi_available=False,
            pi_lower=nan,
            pi_upper=nan,
            single_study=True,
            notes=(
                "k = 1: single study reported as is (its own estimate and 95% Wald CI); "
                "no pooling, heterogeneity not estimable, no prediction interval"
                + ("; Hartung-Knapp not applicable" if hartung_knapp else "")
            ),
        )

    kwds = {"atol": _PM_ATOL, "maxiter": _PM_MAXITER} if key == "pm" else {}
    # errstate: statsmodels divides by Q for I^2 (Q may be 0) and, when the
    # untruncated DL tau^2 is negative, its unused random-effects fields can
    # be invalid; neither value is used below in those cases.
    with np.errstate(divide="ignore", invalid="ignore"):
        result = combine_effects(y, v, method_re=_TAU2_METHODS[key], use_t=hartung_knapp, **kwds)
        intervals_z = result.conf_int(use_t=False)  # (fe, re, fe_hk, re_hk)
        intervals_t = result.conf_int(use_t=True)
    notes = []
    tau2 = float(result.tau2)
    if key == "pm" and not _paule_mandel_converged(y, v, tau2):
        raise RuntimeError("Paule-Mandel iteration for tau^2 did not converge")
    if tau2 <= 0.0:
        # DL's moment estimate can be negative (Q < k - 1); truncated at 0 the
        # random-effects model is the inverse-variance fixed-effect model,
        # which combine_effects reports in its "fe" fields.
        tau2 = 0.0
        mean = float(result.mean_effect_fe)
        se_classic, se_hk = float(result.sd_eff_w_fe), math.sqrt(float(result.var_hksj_fe))
        ci_z, ci_hk = intervals_z[0], intervals_t[2]
        notes.append("tau^2 estimate truncated at 0 (Q <= k - 1): random effects = fixed effect")
    else:
        mean = float(result.mean_effect_re)
        se_classic, se_hk = float(result.sd_eff_w_re), math.sqrt(float(result.var_hksj_re))
        ci_z, ci_hk = intervals_z[1], intervals_t[3]
    if hartung_knapp:
        se, (ci_lower, ci_upper) = se_hk, (float(ci_hk[0]), float(ci_hk[1]))
        ci_distribution = f"t(df={k - 1}) Hartung-Knapp"
    else:
        se, (ci_lower, ci_upper) = se_classic, (float(ci_z[0]), float(ci_z[1]))
        ci_distribution = "normal"

    homogeneity = result.test_homogeneity()
    i2 = float(result.i2)
    i2_percent = 100.0 * i2 if math.isfinite(i2) and i2 > 0.0 else 0.0

    if k >= 3:
        half_width = float(stats.t.isf(_ALPHA / 2, k - 2)) * math.sqrt(tau2 + se**2)
        pi_available, pi_lower, pi_upper = True, mean - half_width, mean + half_width
    else:
        pi_available, pi_lower, pi_upper = False, nan, nan
        notes.append("k < 3: prediction interval not computed (t distribution with k - 2 = 0 df)")

    return _PoolCore(
        k=k,
        method=key,
        hartung_knapp=bool(hartung_knapp),
        ci_distribution=ci_distribution,
        estimate=mean,
        se=se,
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        tau2=tau2,
        i2_percent=i2_percent,
        q=float(homogeneity.statistic),
        q_df=k - 1,
        q_p_value=float(homogeneity.pvalue),
        pi_available=pi_available,
        pi_lower=pi_lower,
        pi_upper=pi_upper,
        single_study=False,
        notes="; ".join(notes),
    )


def random_effects_pool(
    log_estimates: Sequence[float],
    standard_errors: Sequence[float],
    *,
    method: str = "dl",
    hartung_knapp: bool = False,
) -> PooledRatio:
    """Random-effects meta-analysis of log ratios (log OR, log RR, log HR).

    Parameters
    ----------
    log_estimates : per-study natural-log ratios (e.g. ``odds_ratio(...).log_estimate``).
    standard_errors : their standard errors (log scale, > 0).
    method : ``"dl"`` DerSimonian-Laird (tau^2 truncated at 0) or ``"pm"``
        Paule-Mandel, for the between-study variance tau^2.
    hartung_knapp : if True, the CI uses the Hartung-Knapp-Sidik-Jonkman
        variance and a t distribution with k - 1 df; otherwise the classic
        normal (z) interval.

    Returns
    -------
    PooledRatio: pooled log ratio, SE, 95 % CI on the log scale and
    exponentiated; tau^2 (log scale); I^2 in percent (Q-based, Higgins &
    Thompson; for ``"pm"`` metafor instead prints a tau^2-based I^2); Cochran's
    Q, its df and chi-square p-value; 95 % prediction interval
    (Higgins-Thompson-Spiegelhalter: t with k - 2 df, variance tau^2 + SE^2),
    NaN with ``prediction_interval_available=False`` when k < 3.
    With k == 1 the single study's estimate and Wald CI are returned,
    ``single_study=True``, and heterogeneity fields are NaN.  ``notes``
    explains every flag.
    """
    se = np.asarray(standard_errors, dtype=float)
    core = _pool(log_estimates, se**2, method, hartung_knapp)
    return PooledRatio(
        k=core.k,
        method=core.method,
        hartung_knapp=core.hartung_knapp,
        ci_distribution=core.ci_distribution,
        estimate=math.exp(core.estimate),
        ci_lower=math.exp(core.ci_lower),
        ci_upper=math.exp(core.ci_upper),
        log_estimate=core.estimate,
        se_log=core.se,
        log_ci_lower=core.ci_lower,
        log_ci_upper=core.ci_upper,
        tau2=core.tau2,
        i2_percent=core.i2_percent,
        q=core.q,
        q_df=core.q_df,
        q_p_value=core.q_p_value,
        prediction_interval_available=core.pi_available,
        pi_lower=math.exp(core.pi_lower),
        pi_upper=math.exp(core.pi_upper),
        log_pi_lower=core.pi_lower,
        log_pi_upper=core.pi_upper,
        single_study=core.single_study,
        notes=core.notes,
    )


# --------------------------------------------------------------------------
# 4. Bucher adjusted indirect comparison
# --------------------------------------------------------------------------


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
    log_ci_lower = log_estimate - _Z_95 * se_log
    log_ci_upper = log_estimate + _Z_95 * se_log
    return IndirectComparison(
        estimate=math.exp(log_estimate),
        ci_lower=math.exp(log_ci_lower),
        ci_upper=math.exp(log_ci_upper),
        log_estimate=log_estimate,
        se_log=se_log,
        log_ci_lower=log_ci_lower,
        log_ci_upper=log_ci_upper,
    )


# --------------------------------------------------------------------------
# 5. Pooled proportion on the logit scale
# --------------------------------------------------------------------------


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
    x = _as_count(responders, "responders")
    n = _as_count(n_evaluated, "n_evaluated")
    _check_arm(x, n, "responders", "n_evaluated")
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
    core = _pool([s[0] for s in per_study], [s[1] for s in per_study], method, hartung_knapp)
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


# --------------------------------------------------------------------------
# 6. Event rate per 100 patient-years
# --------------------------------------------------------------------------


def rate_per_100_patient_years(events, patient_years: float) -> RateEstimate:
    """Event rate per 100 patient-years with an exact Poisson 95 % CI.

    Garwood (1936) limits for a Poisson count x, via chi-square quantiles
    (``scipy.stats.chi2``):

        lower = chi2.ppf(0.025, 2x) / 2      (0 when x = 0)
        upper = chi2.ppf(0.975, 2x + 2) / 2

    each divided by ``patient_years`` and multiplied by 100.  Assumes events
    follow a Poisson process (no over-dispersion, one rate per registry).
    """
    x = _as_count(events, "events")
    exposure = float(patient_years)
    if not (math.isfinite(exposure) and exposure > 0):
        raise ValueError(f"patient_years must be a positive number, got {patient_years!r}")
    scale = 100.0 / exposure
    lower = 0.0 if x == 0 else float(stats.chi2.ppf(_ALPHA / 2, 2 * x)) / 2.0
    upper = float(stats.chi2.ppf(1 - _ALPHA / 2, 2 * x + 2)) / 2.0
    return RateEstimate(
        rate_per_100_patient_years=x * scale,
        ci_lower=lower * scale,
        ci_upper=upper * scale,
        events=x,
        patient_years=exposure,
    )
