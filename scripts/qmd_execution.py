"""Executing a Quarto document as Quarto's Jupyter engine does: its ``{python}`` cells and inline expressions
run in a fresh kernel (nbclient + ipykernel), and the results become the executed Markdown (Quarto's
``keep-md``). Also the map of every inline value and the provenance it links to (``claims_map``).
"""

import base64
import json
import os
import re
import sys
from pathlib import Path

from qmd import INLINE_EXPRESSION, Cell, Document, QmdError


# --------------------------------------------------------------------------------------------- execution

INLINE_PRINTER = (
    "import re as __qmd_re__\n"
    "def __qmd_inline__(value):\n"
    "    # as Quarto shows an inline value: its Markdown form if it has one (IPython's Markdown, or any object with\n"
    "    # _repr_markdown_), inserted as Markdown; otherwise its text (a string without its quotes), with\n"
    "    # Markdown syntax escaped so that it shows literally\n"
    "    if hasattr(value, '_repr_markdown_'):\n"
    "        return value._repr_markdown_()\n"
    "    text = value if isinstance(value, str) else repr(value)\n"
    "    return __qmd_re__.sub(r'([\\\\`*_{}\\[\\]<>#|~^$@])', r'\\\\\\1', text)\n"
)
INLINE_MARKER = "\x1eqmd-inline-values:"  # precedes the JSON list of a block's inline values on stdout


def inline_cell(expressions: list[str]) -> str:
    """One cell that evaluates a Markdown block's inline expressions in order and prints their values as a
    JSON list: one kernel round trip per block instead of one per value (a failing expression's line names it)."""
    lines = ["import json as __qmd_json__", "__qmd_values__ = []"]
    lines += [f"__qmd_values__.append(__qmd_inline__({expression}))" for expression in expressions]
    lines.append(f"print({INLINE_MARKER!r} + __qmd_json__.dumps(__qmd_values__), end='')")
    return "\n".join(lines)


def build_notebook(document: Document):
    """A notebook whose cells are the document's cells and, for each Markdown block with inline expressions,
    one cell that evaluates them, in document order."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(INLINE_PRINTER, id="qmd-inline-printer")]
    for block_index, block in enumerate(document.blocks):
        if isinstance(block, Cell):
            cells.append(nbformat.v4.new_code_cell(block.code, id=f"cell-{block_index}"))
            continue
        expressions = [match["expr"].strip() for match in INLINE_EXPRESSION.finditer(block)]
        if expressions:
            cells.append(nbformat.v4.new_code_cell(inline_cell(expressions), id=f"inline-{block_index}"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def kernel_environment() -> dict:
    """Environment for the kernel: this interpreter first on PATH, hashing and plotting deterministic."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONHASHSEED"] = "0"
    env["MPLBACKEND"] = "Agg"
    return env


