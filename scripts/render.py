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
from pathlib import Path

import yaml

from pipeline_io import rule_logger, write_atomically
from qmd import INLINE_EXPRESSION, Cell, Document, QmdError, parse_qmd, split_front_matter  # noqa: F401
from qmd_execution import (INLINE_MARKER, assemble_markdown, build_notebook, claims_map,  # noqa: F401
                           execute_notebook, inline_cell, inline_values)
from quarto_project import PROJECT_FILE, check_inside_project, find_project, merged_metadata, project_mirror

HERE = Path(__file__).resolve().parent
CROSSREF_FILTER = HERE / "crossref.lua"
OFFLINE_LAYOUT_CSS = HERE / "offline_layout.css"
OFFLINE_ENHANCE = HERE / "offline_enhance.html"  # a <script>, included after the body

# ------------------------------------------------------------------------------------------- Pandoc

def pandoc_metadata(metadata: dict, fmt: str) -> dict:
    """Document metadata Pandoc understands (title, author, date, abstract, options of this format)."""
    keep = {k: metadata[k] for k in ("title", "subtitle", "author", "date", "abstract", "lang", "keywords",
                                     "reference-section-title", "link-citations") if k in metadata}
    keep.update({k: v for k, v in ((metadata.get("format") or {}).get(fmt) or {}).items()})
    return keep


def pandoc_arguments(metadata: dict, fmt: str, document_dir: Path) -> list[str]:
    """Command-line options equivalent to the Quarto format options the document sets. Paths in ``metadata``
    are relative to ``document_dir``, the folder Pandoc runs in."""
    options = pandoc_metadata(metadata, fmt)
    root = find_project(document_dir)
    args = ["--standalone", f"--lua-filter={CROSSREF_FILTER}", "--citeproc", f"--resource-path={document_dir}"]
    if fmt == "html":
        # the offline engine's page layout stands in for Quarto's theme; the document's CSS comes after it
        args += ["--embed-resources", "--mathml", "--section-divs", f"--css={OFFLINE_LAYOUT_CSS}",
                 f"--include-after-body={OFFLINE_ENHANCE}"]
    for option, value in (("bibliography", metadata.get("bibliography")), ("csl", metadata.get("csl")),
                          ("css", options.get("css") if fmt == "html" else None),
                          ("include-after-body", options.get("include-after-body") if fmt == "html" else None)):
        if value:
            check_inside_project(value, document_dir, root, option)
            args.append(f"--{option}={value}")
    if options.get("toc", metadata.get("toc")):
        args.append("--toc")
        args.append(f"--toc-depth={options.get('toc-depth', 3)}")
    if options.get("number-sections", metadata.get("number-sections")) and fmt == "html":
        args.append("--number-sections")
    if fmt == "typst" and options.get("number-sections", metadata.get("number-sections")):
        args.append(f"--variable=section-numbering:{options.get('section-numbering', '1.1.a')}")
    return args


IMAGE_LINK = re.compile(r"!\[[^\]]*\]\((?P<path>[^)\s]+)")


def check_images_inside_project(markdown: str, document_dir: Path) -> None:
    """Every image the text links to lies inside the project (data URIs, from the cells, are inside the text)."""
    root = find_project(document_dir)
    for match in IMAGE_LINK.finditer(markdown):
        if not match["path"].startswith("data:"):
            check_inside_project(match["path"], document_dir, root, "image")


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
        # a table's caption stays on the page of the table's first rows; a row never breaks across pages
        "#show figure.caption.where(kind: table): set block(sticky: true)\n"
        "#set table.cell(breakable: false)\n"
        "#set table(stroke: (x, y) => if y == 0 { (bottom: 0.7pt) } else { none })\n"
        "#show table: set text(size: 8pt)\n"
        "#show table: set par(justify: false)\n"
        "#show link: set text(fill: rgb(\"#1f4e79\"))\n"
    )


def compile_pdf(typst_source: str, pdf_path: Path, document_dir: Path, timestamp: int) -> None:
    """Compile Typst source, written into ``document_dir``, to PDF with the project root as Typst's root (as
    Quarto does) and a fixed creation date, so the bytes depend only on the input."""
    import typst

    source = Path(document_dir) / "review.typ"
    source.write_text(typst_source, encoding="utf-8")
    try:
        pdf = typst.compile(str(source), root=str(find_project(document_dir)), timestamp=timestamp)
    except RuntimeError as error:  # the typst wheel reports compile errors as RuntimeError
        raise QmdError(f"typst: {error}") from None
    write_atomically(pdf_path, pdf)


def execute(qmd: Path) -> str:
    """The executed Markdown of ``qmd`` (see ``execute_document``)."""
    return execute_document(qmd)[0]


