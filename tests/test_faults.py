"""Faults during a run: transient I/O retried, one failed shard costs only its files, output errors are clear.

The output faults are real: a full filesystem (a 2 MB tmpfs where mounting
is allowed, else the kernel's file-size limit RLIMIT_FSIZE, which fails
writes the same way) and a directory the run may not write (as another user
when the tests run as root, since root ignores permission bits).
"""
from __future__ import annotations

import errno
import os
import pwd
import random
import resource
import shutil
import signal
import string
import subprocess
import sys
import tempfile
from pathlib import Path

from cleaners.config import CleanConfig
from cleaners.pipeline import run
from tests import faulty
from tests.badinput import story
from tests.flows.helpers import base_env, table

#: small shards, so each input file is its own shard
ONE_FILE_PER_SHARD = CleanConfig(shard_bytes=1_000)


def inbox(root: Path, names: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).write_text(story(name.split(".")[0].replace("_", " ")), encoding="utf-8")
    return root


def test_a_transient_read_error_is_retried_and_nothing_is_written_twice(tmp_path: Path) -> None:
    faulty.reset()
    src = inbox(tmp_path / "in", ["alpha.flaky", "beta.flaky"])
    faulty.fail(src / "beta.flaky", times=1, code=errno.ETIMEDOUT)
    summary = run([src], tmp_path / "out", ONE_FILE_PER_SHARD)
    assert faulty.ATTEMPTS["beta.flaky"] == 2
    assert summary.failed_shards == [] and summary.counts.rejected == 0
    sources = [r["source"] for r in table(tmp_path / "out", "articles")]
    assert sorted(sources) == ["alpha.flaky", "beta.flaky"]


def test_a_shard_that_keeps_failing_costs_only_its_files_and_is_retried_next_run(tmp_path: Path) -> None:
    faulty.reset()
    src = inbox(tmp_path / "in", ["alpha.flaky", "beta.flaky", "gamma.flaky"])
    faulty.fail(src / "beta.flaky", times=99, code=errno.EIO)
    out = tmp_path / "out"
    summary = run([src], out, ONE_FILE_PER_SHARD)
    assert faulty.ATTEMPTS["beta.flaky"] == 3  # the first try and two retries
    assert [f.files for f in summary.failed_shards] == [1] and "EIO" in summary.failed_shards[0].error
    assert sorted(r["source"] for r in table(out, "articles")) == ["alpha.flaky", "gamma.flaky"]
    [row] = table(out, "rejected")
    assert (row["source"], row["reason"]) == ("beta.flaky", "shard_failed") and "retries it" in row["detail"]

    faulty.fail(src / "beta.flaky", times=0)  # the mount is back
    again = run([src], out, ONE_FILE_PER_SHARD)
    assert again.incremental.files_already_processed == 2
    assert sorted(r["source"] for r in table(out, "articles")) == ["alpha.flaky", "beta.flaky", "gamma.flaky"]
    assert table(out, "rejected") == [] and again.incremental.rejections_superseded == 1  # the retry replaced it


def test_a_permanent_read_error_is_a_row_not_a_retry(tmp_path: Path) -> None:
    faulty.reset()
    src = inbox(tmp_path / "in", ["alpha.flaky"])
    faulty.fail(src / "alpha.flaky", times=1, code=errno.EACCES)
    summary = run([src], tmp_path / "out", ONE_FILE_PER_SHARD)
    assert faulty.ATTEMPTS["alpha.flaky"] == 1
    assert summary.rejected_by_reason == {"unreadable": 1} and summary.failed_shards == []


# ---------------------------------------------------------------------- the output
def cli(args: list[str], cwd: Path, **popen: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.clean", "--no-prefect", *args], cwd=cwd,
                          env=base_env(cwd), capture_output=True, text=True, timeout=300, **popen)


