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

    def changed(self, final: bool) -> None:
        now = time.monotonic()
        if not final and now - self._last < self.interval:
            return
        self._last = now
        line = self.snapshot().line()
        if self.tty:
            self.stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
        elif final or self._drawn or now - self.counts.started >= self.interval:
            self.stream.write(line + "\n")
        self._drawn = True
        self.stream.flush()


class PrefectProgress(Tally):
    """A Prefect progress artifact (percent of input files done) that the flow run updates as it goes."""

    def __init__(self, interval: float = 2.0) -> None:
        super().__init__()
        self.interval = interval
        self._last = 0.0
        self._artifact: UUID | None = None

    def start(self, files_total: int) -> None:
        from prefect.artifacts import create_progress_artifact

        super().start(files_total)
        self._artifact = create_progress_artifact(
            0.0, key=PROGRESS_KEY, description=f"cleaning {files_total} input files")

    def changed(self, final: bool) -> None:
        now = time.monotonic()
        if self._artifact is None or (not final and now - self._last < self.interval):
            return
        self._last = now
        from prefect.artifacts import update_progress_artifact

        counts = self.snapshot()
        update_progress_artifact(self._artifact, 100.0 if final else round(100 * counts.share, 1),
                                 description=counts.line())
