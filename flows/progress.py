"""Where a run's progress is shown: a terminal line for ``python -m flows.clean``, a Prefect progress artifact.

Both are throttled (redrawn at most every ``interval`` seconds), since
:func:`cleaners.progress.add` is called for every page.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO
from uuid import UUID

from cleaners.progress import Tally

#: Key of the progress artifact every run of the flow updates (stable, so the UI groups them).
PROGRESS_KEY = "newsclean-progress"


class TerminalProgress(Tally):
    """One line on stderr: redrawn in place on a terminal, printed every 30 s into a log file."""

    def __init__(self, stream: TextIO = sys.stderr, interval: float | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = interval if interval is not None else 0.25 if self.tty else 30.0
        self._last = 0.0
        self._drawn = False

    def changed(self, final: bool, force: bool = False) -> None:
        now = time.monotonic()
        if not (final or force) and now - self._last < self.interval:
            return
        self._last = now
        line = self.snapshot().line()
        if self.tty:
            self.stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
        elif final or force or self._drawn or now - self.counts.started >= self.interval:
            self.stream.write(line + "\n")
        self._drawn = True
        self.stream.flush()


class PrefectProgress(Tally):
    """A Prefect progress artifact that the flow run updates as it goes.

    Its value is the percent of input bytes read and cleaned (dedup, commit
    and report take a small share of a run's time, and are named in the
    description with the ETA, rather than given a share of the bar).
    """

    def __init__(self, interval: float = 2.0) -> None:
        super().__init__()
        self.interval = interval
        self._last = 0.0
        self._artifact: UUID | None = None

    def start(self, files_total: int, bytes_total: int = 0) -> None:
        from prefect.artifacts import create_progress_artifact

        created = create_progress_artifact(0.0, key=PROGRESS_KEY, description=f"cleaning {files_total} input files")
        assert isinstance(created, UUID)  # called from sync code: the id, not a coroutine
        self._artifact = created
        super().start(files_total, bytes_total)

    def changed(self, final: bool, force: bool = False) -> None:
        now = time.monotonic()
        if self._artifact is None or (not (final or force) and now - self._last < self.interval):
            return
        self._last = now
        from prefect.artifacts import update_progress_artifact

        counts = self.snapshot()
        update_progress_artifact(self._artifact, 100.0 if final else round(100 * counts.share, 1),
                                 description=counts.line())
