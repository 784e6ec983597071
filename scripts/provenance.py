"""Provenance checks: every extracted number must be traceable to an exact phrase of its source.

A row's ``source_phrase`` is one or more fragments copied exactly from the source text, joined by
``FRAGMENT_SEPARATOR``. Whitespace differences are ignored (source texts are abstracts scraped from web
pages, with irregular line breaks); every other character must match.
"""


import re
from pathlib import Path

FRAGMENT_SEPARATOR = " [...] "
HEADER_END = "\n---"

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(value: int) -> set[str]:
    """English spellings of 0-99 as sources write them ('seventy-three', 'seventy three')."""
    if value == 0:
        return {"zero", "no", "none", "neither"}  # "no patients experienced serious AEs"
    if value < 20:
        return {UNITS[value]}
    if value < 100:
        tens, unit = divmod(value, 10)
        return {TENS[tens]} if unit == 0 else {f"{TENS[tens]}-{UNITS[unit]}", f"{TENS[tens]} {UNITS[unit]}"}
    return set()


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace (including non-breaking spaces) to one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def source_body(text: str) -> str:
    """The extractable part of a source file: everything below the header's ``---`` line."""
    head, sep, body = text.partition(HEADER_END)
    return body if sep else text


def phrase_fragments(phrase: str) -> list[str]:
    """Split a source phrase into the exact fragments it was assembled from."""
    return [fragment.strip() for fragment in phrase.split(FRAGMENT_SEPARATOR.strip()) if fragment.strip()]


def missing_fragments(phrase: str, source_text: str) -> list[str]:
    """Fragments of ``phrase`` that do not occur in the body of ``source_text`` (whitespace-normalised)."""
    body = normalise_whitespace(source_body(source_text))
    return [f for f in phrase_fragments(phrase) if normalise_whitespace(f) not in body]


def number_in_phrase(number: str, phrase: str) -> bool:
    """Whether the number, written as the curator stored it, stands in the phrase.

    The number must appear as a whole token (``6`` does not match inside ``16`` or ``6.5``); an integer may
    also appear as an English number word (``Eleven`` for 11), as sources often spell small counts out.
    """
    number = number.strip()
    if not number:
        return True
    core = re.sub(r"^[<>≤≥]\s?", "", number)
    pattern = r"(?<![\d.,])" + re.escape(core) + r"(?![\d]|[.,]\d)"
    if re.search(pattern, phrase):
        return True
    if core.isdigit():
        lowered = normalise_whitespace(phrase.lower())
        return any(re.search(r"(?<![a-z-])" + re.escape(word) + r"(?![a-z-])", lowered) for word in number_words(int(core)))
    return False


def load_sources(sources_dir: Path) -> dict[str, str]:
    """Source texts keyed by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(Path(sources_dir).glob("*.txt"))}
