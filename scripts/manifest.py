"""Build manifest: sha256 of every curated input and every output, tool versions, the git commit and the
project's version (``version`` in pyproject.toml, the one place it is set; CITATION.cff repeats it, tested)."""


import hashlib
import json
import platform
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

TOOLS = ["snakemake", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "frictionless",
         "nbclient", "ipykernel", "pypandoc-binary", "typst"]


def sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tool_versions() -> dict[str, str]:
    """Versions of Python, the libraries the pipeline uses, Pandoc and the renderer in use."""
    import pypandoc

    versions = {"python": platform.python_version(), "pandoc": pypandoc.get_pandoc_version()}
    versions.update({name: metadata.version(name) for name in TOOLS})
    return versions


def project_version(repo: Path) -> str:
    """``[project] version`` of the repository's pyproject.toml, or 'unknown' when there is none."""
    try:
        with (Path(repo) / "pyproject.toml").open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def git_commit(repo: Path) -> str:
    """The checked-out commit (with '+dirty' when tracked files differ from it), or 'unknown' outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def build_manifest(inputs: list[str], outputs: list[str], repo: Path) -> dict:
    """The manifest as a dict with sorted keys: same inputs and outputs give the same manifest."""
    return {
        "git_commit": git_commit(repo),
        "inputs": {str(p): sha256(p) for p in sorted(inputs)},
        "outputs": {str(p): sha256(p) for p in sorted(outputs)},
        "tools": tool_versions(),
        "version": project_version(repo),
    }


def run_rule(smk) -> None:
    """Snakemake entry point."""
    from pipeline_io import rule_logger, write_atomically

    log = rule_logger(smk.log[0], "build_manifest")
    manifest = build_manifest(list(smk.input.curated), list(smk.input.outputs), Path.cwd())
    write_atomically(smk.output[0], json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    log.info("manifest of %d inputs and %d outputs at commit %s", len(manifest["inputs"]),
             len(manifest["outputs"]), manifest["git_commit"])


if "snakemake" in globals():
    run_rule(snakemake)  # noqa: F821 - injected by Snakemake's script directive
