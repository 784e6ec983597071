"""Event rates per 100 patient-years with exact Poisson intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from synthesis._common import ALPHA, as_count


@dataclass(frozen=True)
class RateEstimate:
    """Event rate per 100 patient-years with exact (Garwood) 95 % CI."""

    rate_per_100_patient_years: float
    ci_lower: float
    ci_upper: float
    events: int
    patient_years: float


def rate_per_100_patient_years(events, patient_years: float) -> RateEstimate:
    """Event rate per 100 patient-years with an exact Poisson 95 % CI.

    Garwood (1936) limits for a Poisson count x, via chi-square quantiles
    (``scipy.stats.chi2``):

        lower = chi2.ppf(0.025, 2x) / 2      (0 when x = 0)
        upper = chi2.ppf(0.975, 2x + 2) / 2

    each divided by ``patient_years`` and multiplied by 100.  Assumes events
    follow a Poisson process (no over-dispersion, one rate per registry).
    """
    x = as_count(events, "events")
    exposure = float(patient_years)
    if not (math.isfinite(exposure) and exposure > 0):
        raise ValueError(f"patient_years must be a positive number, got {patient_years!r}")
    scale = 100.0 / exposure
    lower = 0.0 if x == 0 else float(stats.chi2.ppf(ALPHA / 2, 2 * x)) / 2.0
    upper = float(stats.chi2.ppf(1 - ALPHA / 2, 2 * x + 2)) / 2.0
    return RateEstimate(
        rate_per_100_patient_years=x * scale,
        ci_lower=lower * scale,
        ci_upper=upper * scale,
        events=x,
        patient_years=exposure,
    )
