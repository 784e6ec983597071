"""Human-readable labels for the curated vocabularies (codes are defined in data/datapackage.json)."""

import re

SPECIAL = {
    "das_crp": "DAS-CRP",
    "crp": "CRP",
    "esr": "ESR",
    "haq": "HAQ",
    "macrophage_activation_syndrome": "macrophage activation syndrome (MAS)",
    "IL-6 and IL-1": "IL-6 and IL-1",
    "first_line_biologic": "first-line biologic",
    "after_conventional": "after conventional therapy",
    "after_biologic": "after another biologic",
    "inactive_disease_off_glucocorticoids": "inactive disease off glucocorticoids",
    "jadas_le_1": "JADAS \u2264 1",
    "jadas_remission_on_medication": "JADAS remission on medication",
    "jadas71_zero": "JADAS-71 = 0",
    "not_sjia_specific": "not specific to systemic JIA",
    "no_new_verified_numbers": "no new verified numbers",
}


def label(code) -> str:
    """'adapted_acr_pedi_30' -> 'adapted ACR Pedi 30'; 'clinically_inactive_disease' -> 'clinically inactive disease'."""
    code = str(code)
    if code in SPECIAL:
        return SPECIAL[code]
    match = re.fullmatch(r"(adapted_)?acr_pedi_(\d+)", code)
    if match:
        return ("adapted " if match[1] else "") + f"ACR Pedi {match[2]}"
    return code.replace("_", " ")


def sentence(code) -> str:
    """``label`` with a capital first letter, for the start of a line or a table cell."""
    text = label(code)
    return text[:1].upper() + text[1:]


def arm_label(drug: str, arm_id: str) -> str:
    """'canakinumab (no fever)': an arm's drug, and the subgroup its identifier names after the drug
    (arm ids are '<drug>' or '<drug>_<subgroup>', e.g. 'canakinumab_no_fever')."""
    subgroup = str(arm_id).removeprefix(str(drug)).strip("_").replace("_", " ")
    return f"{drug} ({subgroup})" if subgroup else str(drug)
