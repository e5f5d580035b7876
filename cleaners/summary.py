"""The run summary: one typed record of what a run did, read by the CLI, the report, Prefect and tests.

Written as ``DIR/runs/<run_id>.json`` (and into the run's snapshot), so its
field names are a public format: add fields with defaults, never rename.
Every part allows extra keys, so a summary written by a later version still
reads, and every field has a default where an earlier version lacked it, so
reports of old runs can be made again.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .io.atomic import temp_path
from .outcome import Outcome


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class Counts(_Part):
    """What went in and what came out, in records, pages, articles and lines."""

    input_files: int = 0
    #: bytes of the input files found (as stored: compressed files count compressed)
    input_bytes: int = 0
    #: records read (pages and rejected records), plus inputs rejected before reading
    records: int = 0
    pages: int = 0
    articles_found: int = 0
    articles_kept: int = 0
    duplicates: int = 0
    rejected: int = 0
    chrome_lines_removed: int = 0
    glued_promos_cut: int = 0
    repeats_collapsed: int = 0
    metadata_lines: int = 0


class Decoding(_Part):
    #: pages by the legacy encoding they were decoded from (UTF-8 is not counted)
    legacy_encodings: dict[str, int] = Field(default_factory=dict)
    #: pages by repair made while decoding (mojibake, control_chars, surrogates)
    repairs: dict[str, int] = Field(default_factory=dict)


class FailedShard(_Part):
    shard: str
    files: int
    error: str


class Timings(_Part):
    clean_shards_seconds: float = 0.0
    dedup_seconds: float = 0.0
    shards: int = 0


class Incremental(_Part):
    """How this run relates to the runs before it in the same output."""

    #: the run started from nothing (first run, or --full-rebuild)
    full_rebuild: bool = True
    #: the snapshot (run id) this run builds on
    builds_on: str | None = None
    earlier_runs: int = 0
    files_already_processed: int = 0
    records_already_processed: int = 0
    rejections_already_recorded: int = 0
    #: rejected rows of earlier runs this run replaced: their records were read further (a file that grew, a
    #: file read at last) or with other limits, and now end where this run put them
    rejections_superseded: int = 0
    index: str = "embedded"
    index_articles_added: int | None = None
    note: str | None = None


class DatasetRows(_Part):
    """Rows the output holds after the run, every run included (what a reader of the folder sees)."""

    articles: int = 0
    duplicates: int = 0
    rejected: int = 0
    removed: int = 0


class Orchestration(_Part):
    """Where the run's steps ran (set by the Prefect flow; absent for a plain library run)."""

    task_runner: str = "inline"
    flow_run_id: str | None = None
    #: ``host:pid`` of the process that ran the flow, and of each shard's process
    flow_process: str = ""
    shard_workers: dict[str, str] = Field(default_factory=dict)
    #: ``host:pid`` of the helper processes that cleaned pages of shards cleaned in the flow's process
    page_workers: list[str] = Field(default_factory=list)


class PublishedTable(_Part):
    """What one publish did to one table (:mod:`cleaners.store.delta`)."""

    dataset: str
    uri: str
    #: the table's version after this publish's data commit (or its current one, when unchanged)
    version: int
    #: runs whose partition the data commit added or replaced (a new run; an earlier one that lost rows)
    runs_written: list[str] = Field(default_factory=list)
    #: runs the table held that the snapshot no longer has (a full rebuild), removed by the commit
    runs_removed: list[str] = Field(default_factory=list)
    rows: int = 0
    #: files deleted by the vacuum (removed by a version, or of no version: see :mod:`cleaners.store.delta`)
    files_vacuumed: int = 0
    #: whether this publish made a data version (False: the table already held the snapshot)
    committed: bool = True


class Published(_Part):
    """Where the run's output was published as Delta tables, and how that went."""

    target: str
    tables: list[PublishedTable] = Field(default_factory=list)
    #: why the publish failed (the run's output is committed all the same); None when it did not
    error: str | None = None


class RunSummary(_Part):
    """Everything a run reports about itself; :func:`cleaners.pipeline.run` makes it."""

    run_id: str
    engine: str = "local"
    started_at: datetime
    #: when the run's rows became visible; None when it committed nothing (nothing new, or it failed)
    committed_at: datetime | None = None
    committed: bool = True
    wall_seconds: float = 0.0
    inputs: list[str] = Field(default_factory=list)
    #: the same, absolute: where tools find an input again from its ``source`` (readers.find_input)
    input_paths: list[str] = Field(default_factory=list)
    #: INPUT paths that did not exist (each also a ``not_found`` row, once)
    missing_inputs: list[str] = Field(default_factory=list)
    output: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    counts: Counts = Field(default_factory=Counts)
    #: kept articles of this run by segment (main, listing, related)
    segments: dict[str, int] = Field(default_factory=dict)
    rejected_by_reason: dict[str, int] = Field(default_factory=dict)
    removed_by_reason: dict[str, int] = Field(default_factory=dict)
    decoding: Decoding = Field(default_factory=Decoding)
    failed_shards: list[FailedShard] = Field(default_factory=list)
    dedup: dict[str, Any] = Field(default_factory=dict)
    timings: Timings = Field(default_factory=Timings)
    incremental: Incremental = Field(default_factory=Incremental)
    #: what the output holds after this run
    dataset: DatasetRows = Field(default_factory=DatasetRows)
    #: the run report's path, set once it was written
    report: str | None = None
    #: the Delta tables the output was published to (``publish_to``); None when not asked
    published: Published | None = None
    orchestration: Orchestration | None = None
    outcome: Outcome = Outcome(status="completed")
    #: the whole command's time, Prefect's start included (CLI only)
    command_seconds: float | None = None

    def headline(self) -> str:
        """The run in one line, for logs: what it kept and, when it failed, why."""
        c = self.counts
        if not self.committed and self.outcome.ok:
            line = self.nothing_new_line()
        else:
            line = (f"run {self.run_id}: {c.input_files} files, {c.pages} pages -> {c.articles_kept} articles "
                    f"kept, {c.duplicates} duplicates, {c.rejected} rejected in {self.wall_seconds:.1f} s")
        return line + (f"; FAILED: {self.outcome.cause}" if self.outcome.cause else "")

    def nothing_new_line(self) -> str:
        """What a run that committed nothing says: why, and what the dataset still holds."""
        inc, d = self.incremental, self.dataset
        seen = inc.files_already_processed
        if self.counts.input_files == 0 and not self.missing_inputs:
            why = "no input files found"
        else:
            why = f"{seen} file{'s' if seen != 1 else ''} already in the dataset"
            if inc.records_already_processed:
                why += f", {inc.records_already_processed} records already in it"
            if inc.rejections_already_recorded:
                why += f", {inc.rejections_already_recorded} rejections already recorded"
        return (f"{why}, nothing new; the dataset holds {d.articles} articles ({d.duplicates} duplicates, "
                f"{d.rejected} rejected)")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def write(self, path: Path) -> None:
        """Atomically: a reader of ``runs/`` never sees half a summary."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(path)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(self.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> RunSummary:
        return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (for ``--json`` and for writers that take a dict)."""
        data: dict[str, Any] = json.loads(self.to_json())
        return data
