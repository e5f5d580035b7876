"""Temporary names carry their writer's pid, so a run clears only what dead writers left."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cleaners.io.atomic import stale_temp, temp_path


def test_a_temporary_name_is_hidden_and_names_its_writer(tmp_path: Path) -> None:
    assert temp_path(tmp_path / "r1.html").name == f".r1.html.{os.getpid()}.tmp"


def test_only_temporaries_of_dead_writers_are_stale(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert stale_temp(tmp_path / f".r1.html.{dead.stdout.strip()}.tmp")
    assert not stale_temp(temp_path(tmp_path / "r1.html"))  # this process is alive: it may rename it any moment
    assert stale_temp(tmp_path / ".r1.json.tmp")  # an older version's name: its run is over
    assert not stale_temp(tmp_path / "r1.json") and not stale_temp(tmp_path / "notes.tmp")


def test_a_run_leaves_a_report_another_process_is_writing(tmp_path: Path, seeds_dir: Path) -> None:
    from cleaners.pipeline import run

    run([seeds_dir], tmp_path / "out")
    busy = temp_path(tmp_path / "out" / "runs" / "doc-x.html")  # flows.report, writing now
    busy.write_text("<html>")
    (tmp_path / "out" / "runs" / ".r0.json.tmp").write_text("{")  # left by a run that died
    run([seeds_dir], tmp_path / "out")
    assert busy.exists() and not (tmp_path / "out" / "runs" / ".r0.json.tmp").exists()
