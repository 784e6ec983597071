"""Random-effects pooling of log ratios (or any scale): tau^2, summary interval, heterogeneity, prediction.

Estimators of the between-study variance tau^2: ``"reml"`` (restricted maximum likelihood, Fisher scoring as
metafor's ``rma(method="REML")``; the review's primary method, as Cochrane endorsed in 2022 and RevMan
implemented in 2025), ``"dl"`` (DerSimonian-Laird, the sensitivity analysis) and ``"pm"`` (Paule-Mandel).
The interval for tau^2 is the Q-profile interval (Viechtbauer 2007). With REML, the Hartung-Knapp-Sidik-Jonkman
standard error is never below the classic one (IntHout et al. 2014), so that trials that agree closely do not
produce an interval narrower than the Wald interval, or none at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from synthesis._common import ALPHA, Z_95


# Between-study variance estimators: our name -> statsmodels ``method_re``.
_TAU2_METHODS = {"dl": "dl", "pm": "iterated", "reml": None}
# Paule-Mandel iteration settings (statsmodels' default atol is 1e-5 on the
# estimating equation; tighter so that tau^2 agrees with metafor to ~1e-8).
_PM_ATOL = 1e-10
_PM_MAXITER = 500


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
    tau2_ci_lower: float = float("nan")
    tau2_ci_upper: float = float("nan")


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
    tau2_ci_lower: float = float("nan")
    tau2_ci_upper: float = float("nan")


def _check_method(method: str) -> str:
    key = str(method).lower()
    if key not in _TAU2_METHODS:
        raise ValueError(f"method must be 'reml' (restricted maximum likelihood), 'dl' (DerSimonian-Laird) or "
                         f"'pm' (Paule-Mandel), got {method!r}")
    return key


def _paule_mandel_converged(effects: np.ndarray, variances: np.ndarray, tau2: float) -> bool:
    """Check the Paule-Mandel estimating equation Q(tau^2) = k - 1 holds."""
    weights = 1.0 / (variances + tau2)
    mean = float(np.sum(weights * effects) / np.sum(weights))
    generalised_q = float(np.sum(weights * (effects - mean) ** 2))
    df = effects.size - 1
    if tau2 <= 0.0:
        return generalised_q <= df + 1e-6
    return abs(generalised_q - df) <= 1e-6 * max(1.0, df)


def reml_tau2(effects: np.ndarray, variances: np.ndarray, tol: float = 1e-10, max_iterations: int = 200) -> float:
    """Restricted maximum-likelihood estimate of tau^2 for the intercept-only random-effects model.

    Fisher scoring on the REML log-likelihood, as metafor ``rma(method="REML")`` (Viechtbauer 2005): with
    w = 1 / (v + tau^2) and P = W - W 1 1' W / sum(w), the step is (y'PPy - tr P) / tr(PP). Starts from the
    DerSimonian-Laird estimate; an estimate below zero is truncated at zero. Same scale as ``effects``.
    """
    y, v = np.asarray(effects, dtype=float), np.asarray(variances, dtype=float)
    fixed = 1.0 / v
    mean = np.sum(fixed * y) / np.sum(fixed)
    q = np.sum(fixed * (y - mean) ** 2)
    tau2 = max(0.0, (q - (y.size - 1)) / (np.sum(fixed) - np.sum(fixed**2) / np.sum(fixed)))
    for _ in range(max_iterations):
        w = 1.0 / (v + tau2)
        total = np.sum(w)
        residual = y - np.sum(w * y) / total
        trace_p = total - np.sum(w**2) / total
        trace_pp = np.sum(w**2) - 2.0 * np.sum(w**3) / total + (np.sum(w**2) / total) ** 2
        updated = max(0.0, tau2 + (np.sum(w**2 * residual**2) - trace_p) / trace_pp)
        if abs(updated - tau2) < tol:
            return float(updated)
        tau2 = updated
    raise RuntimeError("REML iteration for tau^2 did not converge")


def _summary_given_tau2(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float, float]:
    """Inverse-variance random-effects mean, its classic SE and its Hartung-Knapp-Sidik-Jonkman SE (untruncated,
    as metafor ``test="knha"``)."""
    w = 1.0 / (v + tau2)
    mean = float(np.sum(w * y) / np.sum(w))
    se_hk = math.sqrt(float(np.sum(w * (y - mean) ** 2)) / ((y.size - 1) * float(np.sum(w))))
    return mean, math.sqrt(1.0 / float(np.sum(w))), se_hk


def _generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    mean = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mean) ** 2))


def q_profile_tau2_interval(estimates: Sequence[float], standard_errors: Sequence[float]) -> tuple[float, float]:
    """95 % Q-profile confidence interval for tau^2 (Viechtbauer 2007), as metafor ``confint(rma(...))``.

    The generalised Q statistic sum w_i(tau^2) (y_i - mu(tau^2))^2 falls as tau^2 grows; the bounds are the
    tau^2 at which it equals the 97.5 % and the 2.5 % quantiles of chi^2 with k - 1 df (a bound is 0 when Q at
    tau^2 = 0 is already below its quantile). NaNs for k < 2. Same scale as ``estimates`` (log scale for ratios).
    """
    y = np.asarray(estimates, dtype=float)
    v = np.asarray(standard_errors, dtype=float) ** 2
    k = y.size
    if k < 2:
        return float("nan"), float("nan")
    bounds = []
    for quantile in (stats.chi2.isf(ALPHA / 2, k - 1), stats.chi2.ppf(ALPHA / 2, k - 1)):
        if _generalised_q(y, v, 0.0) <= quantile:
            bounds.append(0.0)
            continue
        high = max(1.0, float(np.max(v)))
        while _generalised_q(y, v, high) > quantile:
            high *= 10.0
        bounds.append(float(optimize.brentq(lambda t: _generalised_q(y, v, t) - quantile, 0.0, high, xtol=1e-12)))
    return bounds[0], bounds[1]


def pool(effects: Sequence[float], variances: Sequence[float], method: str, hartung_knapp: bool) -> _PoolCore:
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
            ci_lower=estimate - Z_95 * se,
            ci_upper=estimate + Z_95 * se,
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

    if key == "reml":
        tau2 = reml_tau2(y, v)
        mean, se_classic, se_hk = _summary_given_tau2(y, v, tau2)
        # IntHout et al. (2014): when the trials agree more than their standard errors predict, the HKSJ standard
        # error falls below the classic one (to zero for identical trials); it is not allowed to.
        se_hk = max(se_hk, se_classic)
        t_crit = float(stats.t.isf(ALPHA / 2, k - 1))
        ci_z = (mean - Z_95 * se_classic, mean + Z_95 * se_classic)
        ci_hk = (mean - t_crit * se_hk, mean + t_crit * se_hk)
        notes = ["tau^2 estimate 0: random effects = fixed effect"] if tau2 <= 0.0 else []
        with np.errstate(divide="ignore", invalid="ignore"):
            homogeneity = combine_effects(y, v, method_re="dl").test_homogeneity()
        # As RevMan (2025) and metafor report it under REML: I^2 from tau^2 and the typical within-study variance.
        weights = 1.0 / v
        typical = (k - 1) * weights.sum() / (weights.sum() ** 2 - (weights**2).sum())
        i2 = tau2 / (tau2 + typical)
    else:
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
        homogeneity = result.test_homogeneity()
        i2 = float(result.i2)
    if hartung_knapp:
        se, (ci_lower, ci_upper) = se_hk, (float(ci_hk[0]), float(ci_hk[1]))
        ci_distribution = f"t(df={k - 1}) Hartung-Knapp"
    else:
        se, (ci_lower, ci_upper) = se_classic, (float(ci_z[0]), float(ci_z[1]))
        ci_distribution = "normal"

    i2_percent = 100.0 * i2 if math.isfinite(i2) and i2 > 0.0 else 0.0

    tau2_ci_lower, tau2_ci_upper = q_profile_tau2_interval(y, np.sqrt(v))
    if k >= 3:
        half_width = float(stats.t.isf(ALPHA / 2, k - 2)) * math.sqrt(tau2 + se**2)
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
        tau2_ci_lower=tau2_ci_lower,
        tau2_ci_upper=tau2_ci_upper,
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
    method : ``"reml"`` restricted maximum likelihood, ``"dl"``
        DerSimonian-Laird (tau^2 truncated at 0) or ``"pm"`` Paule-Mandel, for
        the between-study variance tau^2.
    hartung_knapp : if True, the CI uses the Hartung-Knapp-Sidik-Jonkman
        variance and a t distribution with k - 1 df; otherwise the classic
        normal (z) interval.

    Returns
    -------
    PooledRatio: pooled log ratio, SE, 95 % CI on the log scale and
    exponentiated; tau^2 (log scale) with its Q-profile 95 % interval; I^2 in
    percent (Q-based, Higgins & Thompson, for ``"dl"`` and ``"pm"``; from tau^2
    and the typical within-study variance for ``"reml"``, as RevMan and
    metafor print it); Cochran's
    Q, its df and chi-square p-value; 95 % prediction interval
    (Higgins-Thompson-Spiegelhalter: t with k - 2 df, variance tau^2 + SE^2),
    NaN with ``prediction_interval_available=False`` when k < 3.
    With k == 1 the single study's estimate and Wald CI are returned,
    ``single_study=True``, and heterogeneity fields are NaN.  ``notes``
    explains every flag.
    """
    se = np.asarray(standard_errors, dtype=float)
    core = pool(log_estimates, se**2, method, hartung_knapp)
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
        tau2_ci_lower=core.tau2_ci_lower,
        tau2_ci_upper=core.tau2_ci_upper,
    )
