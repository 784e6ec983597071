"""The conda environment for `--sdm conda` pins the same versions as requirements.lock."""

import re
import tomllib

import yaml

from conftest import REPO


def locked_versions() -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", line)
        if match:
            versions.setdefault(match[1].lower().replace("_", "-"), set()).add(match[2])
    return versions


def conda_pins() -> dict[str, str]:
    spec = yaml.safe_load((REPO / "envs" / "pipeline.yaml").read_text(encoding="utf-8"))
    pins = {}
    for item in spec["dependencies"]:
        entries = item["pip"] if isinstance(item, dict) else [item]
        for entry in entries:
            match = re.match(r"^([A-Za-z0-9_.-]+)=?=([^\s]+)$", entry)
            if match:
                pins[match[1].lower()] = match[2]
    return pins


def test_every_conda_pin_matches_the_lock():
    lock = locked_versions()
    pins = {k: v for k, v in conda_pins().items() if k != "python"}
    assert pins, "envs/pipeline.yaml pins nothing"
    mismatched = {name: (version, sorted(lock.get(name, []))) for name, version in pins.items()
                  if version not in lock.get(name, set())}
    assert not mismatched, f"envs/pipeline.yaml disagrees with requirements.lock: {mismatched}"


def test_every_direct_dependency_is_in_the_conda_environment():
    direct = [re.split(r"[=<>\s]", line)[0].lower() for line in (REPO / "requirements.in").read_text().splitlines()
              if line and not line.startswith("#")]
    test_only = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    runtime = [name for name in direct if name not in {*test_only, "snakemake"}]
    missing = sorted(set(runtime) - set(conda_pins()))
    assert not missing, f"runtime dependencies missing from envs/pipeline.yaml: {missing}"
