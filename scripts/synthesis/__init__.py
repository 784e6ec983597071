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

One module per concept: ``effect_sizes`` (2x2 tables), ``pooling`` (random
effects: REML, DerSimonian-Laird or Paule-Mandel tau^2, Q-profile interval,
Hartung-Knapp-Sidik-Jonkman), ``indirect`` (Bucher), ``proportions`` (single
arms, logit pooling) and ``rates`` (per 100 patient-years).

The arithmetic is delegated to maintained library code where it exists:
``statsmodels.stats.meta_analysis`` (effect sizes, DerSimonian-Laird and
Paule-Mandel between-study variance, Hartung-Knapp-Sidik-Jonkman variance),
``scipy.optimize`` (the REML score equation's companion root-finding for the
Q-profile interval),
``statsmodels.stats.proportion.proportion_confint`` (Wilson, Clopper-Pearson)
and ``scipy.stats`` (normal, t and chi-square quantiles).
"""

from synthesis._common import NotEstimableError
from synthesis.effect_sizes import TwoByTwoEffect, is_estimable_2x2, odds_ratio, risk_ratio
from synthesis.indirect import IndirectComparison, bucher_indirect
from synthesis.pooling import PooledRatio, q_profile_tau2_interval, random_effects_pool
from synthesis.proportions import (PooledProportion, ProportionInterval, logit_proportion, pooled_proportion_logit,
                                   proportion_interval)
from synthesis.rates import RateEstimate, rate_per_100_patient_years

__all__ = [
    "IndirectComparison", "NotEstimableError", "PooledProportion", "PooledRatio", "ProportionInterval",
    "RateEstimate", "TwoByTwoEffect", "bucher_indirect", "is_estimable_2x2", "logit_proportion", "odds_ratio",
    "pooled_proportion_logit", "proportion_interval", "q_profile_tau2_interval", "random_effects_pool",
    "rate_per_100_patient_years", "risk_ratio",
]
