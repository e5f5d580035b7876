"""The failure contract: how a run ends, decided once here for every way a run is started.

A nightly deployment, a ``python -m flows.clean`` in a script and a shard
farm on Dask must tell their operator the same thing about the same run, so
the verdict is a function of the run's facts (the summary), not of the code
path that started it. The CLI turns it into an exit status, the Prefect flow
into a Completed or Failed state, both with the same one-line cause.

| status | exit | state | when |
| --- | --- | --- | --- |
| ``completed`` | 0 | Completed | committed; bad records are ``rejected`` rows, not failures |
| ``nothing_new`` | 0 | Completed | every input was taken by earlier runs (or the inputs hold no file): nothing committed |
| ``failed`` | 3 | Failed | committed what it could, but an INPUT does not exist, a shard task failed after its retries, no input could be read as a page, or ``strict`` and some input could not be used |
| ``not_committed`` | 2 | Failed | nothing was done: bad options, an output that cannot be written, Redis unreachable |

Exit status 1 is left to Python: an uncaught exception, which is a bug.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from .reasons import STRICT_KINDS, kind_of, strict_failures

if TYPE_CHECKING:
    from .summary import RunSummary

Status = Literal["completed", "nothing_new", "failed", "not_committed"]

#: Exit status of the command line for each status.
EXIT_CODES: dict[Status, int] = {"completed": 0, "nothing_new": 0, "failed": 3, "not_committed": 2}


class NothingCommitted(RuntimeError):
    """The run stopped before its commit; the output is as it was. The message says what to fix.

    Raised for what an operator can act on (the output, the options, the
    index); anything else that escapes a run is a bug and stays a traceback.
    """


class Outcome(BaseModel):
    """How a run ended, and why in one line when it did not end well."""

    model_config = ConfigDict(frozen=True)

    status: Status
    cause: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "nothing_new")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def also_failed(outcome: Outcome, cause: str) -> Outcome:
    """``outcome`` with one more cause of failure (after the commit: publishing the output, say)."""
    if outcome.status == "failed" and outcome.cause:
        cause = f"{outcome.cause}; {cause}"
    return Outcome(status="failed", cause=one_line(cause))


def not_committed(cause: str) -> Outcome:
    """A run stopped before it wrote anything (the output is as it was)."""
    return Outcome(status="not_committed", cause=one_line(cause))


def judge(summary: RunSummary, strict: bool = False) -> Outcome:
    """The outcome of a run from its summary; every cause that applies is named, most urgent first.

    Rejected records alone never fail a run (a dirty inbox is normal), but
    work the run was asked for and could not do does: inputs that are not
    there, shards given up after their retries (their files are retried by
    the next run), and a run in which no input at all could be read as a
    page. A run whose inputs were all taken before is not a failure: the
    incremental run is doing its job.
    """
    causes: list[str] = []
    if summary.missing_inputs:
        causes.append("input not found: " + ", ".join(summary.missing_inputs))
    if summary.failed_shards:
        failed = summary.failed_shards
        causes.append(f"{len(failed)} shard task(s) failed after their retries ({failed[0].error}); their "
                      f"{sum(f.files for f in failed)} files are shard_failed rows and the next run retries them")
    elif nothing_readable(summary):
        listed = ", ".join(f"{r} {n}" for r, n in summary.rejected_by_reason.items())
        causes.append(f"no input could be read as a page ({listed or 'no records'}); see rejected/")
    if strict and (bad := strict_failures(summary.rejected_by_reason)):
        listed = ", ".join(f"{r} {n}" for r, n in sorted(bad.items()))
        causes.append(f"strict: {sum(bad.values())} inputs could not be used ({listed}); see rejected/")
    if causes:
        return Outcome(status="failed", cause=one_line("; ".join(causes)))
    if not summary.committed:
        return Outcome(status="nothing_new", cause=None)
    return Outcome(status="completed")


def nothing_readable(summary: RunSummary) -> bool:
    """New input arrived, and none of it could be read as a page.

    Only this run's new records count (those earlier runs took are not read
    again), and only the ones that should have been read: files skipped by
    design (hidden files, identical copies, HTTP error pages) and missing
    INPUTs (their own cause) do not. So a bad file dropped into an inbox of
    files cleaned before fails that night's run, while an inbox with nothing
    new, or holding only a ``.DS_Store``, does not.
    """
    unusable = sum(n for reason, n in summary.rejected_by_reason.items()
                   if kind_of(reason) in STRICT_KINDS and reason != "not_found")
    return summary.counts.pages == 0 and unusable > 0


def one_line(text: str) -> str:
    """A cause as one line: operators grep logs and read the last line of stderr."""
    return " ".join(text.split())
