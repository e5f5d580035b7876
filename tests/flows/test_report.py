"""``python -m flows.report`` on a dataset it may only read: one line saying where to write instead, no traceback."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from cleaners.pipeline import run
from tests.conftest import ROOT, SEEDS


@contextmanager
def read_only(out: Path, where: Path) -> Iterator[Path]:
    """``out`` seen through a read-only bind mount at ``where`` (as root), or with its folders made read-only."""
    where.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: a read-only mount is what refuses it
        if shutil.which("mount") is None or subprocess.run(["mount", "--bind", str(out), str(where)]).returncode:
            pytest.skip("root without mount(8): no way to make a read-only folder here")
        try:
            if subprocess.run(["mount", "-o", "remount,bind,ro", str(where)]).returncode:
                pytest.skip("this machine refuses a read-only bind mount")
            yield where
        finally:
            subprocess.run(["umount", str(where)], check=False)
    else:
        folders = [out, out / "runs"]
        for folder in folders:
            folder.chmod(0o555)
        try:
            yield out
        finally:
            for folder in folders:
                folder.chmod(0o755)


def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.report", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_a_read_only_output_gets_a_one_line_error_naming_the_way_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([SEEDS], out)
    article = ds.dataset(out / "articles", partitioning="hive").to_table().column("article_id")[0].as_py()
    with read_only(out, tmp_path / "ro") as ro:
        before = sorted(p.name for p in (ro / "runs").iterdir())
        for args in ([str(ro)], [str(ro), "--doc", article]):
            done = report(*args)
            assert done.returncode == 2, done.stderr
            assert done.stdout == "" and "Traceback" not in done.stderr
            [line] = done.stderr.splitlines()
            assert line.startswith(f"error: the report could not be written to {ro}/runs/")
            assert "-o FILE" in line
        # the way out it names: nothing is written into the dataset's folder
        done = report(str(ro), "-o", str(tmp_path / "report.html"))
        assert done.returncode == 0, done.stderr
        assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8")
        done = report(str(ro), "--doc", article, "-o", str(tmp_path / "page.html"))
        assert done.returncode == 0 and (tmp_path / "page.html").is_file(), done.stderr
        assert sorted(p.name for p in (ro / "runs").iterdir()) == before


def test_a_file_that_cannot_be_written_says_so_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([SEEDS], out)
    done = report(str(out), "-o", str(tmp_path / "missing" / "report.html"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"error: the report could not be written to {tmp_path}/missing/report.html "
                                   "(No such file or directory); choose another FILE")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "report.html").mkdir()  # a folder where the file should go
    done = report(str(out), "-o", str(tmp_path / "taken" / "report.html"))
    assert done.returncode == 2 and "choose another FILE" in done.stderr
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["report.html"]
