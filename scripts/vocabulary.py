"""Human-readable labels for the curated vocabularies (codes are defined in data/datapackage.json)."""

import re

SPECIAL = {
    "jia_acr30_no_fever": "JIA ACR30 + no fever",
    "das_crp": "DAS-CRP",
    "crp": "CRP",
    "esr": "ESR",
    "haq": "HAQ",
    "jadas_remission": "JADAS remission",
    "macrophage_activation_syndrome": "macrophage activation syndrome (MAS)",
    "IL-6 and IL-1": "IL-6 and IL-1",
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
