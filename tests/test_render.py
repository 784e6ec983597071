"""The offline renderer: Quarto syntax it supports, what it refuses, and what it produces."""

import re
import shutil

import pytest

import render
from conftest import REPO

SUPPORTED = """---
title: "T"
---

```{python}
#| label: fig-x
#| fig-cap: "Cap"
#| fig-alt: "Alt"
x = 1
```

Value `{python} x` and @fig-x.
"""


def test_review_uses_only_constructs_the_offline_renderer_supports():
    document = render.parse_qmd((REPO / "report" / "review.qmd").read_text(encoding="utf-8"))
    render.merged_metadata(document, REPO / "_quarto.yml", REPO / "report")
    assert any(isinstance(block, render.Cell) for block in document.blocks)


def test_cells_options_and_inline_expressions_are_parsed():
    document = render.parse_qmd(SUPPORTED)
    cells = [b for b in document.blocks if isinstance(b, render.Cell)]
    assert document.metadata == {"title": "T"}
    assert cells[0].options == {"label": "fig-x", "fig-cap": "Cap", "fig-alt": "Alt"}
    assert cells[0].code == "x = 1"
    assert cells[0].line == 5
    notebook = render.build_notebook(document)
    # the block's inline expressions are evaluated together, after the cell before them
    assert [c.source for c in notebook.cells[1:]] == ["x = 1", render.inline_cell(["x"])]


@pytest.mark.parametrize("snippet, complaint", [
    ("```{r}\n1\n```\n", "'{r}' cells are not supported"),
    ("Text `{r} x` here\n", "inline `{r}` code is not supported"),
    ("{{< include other.qmd >}}\n", "shortcodes are not supported"),
    ("```{python}\n#| fig-width: 3\n1\n```\n", "cell option(s) ['fig-width']"),
    ("```{python}\n1\n", "never closed"),
])
def test_unsupported_constructs_are_refused_with_their_line(snippet, complaint):
    with pytest.raises(render.QmdError) as error:
        render.parse_qmd("---\ntitle: T\n---\n\nIntro\n\n" + snippet)
    assert complaint in str(error.value)
    assert "line 7" in str(error.value)


def test_verbatim_code_blocks_are_not_executed_or_scanned():
    document = render.parse_qmd("```\n`{r} x` and {{< y >}}\n```\n")
    assert not any(isinstance(b, render.Cell) for b in document.blocks)


def test_unknown_format_option_is_refused(tmp_path):
    project = tmp_path / "_quarto.yml"
    project.write_text("format:\n  html:\n    code-fold: true\n", encoding="utf-8")
    with pytest.raises(render.QmdError, match="code-fold"):
        render.merged_metadata(render.parse_qmd(SUPPORTED), project)


def _render(tmp_path, body: str, **formats):
    """Render ``body`` as report/doc.qmd of a project laid out like this repository's."""
    shutil.copy(REPO / "_quarto.yml", tmp_path / "_quarto.yml")
    (tmp_path / "report").mkdir(exist_ok=True)
    for name in ("references.bib", "american-medical-association.csl", "style.css", "claim_cards.html"):
        shutil.copy(REPO / "report" / name, tmp_path / "report" / name)
    qmd = tmp_path / "report" / "doc.qmd"
    qmd.write_text(body, encoding="utf-8")
    render.render(qmd, **formats)


def test_unresolved_cross_reference_fails_the_render(tmp_path):
    with pytest.raises(render.QmdError, match="unresolved cross-reference @fig-missing"):
        _render(tmp_path, "---\ntitle: T\n---\n\nSee @fig-missing.\n", html=tmp_path / "out.html")


def test_unknown_citation_key_fails_the_render(tmp_path):
    with pytest.raises(render.QmdError, match="nosuchstudy1999"):
        _render(tmp_path, "---\ntitle: T\n---\n\nAs shown [@nosuchstudy1999].\n", html=tmp_path / "out.html")


