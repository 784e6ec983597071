"""The build under hostile conditions: no network, a kill mid-job, and a second build started during the first.

* Offline: the whole build runs in a fresh network namespace (``unshare -n`` as root, ``unshare -rn`` with
  an unprivileged user namespace otherwise), where only the loopback interface exists. Where ``unshare``
  cannot create one, the test is skipped with the reason, unless ``REQUIRE_OFFLINE=1`` (then it fails).
* Interruption: SIGKILL to the whole process group while a figure job or the render is running. What
  Snakemake needs afterwards (measured, Snakemake 9.27): a job that had written some of its outputs (the
  render writes review.html before review.pdf) leaves them marked incomplete, and the next run refuses to
  start ("IncompleteFilesException") unless ``--rerun-incomplete`` (which ``make report`` therefore passes);
  and the killed run's lock stays behind, so the next run stops with "Directory cannot be locked" until
  ``snakemake --unlock`` (``make unlock``); Snakemake cannot tell a dead run's lock from a live one's. With
  those two, the next build reruns the killed jobs and its outputs are byte-identical to a clean build's:
  nothing half-written is trusted.
* Concurrency: a second build started while one runs (``make report``'s command) stops with Snakemake's
  "Directory cannot be locked" and leaves results/ alone; the first finishes with the clean build's outputs.
  (Without ``--rerun-incomplete`` the second build may instead stop with "IncompleteFilesException", naming
  an output a running job has just written: Snakemake checks for incomplete files before taking the lock.)
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import SNAKEMAKE, copy_repository, snakemake, sources_dir
from test_workflow import digests, planned_jobs

pytestmark = pytest.mark.build

LOCKED = "Directory cannot be locked"
INCOMPLETE = "IncompleteFilesException"
MAKE_REPORT_FLAGS = ["--rerun-incomplete"]  # what `make report` adds to `snakemake --cores N`


def build_command(*extra: str) -> list[str]:
    command = [SNAKEMAKE, "--cores", "2", *extra]
    if sources_dir():
        command += ["--config", f"sources_dir={sources_dir()}"]
    return command


def output_files(root: Path) -> set[str]:
    """Every non-hidden file under results/, except logs (whose timing lines differ between runs)."""
    results = root / "results"
    return {str(p.relative_to(root)) for p in results.rglob("*")
            if p.is_file() and not p.name.startswith(".") and "logs" not in p.relative_to(results).parts}


def assert_same_outputs_as_clean_build(workdir: Path, clean: Path) -> None:
    assert output_files(workdir) == output_files(clean)
    expected, actual = digests(clean), digests(workdir)
    assert len(expected) > 10
    assert sorted(k for k in expected if expected[k] != actual.get(k)) == []


# --- offline --------------------------------------------------------------------------------------------

# A fresh network namespace has one interface, loopback, and it is down. A machine without network still has
# loopback, and the build needs it: the render's Jupyter kernel talks to nbclient over 127.0.0.1 (with
# loopback down the render job fails, "Network is unreachable"). So: loopback up, then run the command.
LOOPBACK_UP_THEN_EXEC = """
import fcntl, os, socket, struct, sys
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    flags = struct.unpack("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sh", b"lo", 0)))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))
os.execv(sys.argv[1], sys.argv[1:])
"""

NETWORK_PROBE = """
import socket
print("interfaces", sorted(name for _, name in socket.if_nameindex()))
server = socket.create_server(("127.0.0.1", 0))
socket.create_connection(server.getsockname(), timeout=5).close()
print("loopback works")
for address in [("192.0.2.1", 80), ("pypi.org", 443)]:
    try:
        socket.create_connection(address, timeout=5).close()
        print("reached", address)
    except OSError as error:
        print("unreachable", address, error)
