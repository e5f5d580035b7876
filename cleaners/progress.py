"""Progress of a run, counted where the work happens and shown wherever someone watches.

The library only counts: :func:`add` is called as files are finished and
pages cleaned, and hands the counts to whatever sinks are active in this
process (like logging handlers: none by default, so library users and Dask
workers pay one empty-list check). The command line shows a terminal line,
a Prefect flow run updates a progress artifact (``flows/progress.py``).
Shards running in other processes (Dask) are counted by the flow when they
finish, since their counts cannot reach this process earlier.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(slots=True)
class Counts:
    files_total: int = 0
    files: int = 0
    records: int = 0
    articles: int = 0
    started: float = 0.0

    @property
    def seconds(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    @property
    def share(self) -> float:
        """Share of the input files done (0..1)."""
        return min(1.0, self.files / self.files_total) if self.files_total else 0.0

    def line(self) -> str:
        s = self.seconds
        return (f"read {self.files:,}/{self.files_total:,} files ({100 * self.share:.0f}%)  cleaned {self.records:,} records  "
                f"articles {self.articles:,}  {self.records / s:,.0f} records/s  {self.articles / s:,.0f} articles/s"
                f"  {int(s) // 60:02d}:{int(s) % 60:02d}")


class Tally:
    """Thread-safe counts; sinks subclass it and show them in :meth:`changed`."""

    def __init__(self) -> None:
        self.counts = Counts()
        self._lock = threading.Lock()

    def start(self, files_total: int) -> None:
        with self._lock:
            self.counts = Counts(files_total=files_total, started=time.monotonic())
        self.changed(final=False)

    def add(self, files: int = 0, records: int = 0, articles: int = 0) -> None:
        with self._lock:
            self.counts.files += files
            self.counts.records += records
            self.counts.articles += articles
        self.changed(final=False)

    def finish(self) -> None:
        self.changed(final=True)

    def snapshot(self) -> Counts:
        with self._lock:
            c = self.counts
            return Counts(c.files_total, c.files, c.records, c.articles, c.started)

    def changed(self, final: bool) -> None:
        """Called after every change (from the thread that made it): show the counts, cheaply."""


_SINKS: list[Tally] = []


@contextmanager
def reporting_to(*sinks: Tally) -> Iterator[None]:
    """Send this process's progress to ``sinks`` for the duration of the block."""
    _SINKS.extend(sinks)
    try:
        yield
    finally:
        for sink in sinks:
            _SINKS.remove(sink)


def start(files_total: int) -> None:
    for sink in _SINKS:
        sink.start(files_total)


def add(files: int = 0, records: int = 0, articles: int = 0) -> None:
    for sink in _SINKS:
        sink.add(files, records, articles)


def finish() -> None:
    for sink in _SINKS:
        sink.finish()


def active() -> bool:
    return bool(_SINKS)