def small_filesystem(path: Path) -> bool:
    """Mount a 2 MB tmpfs at ``path`` when this machine lets us; False when it does not."""
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_full_disk_gives_a_clear_error_and_leaves_the_previous_dataset(tmp_path: Path) -> None:
    out = tmp_path / "disk"
    mounted = small_filesystem(out)
    try:
        first = inbox(tmp_path / "first", ["harbour.txt"])
        assert cli([str(first), "-o", str(out)], tmp_path).returncode == 0
        before = {name: table(out, name) for name in ("articles", "rejected", "removed")}
        big = tmp_path / "big"
        big.mkdir()
        rng = random.Random(7)
        for i in range(300):  # 300 pages of words that do not compress: ~4 MB of Parquet, twice the disk
            words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(2000)]
            paragraphs = [" ".join(words[j:j + 40]) + "." for j in range(0, 2000, 40)]
            (big / f"page_{i}.txt").write_text("\n\n".join(paragraphs))
        if mounted:
            done = cli([str(big), "-o", str(out)], tmp_path)
            assert "No space left on device" in done.stderr
        else:  # the kernel refuses writes past 1 MB per file, as a full disk refuses them
            def limit() -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
            done = cli([str(big), "-o", str(out), "--chunk-pages", "1000"], tmp_path, preexec_fn=limit)
            assert "File too large" in done.stderr
        assert done.returncode == 2, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        assert "was committed" in done.stderr and "is unchanged" in done.stderr
        assert {name: table(out, name) for name in before} == before
        assert not (out / ".staging").exists() or not any((out / ".staging").iterdir())
    finally:
        if mounted:
            subprocess.run(["umount", str(out)], check=False)


def test_an_output_the_run_may_not_write_gives_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root ignores permission bits: the second run goes as an unprivileged user
        base = Path(tempfile.mkdtemp(prefix="newsclean-perm-"))  # pytest's own folders are private to root
        try:
            base.chmod(0o755)
            _unwritable_output(base, as_user=pwd.getpwnam("nobody"))
        finally:
            shutil.rmtree(base, ignore_errors=True)
    else:
        _unwritable_output(tmp_path, as_user=None)


def _unwritable_output(base: Path, as_user: pwd.struct_passwd | None) -> None:
    out = base / "out"
    assert cli([str(inbox(base / "in", ["harbour.txt"])), "-o", str(out)], base).returncode == 0
    before = table(out, "articles")
    more = inbox(base / "more", ["ferry.txt"])
    if as_user is not None:
        home = base / "home"
        home.mkdir(mode=0o777)
        home.chmod(0o777)
        env = base_env(base) | {"HOME": str(home), "PREFECT_HOME": str(home / "prefect")}
        done = subprocess.run([sys.executable, "-m", "flows.clean", "--no-prefect", str(more), "-o", str(out)],
                              cwd=base, env=env, capture_output=True, text=True, timeout=300,
                              user=as_user.pw_uid, group=as_user.pw_gid)
    else:
        out.chmod(0o555)
        try:
            done = cli([str(more), "-o", str(out)], base)
        finally:
            out.chmod(0o755)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Permission denied" in done.stderr and "Traceback" not in done.stderr
    assert table(out, "articles") == before


def test_a_worker_that_cannot_see_the_output_or_the_inputs_fails_its_shard_saying_so(tmp_path: Path) -> None:
    """A Dask worker on a machine without the shared filesystem: the shard fails at once, naming what the
    worker lacks, and writes nothing into a folder of its own (the run then ends Failed with that cause)."""
    import pytest

    from cleaners.faults import WorkerSetupError, is_transient
    from cleaners.io.readers import InputFile
    from cleaners.io.writer import StagingArea
    from cleaners.pipeline import clean_shard

    stage = tmp_path / "out" / ".staging" / "r"
    area = StagingArea(snapshot=stage / "snapshot", scratch=stage / "scratch", run_id="r")
    files = [InputFile(tmp_path / "in" / "page.txt", "page.txt", 100)]
    with pytest.raises(WorkerSetupError, match=r"cannot see this run's output folder .*/out: Dask workers need") as seen:
        clean_shard(files, "00000", area, ONE_FILE_PER_SHARD)
    assert not (tmp_path / "out").exists() and not is_transient(seen.value)
    area.scratch.mkdir(parents=True)
    with pytest.raises(WorkerSetupError, match=r"cannot see the input files \(none of the 1 of its shard"):
        clean_shard(files, "00000", area, ONE_FILE_PER_SHARD)
    assert list(stage.rglob("*.parquet")) == []
