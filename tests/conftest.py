"""Shared fixtures: the repository root, the sources folder, and whole-workflow builds in temporary copies."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = (REPO.parent / "shared" / "sources").resolve()
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def sources_dir() -> Path | None:
    """The published source texts, when they sit beside the repository (as in CI)."""
    return SOURCES if SOURCES.is_dir() else None


def copy_repository(target: Path) -> Path:
    """A copy of the repository's files (tracked and untracked-but-not-ignored), without results or caches."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            text=True)
    target.mkdir(parents=True, exist_ok=True)
    if listed.returncode == 0 and listed.stdout.strip():
        for name in listed.stdout.splitlines():
            source = REPO / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:
        shutil.copytree(REPO, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("results", ".snakemake", ".venv", ".git", "__pycache__"))
    return target


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` with this interpreter's Snakemake, using the source texts if present."""
    config = [f"sources_dir={sources_dir()}"] if sources_dir() else []
    command = [SNAKEMAKE, "--cores", "2", *args]
    if config:
        command += ["--config", *config]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return result


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory) -> Path:
    """A temporary copy of the repository in which the whole workflow has been built once."""
    workdir = copy_repository(tmp_path_factory.mktemp("build") / "repo")
    snakemake(workdir)
    return workdir
