"""Quarto documents as text: front matter, Markdown blocks, ``{python}`` cells and inline expressions.

The offline renderer supports the subset of Quarto syntax listed in ``SUPPORTED_*`` and refuses anything else
with the line number, so that a document that renders here renders the same under the Quarto CLI.
"""

import re
from dataclasses import dataclass, field

import yaml

SUPPORTED_CELL_OPTIONS = {"label", "fig-cap", "fig-alt", "tbl-cap", "echo", "output", "include"}
SUPPORTED_FORMAT_OPTIONS = {
    "html": {"toc", "toc-depth", "number-sections", "css", "embed-resources", "lang", "link-citations",
             "format-links", "lightbox", "include-after-body"},  # offline HTML links to no other format; its own lightbox
    "typst": {"toc", "toc-depth", "number-sections", "papersize", "section-numbering", "page-numbering",
              "fontsize", "margin", "lang", "mainfont", "link-citations",
              "citeproc"},  # the offline Typst always formats citations with Pandoc's citeproc
}
SUPPORTED_TOP_LEVEL = {"title", "subtitle", "author", "date", "abstract", "lang", "bibliography", "csl",
                       "link-citations", "format", "execute", "jupyter", "project", "toc", "number-sections",
                       "keywords", "reference-section-title", "crossref"}

CELL_FENCE = re.compile(r"^(?P<ticks>`{3,})\{(?P<lang>[^}\s]+)(?P<rest>[^}]*)\}\s*$")
PLAIN_FENCE = re.compile(r"^(?P<ticks>`{3,})")
INLINE_EXPRESSION = re.compile(r"`\{(?P<lang>[a-zA-Z]+)\}\s+(?P<expr>[^`]+?)`")
SHORTCODE = re.compile(r"\{\{<.*?>\}\}")


class QmdError(Exception):
    """The document cannot be rendered; the message names the line of the ``.qmd``."""


@dataclass
class Cell:
    """A ``{python}`` code cell: its code, its ``#|`` options and the line it starts on."""

    code: str
    options: dict
    line: int


@dataclass
class Document:
    """A parsed ``.qmd``: front matter, then Markdown text and cells in document order."""

    metadata: dict
    blocks: list = field(default_factory=list)  # str (Markdown) or Cell
    body_start_line: int = 1


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """YAML front matter, the body, and the line number the body starts on."""
    if not text.startswith("---\n"):
        return {}, text, 1
    end = text.find("\n---\n", 4)
    if end < 0:
        raise QmdError("line 1: front matter opened with '---' is never closed")
    metadata = yaml.safe_load(text[4:end]) or {}
    body = text[end + 5 :]
    return metadata, body, text[: end + 5].count("\n") + 1


def parse_cell_options(lines: list[str], first_line: int) -> tuple[dict, str]:
    """Split a cell's leading ``#|`` lines (YAML) from its code."""
    option_lines = []
    index = 0
    while index < len(lines) and lines[index].startswith("#|"):
        option_lines.append(lines[index][2:].strip())
        index += 1
    options = yaml.safe_load("\n".join(option_lines)) or {} if option_lines else {}
    unknown = sorted(set(options) - SUPPORTED_CELL_OPTIONS)
    if unknown:
        raise QmdError(f"line {first_line}: cell option(s) {unknown} are not supported by the offline renderer "
                       f"(supported: {sorted(SUPPORTED_CELL_OPTIONS)})")
    label = str(options.get("label", ""))
    if label and not re.fullmatch(r"[a-z][a-z0-9-]*", label):
        raise QmdError(f"line {first_line}: cell label '{label}' must be lower case letters, digits and '-'")
    return options, "\n".join(lines[index:])


def parse_qmd(text: str) -> Document:
    """Parse a ``.qmd`` into front matter, Markdown blocks and executable cells.

    Refuses constructs this renderer does not support (other engines' cells, shortcodes, inline code
    in other languages) instead of rendering them wrongly.
    """
    metadata, body, start = split_front_matter(text)
    unknown_keys = sorted(set(metadata) - SUPPORTED_TOP_LEVEL)
    if unknown_keys:
        raise QmdError(f"line 1: front-matter key(s) {unknown_keys} are not supported by the offline renderer")
    document = Document(metadata=metadata, body_start_line=start)
    lines = body.split("\n")
    markdown: list[str] = []
    index = 0
    while index < len(lines):
        line_number = start + index
        line = lines[index]
        fence = CELL_FENCE.match(line)
        plain = PLAIN_FENCE.match(line)
        if fence:
            if fence["lang"] != "python":
                raise QmdError(f"line {line_number}: '{{{fence['lang']}}}' cells are not supported; only {{python}}")
            closing = index + 1
            while closing < len(lines) and lines[closing].strip() != fence["ticks"]:
                closing += 1
            if closing == len(lines):
                raise QmdError(f"line {line_number}: code cell is never closed with {fence['ticks']}")
            options, code = parse_cell_options(lines[index + 1 : closing], line_number)
            document.blocks.append("\n".join(markdown))
            markdown = []
            document.blocks.append(Cell(code=code, options=options, line=line_number))
            index = closing + 1
            continue
        if plain:  # a verbatim code block: copied as it is, never scanned for inline code
            closing = index + 1
            while closing < len(lines) and not lines[closing].startswith(plain["ticks"]):
                closing += 1
            markdown.extend(lines[index : closing + 1])
            index = closing + 1
            continue
        if SHORTCODE.search(line):
            raise QmdError(f"line {line_number}: Quarto shortcodes are not supported by the offline renderer")
        for match in INLINE_EXPRESSION.finditer(line):
            if match["lang"] != "python":
                raise QmdError(f"line {line_number}: inline `{{{match['lang']}}}` code is not supported; only {{python}}")
        markdown.append(line)
        index += 1
    document.blocks.append("\n".join(markdown))
    return document