"""


def without_network(command: list[str]) -> tuple[list[str] | None, str]:
    """``command`` wrapped to run with no network but loopback, or None and why that cannot be had here."""
    prefix = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]  # -r: unprivileged user namespace
    wrapped = [*prefix, sys.executable, "-c", LOOPBACK_UP_THEN_EXEC, *command]
    try:
        result = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None, "the unshare command (util-linux) is not installed"
    if result.returncode != 0:
        return None, f"`{' '.join(prefix)}` cannot create a network namespace here: {result.stderr.strip()}"
    return wrapped, ""


def offline_or_skip(command: list[str]) -> list[str]:
    wrapped, reason = without_network(command)
    if wrapped is None:
        if os.environ.get("REQUIRE_OFFLINE") == "1":
            pytest.fail(f"REQUIRE_OFFLINE=1 but {reason}")
        pytest.skip(f"offline build not tested: {reason} (set REQUIRE_OFFLINE=1 to make this a failure)")
    return wrapped


def test_offline_wrapper_leaves_loopback_and_nothing_else():
    """The offline build's premise: only loopback, and nothing beyond it can be reached (not even DNS)."""
    result = subprocess.run(offline_or_skip([sys.executable, "-c", NETWORK_PROBE]), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "interfaces ['lo']" in result.stdout and "loopback works" in result.stdout
    assert "reached" not in result.stdout, result.stdout
    assert result.stdout.count("\nunreachable (") == 2


def test_full_build_without_network(built_repo, tmp_path):
    command = offline_or_skip(build_command())
    workdir = copy_repository(tmp_path / "offline")
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    assert_same_outputs_as_clean_build(workdir, built_repo)


# --- interruption ---------------------------------------------------------------------------------------

def start_build(workdir: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    """Snakemake in the background, in its own process group, its console output in a file."""
    log = workdir / "console.log"
    with log.open("w") as handle:
        process = subprocess.Popen(build_command(*extra), cwd=workdir, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return process, log


def wait_until(condition, process: subprocess.Popen, log: Path, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the build ended (exit {process.returncode}) before {what}:\n"
                                 f"{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            kill_process_group(process)
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


def kill_process_group(process: subprocess.Popen) -> None:
    """SIGKILL to Snakemake and every job it started; wait until none of them is left."""
    children = psutil.Process(process.pid).children(recursive=True)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # Jupyter kernels run in their own session (not hit by killpg) and exit when their parent dies.
    gone, alive = psutil.wait_procs(children, timeout=30)
    for child in alive:
        child.kill()  # psutil checks the process is still the one recorded (no pid reuse)


def figure_job_running(workdir: Path):
    """The efficacy figures job has started drawing (it opens its log once its imports are done)."""
    log = workdir / "results" / "logs" / "efficacy_figures.log"
    return log.exists


def figure_job_half_done(workdir: Path):
    """The efficacy figures job has written its first figure and not yet its last."""
    figures = workdir / "results" / "figures"
    return lambda: (figures / "evidence_map.svg").exists() and not (figures / "rct_forest.svg").exists()


def render_running(workdir: Path):
    """The review has been executed (review.md written) and the PDF is not written yet."""
    report = workdir / "results" / "report"
    return lambda: (report / "review.md").exists() and not (report / "review.pdf").exists()


@pytest.mark.parametrize("moment", ["figure", "render"])
def test_killed_build_is_rebuilt_and_nothing_half_written_is_trusted(built_repo, tmp_path, moment):
    workdir = copy_repository(tmp_path / f"killed-{moment}")
    process, log = start_build(workdir)
    condition = figure_job_half_done(workdir) if moment == "figure" else render_running(workdir)
    wait_until(condition, process, log, f"a {moment} job was running")
    kill_process_group(process)
    assert process.returncode == -signal.SIGKILL

    # What Snakemake demands next. It checks for incomplete outputs while building the job graph, before it
    # takes the lock: an output a killed job had already written is refused, not trusted (outputs are
    # written by rename, so none is ever half a file) ...
    plain = snakemake(workdir, check=False)
    assert plain.returncode != 0
    if moment == "figure":
        assert INCOMPLETE in plain.stderr and "results/figures/evidence_map.svg" in plain.stderr, plain.stderr[-3000:]
    else:  # the lock, or an output of the execute or HTML job the kill came just after
        assert LOCKED in plain.stderr or INCOMPLETE in plain.stderr, plain.stderr[-3000:]
    # ... and the killed run's lock stays behind, until `snakemake --unlock` (`make unlock`).
    locked = snakemake(workdir, *MAKE_REPORT_FLAGS, check=False)
    assert locked.returncode != 0 and LOCKED in locked.stderr, locked.stderr[-3000:]
    snakemake(workdir, "--unlock")

    # `make report`'s command completes, and the result is the clean build's, byte for byte.
    snakemake(workdir, *MAKE_REPORT_FLAGS)
    assert_same_outputs_as_clean_build(workdir, built_repo)
    assert planned_jobs(workdir) == []


def test_second_build_during_a_build_is_refused_and_corrupts_nothing(built_repo, tmp_path):
    workdir = copy_repository(tmp_path / "concurrent")
    process, log = start_build(workdir)
    try:
        wait_until(figure_job_running(workdir), process, log, "a figure job was running")
        # `make report`'s command: refused with Snakemake's lock message, every time.
        second = snakemake(workdir, *MAKE_REPORT_FLAGS, check=False)
        assert second.returncode != 0 and LOCKED in second.stderr, second.stderr[-3000:]
        # Plain `snakemake` is refused too, but checks for incomplete outputs before the lock: when it looks
        # just after a running job wrote its output and before the first build recorded it as complete, it
        # says "IncompleteFilesException" (naming that output) instead. Either way it changes nothing.
        plain = snakemake(workdir, check=False)
        assert plain.returncode != 0
        assert LOCKED in plain.stderr or INCOMPLETE in plain.stderr, plain.stderr[-3000:]
        assert process.poll() is None, "the first build should still be running"
        assert process.wait(timeout=900) == 0, log.read_text()[-4000:]
    finally:
        if process.poll() is None:
            kill_process_group(process)
    assert "Error" not in log.read_text()
    assert_same_outputs_as_clean_build(workdir, built_repo)
    assert not any((workdir / ".snakemake" / "locks").glob("*")), "the finished build left a lock"
