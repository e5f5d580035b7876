"""Prefect's task retries on the shard tasks: transient I/O retried, a lost shard costs only its files and
fails the flow run, and the flow run's log tells the story at INFO."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from cleaners.summary import RunSummary
from flows.clean import clean_flow
from tests import faulty
from tests.flows.helpers import flow_run_log, table
from tests.test_faults import inbox

pytestmark = pytest.mark.prefect


def test_prefect_retries_transient_faults_keeps_the_other_shards_and_fails_the_run(
        prefect_server: str, tmp_path: Path) -> None:
    faulty.reset()
    src = inbox(tmp_path / "in", ["alpha.flaky", "beta.flaky", "gamma.flaky", "delta.flaky"])
    faulty.fail(src / "beta.flaky", times=1, code=errno.ESTALE)  # a stale NFS handle, gone on retry
    faulty.fail(src / "gamma.flaky", times=99, code=errno.EIO)  # a disk that stays broken
    faulty.fail(src / "delta.flaky", times=1, code=errno.EACCES)  # not transient: a row, no retry
    state = clean_flow(inputs=[str(src)], output=str(tmp_path / "out"), config=CleanConfig(shard_bytes=1_000),
                       return_state=True)
    assert faulty.ATTEMPTS == {"alpha.flaky": 1, "beta.flaky": 2, "gamma.flaky": 3, "delta.flaky": 1}
    assert sorted(r["source"] for r in table(tmp_path / "out", "articles")) == ["alpha.flaky", "beta.flaky"]
    assert {r["source"]: r["reason"] for r in table(tmp_path / "out", "rejected")} == {
        "gamma.flaky": "shard_failed", "delta.flaky": "unreadable"}

    # the other shards are committed, but the run did not do all it was asked: Failed, with the cause
    assert state.is_failed()
    assert state.message.startswith("1 shard task(s) failed after their retries (OSError: [Errno 5] EIO")
    summary = state.result(raise_on_failure=False)
    assert isinstance(summary, RunSummary) and summary.committed
    assert [f.files for f in summary.failed_shards] == [1] and summary.outcome.exit_code == 3

    log = flow_run_log(summary.orchestration.flow_run_id, until=f"run {summary.run_id}: ", timeout=120)  # the last line
    messages = "\n".join(message for _, message in log)
    assert "cleaning " in messages and " into " in messages  # the start
    assert "shard 00000: 1 files, 1 pages, 1 articles" in messages  # each shard's result, at INFO
    assert "Retry 1/2 will start" in messages  # the retry that cured beta.flaky left a trace
    assert "shard 00003 failed after its retries" in messages  # shards in source order: gamma is last
    assert f"run {summary.run_id}: 4 files" in messages and "FAILED: 1 shard task(s) failed" in messages
    assert min(level for level, message in log if "shard 00000:" in message) == 20  # INFO
