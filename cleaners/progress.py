"""Progress of a run, counted where the work happens and shown wherever someone watches.

The library only counts: :func:`add` is called as input is read and pages
are cleaned, and hands the counts to whatever sinks are active in this
process (like logging handlers: none by default, so library users and Dask
workers pay one empty-list check). The command line shows a terminal line,
a Prefect flow run updates a progress artifact (``flows/progress.py``).

Progress is measured in input bytes, not files: two large files would
otherwise sit at 0% for most of a run and jump to 100% while cleaning goes
on. The run moves through phases (``read+clean``, ``dedup``, ``commit``,
``report``); the ETA is for the read+clean phase, which is nearly all of a
run's time. Shards running in other processes (Dask) are counted by the flow
when they finish, since their counts cannot reach this process earlier.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

#: The phases of a run, in order.
PHASES = ("read+clean", "dedup", "commit", "report", "done")


@dataclass(slots=True)
class Counts:
    files_total: int = 0
    bytes_total: int = 0
    files: int = 0
    bytes: int = 0
    records: int = 0
    articles: int = 0
    phase: str = PHASES[0]
    started: float = 0.0

    @property
    def seconds(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    @property
    def share(self) -> float:
        """Share of the input read and cleaned (0..1): by bytes, or by files when the files are empty."""
        if self.bytes_total:
            return min(1.0, self.bytes / self.bytes_total)
        return min(1.0, self.files / self.files_total) if self.files_total else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left in read+clean at the rate so far; None before there is a rate, 0 after the phase."""
        if self.phase != PHASES[0]:
            return 0.0
        share = self.share
        if share <= 0.0 or self.seconds < 1.0:
            return None
        return self.seconds * (1.0 - share) / share

    def line(self) -> str:
        s = self.seconds
        eta = self.eta_seconds
        left = "" if self.phase != PHASES[0] else ("  ETA --:--" if eta is None else f"  ETA {_clock(eta)}")
        return (f"{self.phase}  {100 * self.share:.0f}% of {_size(self.bytes_total)}  "
                f"files {self.files:,}/{self.files_total:,}  records {self.records:,}  articles {self.articles:,}"
                f"  {self.records / s:,.0f} records/s  {_clock(s)}{left}")


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class Tally:
    """Thread-safe counts; sinks subclass it and show them in :meth:`changed`."""

    def __init__(self) -> None:
        self.counts = Counts()
        self._lock = threading.Lock()

    def start(self, files_total: int, bytes_total: int = 0) -> None:
        with self._lock:
            self.counts = Counts(files_total=files_total, bytes_total=bytes_total, started=time.monotonic())
        self.changed(final=False)

    def add(self, files: int = 0, records: int = 0, articles: int = 0, nbytes: int = 0) -> None:
        with self._lock:
            self.counts.files += files
            self.counts.records += records
            self.counts.articles += articles
            self.counts.bytes += nbytes
        self.changed(final=False)

    def phase(self, name: str) -> None:
        """A new phase starts; its change is always shown (it is rare, and it is news)."""
        with self._lock:
            self.counts.phase = name
            if name != PHASES[0]:  # read+clean is over: whatever was not counted was read
                self.counts.bytes = max(self.counts.bytes, self.counts.bytes_total)
        self.changed(final=False, force=True)

    def finish(self) -> None:
        with self._lock:
            self.counts.phase = PHASES[-1]
        self.changed(final=True)

    def snapshot(self) -> Counts:
        with self._lock:
            return replace(self.counts)

    def changed(self, final: bool, force: bool = False) -> None:
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


def start(files_total: int, bytes_total: int = 0) -> None:
    for sink in _SINKS:
        sink.start(files_total, bytes_total)


def add(files: int = 0, records: int = 0, articles: int = 0, nbytes: int = 0) -> None:
    for sink in _SINKS:
        sink.add(files, records, articles, nbytes)


def phase(name: str) -> None:
    for sink in _SINKS:
        sink.phase(name)


def finish() -> None:
    for sink in _SINKS:
        sink.finish()


def active() -> bool:
    return bool(_SINKS)