def execute_notebook(notebook, working_dir: Path, timeout: int = 600):
    """Run every cell in a fresh ``python3`` kernel started from this interpreter, in ``working_dir``."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    manager = KernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = sys.executable  # the kernel must see this environment's packages
    client = NotebookClient(notebook, km=manager, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(working_dir)}})
    try:
        client.execute(env=kernel_environment())
    except CellExecutionError as error:
        raise QmdError(str(error)) from error
    return notebook


# ------------------------------------------------------------------------------------------- Markdown

def _stream_text(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _attribute(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def cell_markdown(cell: Cell, outputs, echo_default: bool) -> str:
    """The Markdown a cell contributes: its code when echoed, then its outputs (figure, table or text)."""
    options = cell.options
    if options.get("include") is False:
        return ""
    parts = []
    if options.get("echo", echo_default):
        parts.append(f"```python\n{cell.code}\n```")
    if options.get("output", True) is False:
        return "\n\n".join(parts)
    label = str(options.get("label", ""))
    asis = options.get("output") == "asis"
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") == "stdout":
                text = output.get("text", "")
                parts.append(text if asis else f"```\n{text.rstrip()}\n```")
            continue
        if kind == "error":
            raise QmdError(f"line {cell.line}: {output.get('ename')}: {output.get('evalue')}")
        data = output.get("data", {})
        mime = next((candidate for candidate in ("image/svg+xml", "image/png") if candidate in data), None)
        if mime:
            payload = data[mime]
            # a data URI keeps the executed Markdown one self-contained file between execution and Pandoc
            encoded = base64.b64encode(payload.encode("utf-8")).decode("ascii") if mime == "image/svg+xml" else payload
            caption = options.get("fig-cap", "")
            attributes = []
            if label.startswith("fig-"):
                attributes.append(f"#{label}")
            if options.get("fig-alt"):
                attributes.append(f"fig-alt={_attribute(options['fig-alt'])}")
            attr = "{" + " ".join(attributes) + "}" if attributes else ""
            parts.append(f"![{caption}](data:{mime};base64,{encoded.strip()}){attr}")
        elif "text/markdown" in data:
            parts.append(data["text/markdown"])
        elif "text/plain" in data:
            parts.append(f"```\n{data['text/plain']}\n```")
    if label.startswith("tbl-"):
        body = "\n\n".join(p for p in parts if not p.startswith("```python"))
        code = [p for p in parts if p.startswith("```python")]
        caption = options.get("tbl-cap", "")
        table = f"::: {{#{label}}}\n{body.strip()}\n\n: {caption}\n:::" if caption else f"::: {{#{label}}}\n{body.strip()}\n:::"
        return "\n\n".join(code + [table])
    if label and not label.startswith("fig-"):
        return f"::: {{#{label}}}\n" + "\n\n".join(parts) + "\n:::"
    return "\n\n".join(parts)


def assemble_markdown(document: Document, notebook, metadata: dict) -> str:
    """Pandoc Markdown: front matter for Pandoc, then text with inline values and cell outputs in place."""
    echo_default = bool((metadata.get("execute") or {}).get("echo", True))
    executed = {cell["id"]: cell for cell in notebook.cells}
    pieces = []
    for block_index, block in enumerate(document.blocks):
        if isinstance(block, Cell):
            outputs = executed[f"cell-{block_index}"].get("outputs", [])
            pieces.append(cell_markdown(block, outputs, echo_default))
            continue
        values = iter(block_values(executed, block_index))
        pieces.append(INLINE_EXPRESSION.sub(lambda match, values=values: next(values), block))
    return "\n\n".join(pieces)


def block_values(executed: dict, block_index: int) -> list[str]:
    """The values a Markdown block's inline expressions showed, in order (none when it has no expression)."""
    cell = executed.get(f"inline-{block_index}")
    if cell is None:
        return []
    return json.loads(_stream_text(cell.get("outputs", [])).rpartition(INLINE_MARKER)[2])


CLAIM_LINK = re.compile(r"\]\(#(claim-\d+)\)\{\.claim\}")
CITATION_ONLY = re.compile(r"\[@[^\]]*\]")
TOP_HEADING = re.compile(r"^# (.+?)(?:\s+\{[^}]*\})?\s*$", flags=re.M)


def inline_values(document: Document, notebook) -> list[dict]:
    """Every inline value of the document: the section it sits in (its level-1 heading), the expression, the
    value shown, and the claims (provenance entries) it links to."""
    executed = {cell["id"]: cell for cell in notebook.cells}
    section, found = "", []
    for block_index, block in enumerate(document.blocks):
        if isinstance(block, Cell):
            continue
        shown, position = iter(block_values(executed, block_index)), 0
        for match in INLINE_EXPRESSION.finditer(block):
            headings = TOP_HEADING.findall(block, position, match.start())
            section = headings[-1] if headings else section
            value = next(shown)
            found.append({"section": section, "expression": match["expr"].strip(), "value": value,
                          "claims": CLAIM_LINK.findall(value)})
            position = match.end()
        headings = TOP_HEADING.findall(block, position)
        section = headings[-1] if headings else section
    return found


def claims_map(values: list[dict], sections: tuple[str, ...] = ("Abstract", "Results")) -> dict:
    """The provenance map written beside the review: every inline value, and how many of those in ``sections``
    (citations aside) carry provenance (the coverage the tests hold to)."""
    # a value that is only a citation ('[@key; @key]') is a link to its references, not a number to trace
    counted = [v for v in values if v["section"] in sections and not CITATION_ONLY.fullmatch(v["value"])]
    with_claims = sum(1 for v in counted if v["claims"])
    return {"coverage": {"sections": list(sections), "values": len(counted), "with_provenance": with_claims,
                         "share": round(with_claims / len(counted), 4) if counted else 1.0},
            "values": values}
