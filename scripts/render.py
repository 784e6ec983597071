"""Offline renderer for Quarto documents: the engines Quarto uses, without the Quarto CLI.

Quarto renders a ``.qmd`` by executing its Python cells in a Jupyter kernel, handing the resulting
Markdown to Pandoc (citeproc for citations, a filter for cross-references) and, for ``format: typst``,
compiling Pandoc's Typst output to PDF. This module does the same with ``nbclient`` + ``ipykernel``,
the ``pypandoc-binary`` Pandoc and the ``typst`` compiler wheel, so the report builds on machines where
the Quarto CLI cannot be installed. It supports the subset of Quarto syntax listed in ``SUPPORTED_*``
and refuses anything else with the line number, so the same ``.qmd`` renders identically under Quarto.

Usage: ``python scripts/render.py report/review.qmd --html out.html --pdf out.pdf``
"""


import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline_io import rule_logger, write_atomically

HERE = Path(__file__).resolve().parent
CROSSREF_FILTER = HERE / "crossref.lua"

SUPPORTED_CELL_OPTIONS = {"label", "fig-cap", "fig-alt", "tbl-cap", "echo", "output", "include"}
SUPPORTED_FORMAT_OPTIONS = {
    "html": {"toc", "toc-depth", "number-sections", "css", "embed-resources", "lang", "link-citations"},
    "typst": {"toc", "toc-depth", "number-sections", "papersize", "section-numbering", "page-numbering",
              "fontsize", "margin", "lang", "mainfont", "link-citations"},
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


def merged_metadata(document: Document, project_file: Path | None) -> dict:
    """Project options from ``_quarto.yml`` overlaid by the document's own front matter."""
    project = yaml.safe_load(project_file.read_text(encoding="utf-8")) if project_file and project_file.exists() else {}
    merged = {k: v for k, v in (project or {}).items() if k != "project"}
    for key, value in document.metadata.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    for fmt, options in (merged.get("format") or {}).items():
        if fmt not in SUPPORTED_FORMAT_OPTIONS:
            raise QmdError(f"format '{fmt}' is not supported by the offline renderer (html, typst)")
        unknown = sorted(set(options or {}) - SUPPORTED_FORMAT_OPTIONS[fmt])
        if unknown:
            raise QmdError(f"format '{fmt}' option(s) {unknown} are not supported by the offline renderer")
    return merged


# --------------------------------------------------------------------------------------------- execution

INLINE_PRINTER = (
    "def __qmd_inline__(value):\n"
    "    # Quarto shows an inline value's text/plain form, without the quotes of a string\n"
    "    print(value if isinstance(value, str) else repr(value), end='')\n"
)


def build_notebook(document: Document):
    """A notebook whose cells are the document's cells and inline expressions, in document order."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(INLINE_PRINTER, id="qmd-inline-printer")]
    for block_index, block in enumerate(document.blocks):
        if isinstance(block, Cell):
            cells.append(nbformat.v4.new_code_cell(block.code, id=f"cell-{block_index}"))
        else:
            for expr_index, match in enumerate(INLINE_EXPRESSION.finditer(block)):
                cells.append(nbformat.v4.new_code_cell(f"__qmd_inline__({match['expr'].strip()})",
                                                       id=f"inline-{block_index}-{expr_index}"))
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
        counter = iter(range(10**6))

        def value(match, block_index=block_index, counter=counter):
            cell = executed[f"inline-{block_index}-{next(counter)}"]
            return _stream_text(cell.get("outputs", []))

        pieces.append(INLINE_EXPRESSION.sub(value, block))
    return "\n\n".join(pieces)


# ------------------------------------------------------------------------------------------- Pandoc

def pandoc_metadata(metadata: dict, fmt: str) -> dict:
    """Document metadata Pandoc understands (title, author, date, abstract, options of this format)."""
    keep = {k: metadata[k] for k in ("title", "subtitle", "author", "date", "abstract", "lang", "keywords",
                                     "reference-section-title", "link-citations") if k in metadata}
    keep.update({k: v for k, v in ((metadata.get("format") or {}).get(fmt) or {}).items()})
    return keep


def pandoc_arguments(metadata: dict, fmt: str, source_dir: Path) -> list[str]:
    """Command-line options equivalent to the Quarto format options the document sets."""
    options = pandoc_metadata(metadata, fmt)
    args = ["--standalone", f"--lua-filter={CROSSREF_FILTER}", "--citeproc", f"--resource-path={source_dir}"]
    if metadata.get("bibliography"):
        args.append(f"--bibliography={source_dir / metadata['bibliography']}")
    if metadata.get("csl"):
        args.append(f"--csl={source_dir / metadata['csl']}")
    if options.get("toc", metadata.get("toc")):
        args.append("--toc")
        args.append(f"--toc-depth={options.get('toc-depth', 3)}")
    if options.get("number-sections", metadata.get("number-sections")) and fmt == "html":
        args.append("--number-sections")
    if fmt == "html":
        args += ["--embed-resources", "--mathml"]
        if options.get("css"):
            args.append(f"--css={source_dir / options['css']}")
        args.append("--section-divs")
    if fmt == "typst" and options.get("number-sections", metadata.get("number-sections")):
        args.append(f"--variable=section-numbering:{options.get('section-numbering', '1.1.a')}")
    return args


def citation_keys_used(markdown: str) -> set[str]:
    """Bibliography keys cited as ``@key`` or ``[@key]`` (cross-reference labels excluded)."""
    keys = set(re.findall(r"(?<![\w@\\])@([A-Za-z][\w:.#$%&+?<>~/-]*[\w])", markdown))  # not an escaped \@
    return {k for k in keys if not re.match(r"(fig|tbl|sec)-", k)}


def check_citations(markdown: str, bib_path: Path | None) -> None:
    """Every cited key must exist in the bibliography: citeproc would otherwise print '???'."""
    if bib_path is None:
        return
    defined = set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", bib_path.read_text(encoding="utf-8")))
    missing = sorted(citation_keys_used(markdown) - defined)
    if missing:
        raise QmdError(f"citation key(s) {missing} are not in {bib_path}")


def run_pandoc(markdown: str, fmt: str, args: list[str], metadata: dict, cwd: Path) -> str:
    """Convert Markdown with Pandoc; warnings (unresolved citations, missing images) are errors."""
    import pypandoc

    with tempfile.TemporaryDirectory() as tmp:
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(pandoc_metadata(metadata, fmt)), encoding="utf-8")
        command = [pypandoc.get_pandoc_path(), "--from=markdown", f"--to={fmt}", f"--metadata-file={meta_file}",
                   "--fail-if-warnings", *args]
        result = subprocess.run(command, input=markdown, capture_output=True, text=True, cwd=cwd,
                                env={**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")})
    if result.returncode != 0:
        raise QmdError(f"pandoc ({fmt}) failed:\n{result.stderr.strip()}")
    return result.stdout


def typst_preamble() -> str:
    """Typst set rules Quarto's Typst format also applies: table captions above, figures below, A4."""
    return (
        "#show figure.where(kind: table): set figure.caption(position: top)\n"
        "#show figure.where(kind: table): set block(breakable: true)\n"
        "#set table(stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } else { none })\n"
        "#show table: set text(size: 8pt)\n"
        "#show table: set par(justify: false)\n"
        "#show link: set text(fill: rgb(\"#1f4e79\"))\n"
    )


def compile_pdf(typst_source: str, pdf_path: Path, root: Path, timestamp: int) -> None:
    """Compile Typst source to PDF with a fixed creation date, so the bytes depend only on the input."""
    import typst

    with tempfile.NamedTemporaryFile("w", suffix=".typ", dir=root, delete=False, encoding="utf-8") as handle:
        handle.write(typst_source)
        source = Path(handle.name)
    try:
        pdf = typst.compile(str(source), root=str(root), timestamp=timestamp)
    finally:
        source.unlink()
    write_atomically(pdf_path, pdf)


def execute(qmd: Path) -> str:
    """Run the document's code in a fresh kernel and return the executed Markdown (Quarto's ``keep-md``):
    front matter holding the merged project and document options, then the text with inline values and
    cell outputs in place. Relative paths in it (bibliography, CSL, CSS, images) are relative to ``qmd``'s
    folder."""
    qmd = Path(qmd).resolve()
    document = parse_qmd(qmd.read_text(encoding="utf-8"))
    metadata = merged_metadata(document, qmd.parent / "_quarto.yml")
    notebook = execute_notebook(build_notebook(document), qmd.parent)
    markdown = assemble_markdown(document, notebook, metadata)
    check_citations(markdown, qmd.parent / metadata["bibliography"] if metadata.get("bibliography") else None)
    front_matter = yaml.safe_dump(metadata, sort_keys=True, allow_unicode=True, width=10**6)
    return f"---\n{front_matter}---\n\n{markdown}"


def to_html(executed: str, source_dir: Path, html: Path) -> None:
    """Self-contained HTML from executed Markdown; ``source_dir`` is the folder of the ``.qmd``."""
    metadata, markdown, _ = split_front_matter(executed)
    source_dir = Path(source_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="qmd-html-") as work:
        out = run_pandoc(markdown, "html", pandoc_arguments(metadata, "html", source_dir), metadata, Path(work))
    write_atomically(html, out)


def to_pdf(executed: str, source_dir: Path, pdf: Path, timestamp: int = 0) -> None:
    """A4 PDF through Pandoc's Typst writer and the Typst compiler, with a fixed creation date."""
    metadata, markdown, _ = split_front_matter(executed)
    source_dir = Path(source_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="qmd-typst-") as tmp:
        work = Path(tmp)
        # Typst reads images only below its root: Pandoc copies every image into the work folder first.
        args = pandoc_arguments(metadata, "typst", source_dir) + ["--extract-media=media"]
        typ = run_pandoc(markdown, "typst", args, metadata, work)
        compile_pdf(typst_preamble() + typ, pdf, work, timestamp)


def render(qmd: Path, html: Path | None = None, pdf: Path | None = None, timestamp: int = 0,
           keep_markdown: Path | None = None) -> None:
    """Render ``qmd`` to a self-contained HTML file and/or an A4 Typst PDF, as Quarto would."""
    executed = execute(qmd)
    if keep_markdown:
        write_atomically(keep_markdown, executed)
    if html:
        to_html(executed, Path(qmd).resolve().parent, html)
    if pdf:
        to_pdf(executed, Path(qmd).resolve().parent, pdf, timestamp)


def quarto_available() -> bool:
    """Whether the Quarto CLI is on PATH."""
    return shutil.which("quarto") is not None


def render_with_quarto(qmd: Path, fmt: str, output: Path) -> None:
    """Render one format (``html`` or ``typst``) with the real Quarto CLI.

    Quarto writes beside the document (``review_files/``, the output), so each format renders in its own
    copy of the document's folder; the folders the document reads through ``..`` are linked in.
    """
    qmd = Path(qmd).resolve()
    project = qmd.parent.parent
    with tempfile.TemporaryDirectory(prefix="quarto-render-") as tmp:
        work = Path(tmp)
        shutil.copytree(qmd.parent, work / qmd.parent.name)
        for folder in ("data", "results", "scripts"):
            (work / folder).symlink_to(project / folder, target_is_directory=True)
        copy = work / qmd.parent.name / qmd.name
        subprocess.run(["quarto", "render", copy.name, "--to", fmt], cwd=copy.parent, check=True)
        write_atomically(output, copy.with_suffix(".html" if fmt == "html" else ".pdf").read_bytes())


def choose_renderer(setting: str) -> str:
    """'quarto' or 'offline' for the config value 'auto', 'quarto' or 'offline'."""
    if setting == "auto":
        return "quarto" if quarto_available() else "offline"
    if setting == "quarto" and not quarto_available():
        raise QmdError("config renderer is 'quarto' but no 'quarto' command is on PATH")
    if setting not in {"quarto", "offline"}:
        raise QmdError(f"config renderer must be auto, quarto or offline, not '{setting}'")
    return setting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("qmd", type=Path)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--pdf", type=Path)
    parser.add_argument("--markdown", type=Path, help="also keep the executed Markdown")
    parser.add_argument("--timestamp", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    args = parser.parse_args(argv)
    try:
        render(args.qmd, args.html, args.pdf, args.timestamp, args.markdown)
    except QmdError as error:
        print(f"{args.qmd}: {error}", file=sys.stderr)
        return 1
    return 0


def run_rule(smk) -> None:
    """Snakemake entry point of the three rendering rules: ``execute_review`` (qmd -> executed Markdown),
    ``render_html`` and ``render_pdf`` (executed Markdown -> HTML, PDF)."""
    log = rule_logger(smk.log[0], smk.rule)
    try:
        if smk.rule == "execute_review":
            write_atomically(smk.output[0], execute(Path(smk.input.qmd)))
            log.info("executed %s in a Jupyter kernel: %s", smk.input.qmd, smk.output[0])
            return
        renderer = choose_renderer(smk.params.renderer)
        if renderer == "quarto":
            render_with_quarto(Path(smk.input.qmd), "html" if smk.rule == "render_html" else "typst", smk.output[0])
        elif smk.rule == "render_html":
            to_html(Path(smk.input.executed).read_text(encoding="utf-8"), Path(smk.input.qmd).parent, smk.output[0])
        else:
            timestamp = int(os.environ.get("SOURCE_DATE_EPOCH", smk.params.pdf_timestamp))
            to_pdf(Path(smk.input.executed).read_text(encoding="utf-8"), Path(smk.input.qmd).parent, smk.output[0],
                   timestamp)
    except QmdError as error:
        log.error("%s: %s", smk.input.qmd, error)
        raise SystemExit(1) from None
    log.info("renderer %s wrote %s", renderer, smk.output[0])


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
elif __name__ == "__main__":
    sys.exit(main())
