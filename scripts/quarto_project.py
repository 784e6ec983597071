"""The Quarto project a document belongs to: its root, its options, and the root's limit on what is read.

Quarto looks for ``_quarto.yml`` in the document's folder and its parents; the first folder that has one is the
project root (with none, the document's own folder is). Options in ``_quarto.yml`` apply to every document,
overlaid by the document's front matter; paths in ``_quarto.yml`` are relative to the project root, paths in
front matter to the document. Quarto compiles Typst with its root set to the project root, and Typst refuses
to read a file above it ("would escape the project root"). The offline renderer renders inside a mirror of
the project (``project_mirror``) so that the same limit holds for everything the document reads: the Python
cells' files, the images, the bibliography, the citation style and the CSS.
"""

import contextlib
import os
import tempfile
from pathlib import Path

import yaml

from qmd import SUPPORTED_FORMAT_OPTIONS, Document, QmdError

PROJECT_FILE = "_quarto.yml"
PATH_OPTIONS = ("bibliography", "csl")  # top-level options that name a file
FORMAT_PATH_OPTIONS = ("css", "include-after-body")  # format options that name a file


def find_project(document_dir: Path) -> Path:
    """The project root of a document in ``document_dir``: the nearest folder, upwards, with ``_quarto.yml``."""
    document_dir = Path(document_dir).resolve()
    for folder in (document_dir, *document_dir.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return document_dir


def _deep_merge(base: dict, overlay: dict) -> dict:
    merged = dict(base)
    for key, value in overlay.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


def _rebased(options: dict, keys: tuple[str, ...], start: Path, document_dir: Path) -> dict:
    """``options`` with the file paths under ``keys`` (relative to ``start``) made relative to the document."""
    return {key: (os.path.relpath(start / value, document_dir) if key in keys and isinstance(value, str) else value)
            for key, value in options.items()}


def merged_metadata(document: Document, project_file: Path | None, document_dir: Path | None = None) -> dict:
    """Project options from ``_quarto.yml`` overlaid by the document's front matter; every path relative to the
    document's folder (``document_dir``, by default the project's own folder)."""
    project = yaml.safe_load(project_file.read_text(encoding="utf-8")) if project_file and project_file.exists() else {}
    project = {k: v for k, v in (project or {}).items() if k != "project"}
    if project_file is not None:
        root = Path(project_file).resolve().parent
        document_dir = Path(document_dir).resolve() if document_dir else root
        project = _rebased(project, PATH_OPTIONS, root, document_dir)
        project["format"] = {fmt: _rebased(options or {}, FORMAT_PATH_OPTIONS, root, document_dir)
                             for fmt, options in (project.get("format") or {}).items()}
    merged = _deep_merge(project, document.metadata)
    for fmt, options in (merged.get("format") or {}).items():
        if fmt not in SUPPORTED_FORMAT_OPTIONS:
            raise QmdError(f"format '{fmt}' is not supported by the offline renderer (html, typst)")
        unknown = sorted(set(options or {}) - SUPPORTED_FORMAT_OPTIONS[fmt])
        if unknown:
            raise QmdError(f"format '{fmt}' option(s) {unknown} are not supported by the offline renderer")
    return merged


def check_inside_project(path: str, document_dir: Path, root: Path, what: str) -> None:
    """Refuse a path, relative to the document, that leads out of the project root (checked on the path as
    written, as Typst does, so a link inside the project that points elsewhere is allowed)."""
    target = Path(os.path.normpath(Path(document_dir).resolve() / path))
    if not target.is_relative_to(Path(root).resolve()):
        raise QmdError(f"{what} '{path}' would escape the project root {root}: Quarto reads and compiles with the "
                       f"folder of {PROJECT_FILE} as root, so move the file into that folder (or the project file up)")


@contextlib.contextmanager
def project_mirror(document_dir: Path):
    """A temporary copy of the document's project made of links: yields the mirror's copy of ``document_dir``.

    Every entry of the project root is linked into the mirror, except the folders leading to the document,
    which are real folders of links, so that the renderer's own files (Typst source, extracted images,
    Quarto's outputs) are written into the mirror and never into the project. Relative paths behave as in
    the project; a path above the project root leads outside the mirror, where the file is not.
    """
    document_dir = Path(document_dir).resolve()
    root = find_project(document_dir)
    with tempfile.TemporaryDirectory(prefix="quarto-project-") as tmp:
        mirror = Path(tmp) / root.name
        real, copy = root, mirror
        for part in (*document_dir.relative_to(root).parts, None):
            copy.mkdir()
            for entry in sorted(real.iterdir()):
                if entry.name != part:
                    (copy / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
            if part is not None:
                real, copy = real / part, copy / part
        yield copy