def execute_document(qmd: Path) -> tuple[str, list[dict]]:
    """Run the document's code in a fresh kernel and return the executed Markdown (Quarto's ``keep-md``):
    front matter holding the merged project and document options, then the text with inline values and
    cell outputs in place. Relative paths in it (bibliography, CSL, CSS, images) are relative to ``qmd``'s
    folder. The kernel runs in a mirror of the project, so a file read from outside the project is missing."""
    qmd = Path(qmd).resolve()
    document = parse_qmd(qmd.read_text(encoding="utf-8"))
    metadata = merged_metadata(document, find_project(qmd.parent) / PROJECT_FILE, qmd.parent)
    with project_mirror(qmd.parent) as mirrored:
        notebook = execute_notebook(build_notebook(document), mirrored)
    markdown = assemble_markdown(document, notebook, metadata)
    check_citations(markdown, qmd.parent / metadata["bibliography"] if metadata.get("bibliography") else None)
    check_images_inside_project(markdown, qmd.parent)
    front_matter = yaml.safe_dump(metadata, sort_keys=True, allow_unicode=True, width=10**6)
    return f"---\n{front_matter}---\n\n{markdown}", inline_values(document, notebook)


def to_html(executed: str, document_dir: Path, html: Path) -> None:
    """Self-contained HTML from executed Markdown; ``document_dir`` is the folder of the ``.qmd``."""
    metadata, markdown, _ = split_front_matter(executed)
    with project_mirror(document_dir) as mirrored:
        out = run_pandoc(markdown, "html", pandoc_arguments(metadata, "html", mirrored), metadata, mirrored)
    write_atomically(html, out)


DATA_URI_IMAGE = re.compile(r"\]\(data:image/(?P<kind>svg\+xml|png);base64,(?P<payload>[A-Za-z0-9+/=]+)\)")


def images_as_files(markdown: str, folder: Path) -> str:
    """The cells' images (data URIs in the executed Markdown) written to files in ``folder``, as Quarto writes
    them to ``<document>_files/``, and linked by relative path: Typst reads images only from files."""
    folder.mkdir(parents=True, exist_ok=True)

    def to_file(match, counter=iter(range(10**6))):
        path = folder / f"cell-{next(counter)}.{'svg' if match['kind'] == 'svg+xml' else 'png'}"
        path.write_bytes(base64.b64decode(match["payload"]))
        return f"]({folder.name}/{path.name})"

    return DATA_URI_IMAGE.sub(to_file, markdown)


def to_pdf(executed: str, document_dir: Path, pdf: Path, timestamp: int = 0) -> None:
    """A4 PDF through Pandoc's Typst writer and the Typst compiler, with a fixed creation date. Compiled in a
    mirror of the project with the project root as Typst's root: an image above the root fails, as in Quarto."""
    metadata, markdown, _ = split_front_matter(executed)
    with project_mirror(document_dir) as mirrored:
        markdown = images_as_files(markdown, mirrored / "review_files")
        typ = run_pandoc(markdown, "typst", pandoc_arguments(metadata, "typst", mirrored), metadata, mirrored)
        compile_pdf(typst_preamble() + typ, pdf, mirrored, timestamp)


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
    """Render one format (``html`` or ``typst``) with the real Quarto CLI, from the project root.

    Quarto writes beside the document (``review_files/``, the output) and in the project (``.quarto/``), so
    each format renders in its own mirror of the project; the output is then copied to ``output``.
    """
    qmd = Path(qmd).resolve()
    with project_mirror(qmd.parent) as mirrored:
        root = find_project(mirrored)  # the mirror's root holds a link to _quarto.yml
        document = (mirrored / qmd.name).relative_to(root)
        subprocess.run(["quarto", "render", str(document), "--to", fmt], cwd=root, check=True)
        write_atomically(output, (mirrored / qmd.name).with_suffix(".html" if fmt == "html" else ".pdf").read_bytes())


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
            markdown, values = execute_document(Path(smk.input.qmd))
            claims = claims_map(values)
            write_atomically(smk.output.claims, json.dumps(claims, indent=1, ensure_ascii=False) + "\n")
            write_atomically(smk.output.markdown, markdown)
            coverage = claims["coverage"]
            log.info("executed %s in a Jupyter kernel: %s; %d of %d values in %s carry provenance (%s)",
                     smk.input.qmd, smk.output.markdown, coverage["with_provenance"], coverage["values"],
                     " and ".join(coverage["sections"]), smk.output.claims)
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
        if smk.rule != "execute_review":
            log.error("the offline renderer failed; with the Quarto CLI installed, `make report RENDERER=quarto` "
                      "renders with Quarto instead")
        raise SystemExit(1) from None
    except subprocess.CalledProcessError as error:
        log.error("%s: the Quarto CLI failed (%s); `make report RENDERER=offline` (or `snakemake --cores all "
                  "--config renderer=offline`) renders with the offline renderer instead", smk.input.qmd, error)
        raise SystemExit(1) from None
    log.info("renderer %s wrote %s", renderer, smk.output[0])


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
elif __name__ == "__main__":
    sys.exit(main())
