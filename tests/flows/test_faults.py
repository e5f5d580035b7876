"""Prefect's task retries on the shard tasks: transient I/O retried, a lost shard costs only its files."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from flows.clean import clean_flow
from tests import faulty
from tests.flows.helpers import table
from tests.test_faults import inbox

pytestmark = pytest.mark.prefect


def test_prefect_retries_transient_faults_and_keeps_the_other_shards(prefect_server: str, tmp_path: Path) -> None:
    faulty.reset()
    src = inbox(tmp_path / "in", ["alpha.flaky", "beta.flaky", "gamma.flaky", "delta.flaky"])
    faulty.fail(src / "beta.flaky", times=1, code=errno.ESTALE)  # a stale NFS handle, gone on retry
    faulty.fail(src / "gamma.flaky", times=99, code=errno.EIO)  # a disk that stays broken
    faulty.fail(src / "delta.flaky", times=1, code=errno.EACCES)  # not transient: a row, no retry
    summary = clean_flow(inputs=[str(src)], output=str(tmp_path / "out"), config=CleanConfig(shard_bytes=1_000))
    assert faulty.ATTEMPTS == {"alpha.flaky": 1, "beta.flaky": 2, "gamma.flaky": 3, "delta.flaky": 1}
    assert sorted(r["source"] for r in table(tmp_path / "out", "articles")) == ["alpha.flaky", "beta.flaky"]
    assert {r["source"]: r["reason"] for r in table(tmp_path / "out", "rejected")} == {
        "gamma.flaky": "shard_failed", "delta.flaky": "unreadable"}
    assert [f["files"] for f in summary["failed_shards"]] == [1]
