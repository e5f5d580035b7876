"""Progress is counted where the work happens, in input bytes and phases, and reaches whatever sink listens."""
from __future__ import annotations

import io
import time
from pathlib import Path

from cleaners import progress
from cleaners.pipeline import run
from cleaners.progress import PHASES, Counts
from flows.progress import TerminalProgress


def test_a_run_reports_bytes_records_articles_and_every_phase_to_the_terminal_line(
        tmp_path: Path, seeds_dir: Path) -> None:
    stream = io.StringIO()
    with progress.reporting_to(TerminalProgress(stream, interval=0.0)):
        summary = run([seeds_dir], tmp_path / "out")
    lines = stream.getvalue().splitlines()
    assert len(lines) > 5  # one per change at interval 0: it moved during the run, not only at the end
    phases = [line.split("  ")[0] for line in lines]
    assert [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]] == list(PHASES)
    final = lines[-1]
    total = sum(p.stat().st_size for p in seeds_dir.glob("*.txt"))
    assert f"100% of {total / 1000:.1f} kB" in final and "files 5/5" in final
    assert f"records {summary.counts.records}" in final
    assert f"articles {summary.counts.articles_found}" in final and "records/s" in final
    # before dedup the share moved with the bytes read, file by file (not 0% then 100%)
    shares = {line.split("  ")[1] for line in lines if line.startswith("read+clean")}
    assert len(shares) >= 3, shares


def test_without_a_sink_nothing_is_counted_or_printed(tmp_path: Path, seeds_dir: Path, capsys) -> None:  # noqa: ANN001
    assert not progress.active()
    run([seeds_dir], tmp_path / "out")
    assert capsys.readouterr().err == ""


def test_the_share_is_of_bytes_and_the_eta_follows_the_rate_so_far() -> None:
    counts = Counts(files_total=2, bytes_total=1000, files=0, bytes=250, started=time.monotonic() - 10)
    assert counts.share == 0.25
    assert 29 <= counts.eta_seconds <= 31  # 10 s for a quarter: 30 s for the rest
    assert "ETA 00:3" in counts.line() and counts.line().startswith("read+clean  25% of 1.0 kB")
    assert Counts(files_total=3, files=1, started=time.monotonic() - 5).share == 1 / 3  # empty files: by count
    assert Counts(bytes_total=10, started=time.monotonic()).eta_seconds is None  # no rate yet
    assert Counts(bytes_total=10, bytes=5, phase="dedup", started=time.monotonic() - 5).eta_seconds == 0


def test_a_log_file_gets_a_line_every_interval_not_every_page_but_every_phase() -> None:
    stream = io.StringIO()
    sink = TerminalProgress(stream, interval=3600.0)
    sink.start(10, 10_000)
    for _ in range(1000):
        sink.add(records=1)
    sink.add(files=10, nbytes=10_000)
    sink.phase("dedup")
    sink.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["dedup", "done"]
    assert "files 10/10" in lines[-1] and "records 1,000" in lines[-1]


def test_progress_moves_through_one_large_file_not_only_at_its_end(tmp_path: Path) -> None:
    """Two big files used to sit at 0% for most of a run: the share now follows the bytes read in a file."""
    import gzip
    import json

    from cleaners.config import CleanConfig
    from tests.badinput import story

    records = "".join(json.dumps({"id": str(i), "text": story(f"story {i}")}) + "\n" for i in range(600))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.jsonl.gz").write_bytes(gzip.compress(records.encode()))
    stream = io.StringIO()
    with progress.reporting_to(TerminalProgress(stream, interval=0.0)):
        run([tmp_path / "in"], tmp_path / "out", CleanConfig(chunk_pages=100))
    shares = [int(line.split("  ")[1].split("%")[0]) for line in stream.getvalue().splitlines()
              if line.startswith("read+clean")]
    inside = sorted({s for s in shares if 0 < s < 100})
    assert len(inside) >= 3, inside  # several steps inside the one file
    assert shares == sorted(shares)  # and never backwards
