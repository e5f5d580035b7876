"""Progress is counted where the work happens and reaches whatever sink is listening."""
from __future__ import annotations

import io
from pathlib import Path

from cleaners import progress
from cleaners.pipeline import run
from flows.progress import TerminalProgress


def test_a_run_reports_files_records_and_articles_to_the_terminal_line(tmp_path: Path, seeds_dir: Path) -> None:
    stream = io.StringIO()
    with progress.reporting_to(TerminalProgress(stream, interval=0.0)):
        summary = run([seeds_dir], tmp_path / "out")
    lines = stream.getvalue().splitlines()
    assert len(lines) > 5  # one per change at interval 0: it moved during the run, not only at the end
    final = lines[-1]
    assert "read 5/5 files (100%)" in final
    assert f"cleaned {summary['counts']['records']} records" in final
    assert f"articles {summary['counts']['articles_found']}" in final and "records/s" in final


def test_without_a_sink_nothing_is_counted_or_printed(tmp_path: Path, seeds_dir: Path, capsys) -> None:  # noqa: ANN001
    assert not progress.active()
    run([seeds_dir], tmp_path / "out")
    assert capsys.readouterr().err == ""


def test_a_log_file_gets_a_line_every_interval_not_every_page() -> None:
    stream = io.StringIO()
    sink = TerminalProgress(stream, interval=3600.0)
    sink.start(10)
    for _ in range(1000):
        sink.add(records=1)
    sink.add(files=10)
    sink.finish()
    assert stream.getvalue().count("\n") == 1 and "read 10/10 files" in stream.getvalue()
