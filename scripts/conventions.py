"""Statistical conventions shared by the analysis (``synthesis``) and the review's Methods text.

Kept apart from ``synthesis`` so that the review can state them without importing SciPy and statsmodels.
"""

#: Two-sided 95 % intervals everywhere.
CONFIDENCE_LEVEL = 0.95

#: Amount added to each cell of a study that has a zero cell.
DEFAULT_CONTINUITY_CORRECTION = 0.5

# "Refractory" in this review: the biologic was started after inadequate response to glucocorticoids or
# conventional drugs, or after another biologic failed (data dictionary: studies.treatment_line).
REFRACTORY_LINES = ("after_conventional", "after_biologic")

# Designs that pool other studies' patients (data dictionary: studies.design): never counted or drawn as cohorts.
EVIDENCE_SYNTHESES = ("systematic_review", "meta_analysis", "network_meta_analysis")

# A 95% interval wider than this (0-1 scale) carries too little information to be presented as a finding.
UNINFORMATIVE_WIDTH = 0.5
