"""One failure contract for every way a run starts: the CLI (with and without Prefect) and the flow agree.

A shard that fails after its retries and a missing input end the flow run
Failed and the command with exit status 3, the cause as the last line of
stderr (no traceback), the work that could be done committed.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.flows.helpers import base_env, table
from tests.test_faults import inbox

pytestmark = pytest.mark.prefect

#: The command line, in a process where the test's flaky reader breaks one file for good.
WITH_A_BROKEN_FILE = """
import errno, sys
from pathlib import Path
from tests import faulty
faulty.fail(Path(sys.argv[1]), times=99, code=errno.EIO)
from flows.clean import main
sys.exit(main(sys.argv[2:]))
"""
SHARD_CAUSE = ("error: 1 shard task(s) failed after their retries (OSError: [Errno 5] EIO reading gamma.flaky "
               "(injected by the test reader)); their 1 files are shard_failed rows and the next run retries them")


def cli(args: list[str], cwd: Path, env: dict[str, str], broken: Path | None = None) -> subprocess.CompletedProcess:
    command = ["-c", WITH_A_BROKEN_FILE, str(broken)] if broken else ["-m", "flows.clean"]
    return subprocess.run([sys.executable, *command, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("mode", ["prefect", "no-prefect"])
def test_a_shard_that_fails_after_its_retries_exits_3_with_the_cause_in_one_line(
        prefect_server: str, tmp_path: Path, mode: str) -> None:
    src = inbox(tmp_path / "in", ["alpha.flaky", "gamma.flaky"])
    env = base_env(tmp_path) | {"PYTHONPATH": str(ROOT), "PREFECT_API_URL": prefect_server}
    flags = ["--no-prefect"] if mode == "no-prefect" else []
    done = cli([str(src), "-o", "out", "--shard-bytes", "1000", "--no-progress", *flags], tmp_path, env,
               broken=src / "gamma.flaky")
    assert done.returncode == 3, done.stderr[-3000:]
    assert done.stderr.splitlines()[-1] == SHARD_CAUSE, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "articles kept               1" in done.stdout  # the other shard is committed and reported
    assert [r["source"] for r in table(tmp_path / "out", "articles")] == ["alpha.flaky"]
    assert [r["reason"] for r in table(tmp_path / "out", "rejected")] == ["shard_failed"]


def test_a_missing_input_is_cleaned_around_and_fails_the_run(prefect_server: str, tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    done = cli([str(ROOT / "seeds"), "nowhere", "-o", "out", "--no-progress"], tmp_path, env)
    assert done.returncode == 3, done.stderr[-3000:]
    assert done.stderr.splitlines()[-1] == "error: input not found: nowhere"
    assert len(table(tmp_path / "out", "articles")) == 11  # the inputs that exist were cleaned
    assert [(r["source"], r["reason"]) for r in table(tmp_path / "out", "rejected")] == [("nowhere", "not_found")]


def test_an_output_that_cannot_be_written_fails_the_flow_run_and_exits_2(prefect_server: str,
                                                                          tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "articles").write_text("a user's file, not a dataset")
    env = base_env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    done = cli([str(ROOT / "seeds"), "-o", "out", "--no-progress"], tmp_path, env)
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.splitlines()[-1].startswith("error: ")
    assert "was not written by this tool" in done.stderr and "Traceback" not in done.stderr


def test_a_flow_run_on_a_dask_scheduler_that_is_not_there_fails_at_once_in_one_line(
        prefect_server: str, tmp_path: Path) -> None:
    """A deployment's run does not go through the CLI's checks: the flow makes them itself, instead of
    failing after Dask's client gave up (30 s, a traceback as the state message)."""
    from flows.clean import clean_flow
    from tests.flows.helpers import free_port

    port = free_port()
    state = clean_flow(inputs=[str(ROOT / "seeds")], output=str(tmp_path / "out"),
                       task_runner=f"dask://127.0.0.1:{port}", return_state=True)
    assert state.is_failed() and "\n" not in state.message
    assert state.message.startswith(f"cannot reach the Dask scheduler at 127.0.0.1:{port}")
    assert state.result(raise_on_failure=False).exit_code == 2 and not (tmp_path / "out").exists()