def test_figures_tables_sections_are_numbered_and_linked(tmp_path):
    body = ("---\ntitle: T\n---\n\n# Intro {#sec-intro}\n\n```{python}\n#| label: fig-box\n#| fig-cap: \"Box\"\n"
            "#| fig-alt: \"A red box\"\nfrom IPython.display import SVG, Markdown\n"
            "SVG(data='<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>')\n```\n\n"
            "```{python}\n#| label: tbl-t\n#| tbl-cap: \"Tab\"\nMarkdown('| a |\\n|---|\\n| 1 |')\n```\n\n"
            "See @fig-box, @tbl-t and @sec-intro; value `{python} 6 * 7`, `{python} 'text'` and `{python} print('x') or 1.5`.\n")
    html = tmp_path / "out.html"
    pdf = tmp_path / "out.pdf"
    _render(tmp_path, body, html=html, pdf=pdf)
    text = html.read_text(encoding="utf-8")
    assert '<a href="#fig-box">Figure\u00a01</a>' in text
    assert '<a href="#tbl-t">Table\u00a01</a>' in text
    assert '<a href="#sec-intro">Section\u00a01</a>' in text
    assert "value 42, text and 1.5." in text
    assert 'alt="A red box"' in text
    assert not re.search(r'(src|href)="(https?:)?//', text), "the HTML must not load anything from another host"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_project_paths_are_relative_to_the_project_and_front_matter_paths_to_the_document(tmp_path):
    (tmp_path / "_quarto.yml").write_text("bibliography: report/refs.bib\nformat:\n  html:\n    css: report/a.css\n",
                                          encoding="utf-8")
    document = render.parse_qmd("---\ntitle: T\ncsl: style.csl\n---\n\nText\n")
    metadata = render.merged_metadata(document, tmp_path / "_quarto.yml", tmp_path / "report")
    assert metadata["bibliography"] == "refs.bib"
    assert metadata["csl"] == "style.csl"
    assert metadata["format"]["html"]["css"] == "a.css"


def test_a_figure_above_the_project_root_fails_the_pdf_as_under_quarto(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
                                          encoding="utf-8")
    executed = "---\ntitle: T\n---\n\n![Outside](../../outside.svg)\n"
    (project / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    (project / "report").mkdir()
    with pytest.raises(render.QmdError, match="escape the project root"):
        render.to_pdf(executed, project / "report", tmp_path / "out.pdf")
    with pytest.raises(render.QmdError, match="escape the project root"):
        render.check_images_inside_project(executed, project / "report")
    assert not (tmp_path / "out.pdf").exists()


def test_the_typst_compiler_itself_refuses_a_path_above_the_project_root(tmp_path):
    # the same constraint from Typst, without the renderer's own check in front of it
    project = tmp_path / "project"
    (project / "report").mkdir(parents=True)
    (project / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    (tmp_path / "outside.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
                                          encoding="utf-8")
    with render.project_mirror(project / "report") as mirrored:
        with pytest.raises(render.QmdError, match="escape"):
            render.compile_pdf('#image("../../outside.svg")', tmp_path / "out.pdf", mirrored, 0)


def test_a_cell_reading_a_file_above_the_project_root_fails_the_render(tmp_path):
    (tmp_path / "outside.csv").write_text("a\n1\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    body = ("---\ntitle: T\n---\n\n```{python}\nfrom pathlib import Path\n"
            "text = Path('..', '..', 'outside.csv').read_text()\n```\n")
    with pytest.raises(render.QmdError, match="outside.csv"):
        _render(project, body, html=tmp_path / "out.html")


def test_a_bibliography_above_the_project_root_is_refused(tmp_path):
    with pytest.raises(render.QmdError, match="bibliography '../../refs.bib' would escape the project root"):
        render.pandoc_arguments({"bibliography": "../../refs.bib"}, "html", REPO / "report")


def test_quarto_cli_renders_the_review_when_installed(tmp_path):
    if not render.quarto_available():
        pytest.skip("the Quarto CLI is not on PATH (it cannot be installed offline); the offline renderer is tested instead")
    import subprocess

    subprocess.run(["quarto", "inspect", "report/review.qmd"], cwd=REPO, check=True)


def test_renderer_choice_follows_config():
    assert render.choose_renderer("offline") == "offline"
    assert render.choose_renderer("auto") in {"offline", "quarto"}
    with pytest.raises(render.QmdError):
        render.choose_renderer("latex")


def test_inline_values_follow_quarto_a_string_shows_literally_and_markdown_objects_are_markdown(tmp_path):
    # Quarto escapes the Markdown in an inline expression's text output and inserts IPython Markdown objects
    # as Markdown (quarto.org, "Inline Code"); the offline renderer must read the document the same way.
    body = ("---\ntitle: T\n---\n\n```{python}\nfrom IPython.display import Markdown\n```\n\n"
            "Plain `{python} '**not bold** [@nosuchkey]'`; markup `{python} Markdown('**bold**')`.\n")
    html = tmp_path / "out.html"
    _render(tmp_path, body, html=html)
    text = html.read_text(encoding="utf-8")
    assert "Plain **not bold** [@nosuchkey];" in text  # literal, and not a citation
    assert "<strong>bold</strong>" in text
