"""Atomic Parquet output: a run's datasets appear all at once, or not at all.

Layout under the output directory::

    articles   -> .snapshots/current/articles      (relative symlinks, made once)
    duplicates -> .snapshots/current/duplicates
    rejected   -> .snapshots/current/rejected
    removed    -> .snapshots/current/removed
    runs/<run_id>.json                             run summaries, one per run
    .snapshots/current -> <run_id>                 swapped with one rename
    .snapshots/<run_id>/{articles,...}/part-*.parquet, _run.json
    .staging/<run_id>/                             work in progress, never read

A run writes everything under ``.staging``; :meth:`SnapshotWriter.commit`
renames the finished snapshot into ``.snapshots`` and then replaces the
``current`` symlink with ``os.replace``, which POSIX makes atomic. A reader
that opens ``articles`` sees the old snapshot or the new one, never a mix, and
a run killed at any point leaves the previous snapshot in place. A lock file
keeps two runs from writing the same output at once.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import DATASETS

SNAPSHOTS = ".snapshots"
STAGING = ".staging"
CURRENT = "current"


class OutputError(RuntimeError):
    """The output directory cannot be written as asked; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class StagingArea:
    """Where a run's tasks write; small and picklable, so it can travel to other processes."""

    snapshot: Path
    scratch: Path
    run_id: str

    def write(self, dataset: str, table: pa.Table, part: str) -> Path:
        """Write one part file of ``dataset`` into the staged snapshot.

        Part names carry the run id, so a reader that listed an older snapshot
        and reads after a swap fails loudly instead of mixing two runs' rows.
        """
        schema = DATASETS[dataset]
        if not table.schema.equals(schema):
            table = table.cast(schema)
        return write_parquet(table, self.snapshot / dataset / f"part-{self.run_id}-{part}.parquet")


class SnapshotWriter:
    """Stage one run's datasets and publish them in one atomic step."""

    def __init__(self, out: Path, run_id: str, keep_snapshots: int = 2) -> None:
        self.out = Path(out)
        self.run_id = run_id
        self.keep = keep_snapshots
        self.stage = self.out / STAGING / run_id
        self.snapshot = self.stage / "snapshot"
        self._lock_fh: Any = None

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> SnapshotWriter:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._check_layout()
            self._lock_fh = open(self.out / ".lock", "w")
        except OSError as exc:
            raise OutputError(f"cannot write to output directory {self.out}: {exc}") from exc
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise OutputError(f"another run is writing to {self.out}; wait for it or choose another "
                              "--output") from exc
        # Under the lock, anything left in .staging is from a run that died: drop it.
        shutil.rmtree(self.out / STAGING, ignore_errors=True)
        for name in DATASETS:
            (self.snapshot / name).mkdir(parents=True, exist_ok=True)
        self.area.scratch.mkdir(parents=True, exist_ok=True)
        return self

    def close(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
        try:
            (self.out / STAGING).rmdir()  # only when no other staged run is left
        except OSError:
            pass
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> SnapshotWriter:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    @property
    def area(self) -> StagingArea:
        return StagingArea(self.snapshot, self.stage / "scratch", self.run_id)

    def commit(self, summary: dict[str, Any]) -> Path:
        """Publish the staged snapshot as the current one; return its directory."""
        for name, schema in DATASETS.items():
            folder = self.snapshot / name
            if not any(folder.glob("*.parquet")):  # an empty dataset still has its columns
                self.area.write(name, schema.empty_table(), "empty")
            _fsync_dir(folder)
        _write_json(self.snapshot / "_run.json", summary)
        _fsync_dir(self.snapshot)

        snapshots = self.out / SNAPSHOTS
        snapshots.mkdir(exist_ok=True)
        previous = _readlink(snapshots / CURRENT)
        final = snapshots / self.run_id
        os.rename(self.snapshot, final)
        tmp_link = snapshots / f".{CURRENT}.{self.run_id}"
        os.symlink(self.run_id, tmp_link)
        os.replace(tmp_link, snapshots / CURRENT)  # the atomic switch
        _fsync_dir(snapshots)
        for name in DATASETS:
            link = self.out / name
            if not link.is_symlink():
                os.symlink(f"{SNAPSHOTS}/{CURRENT}/{name}", link)
        runs = self.out / "runs"
        runs.mkdir(exist_ok=True)
        _write_json(runs / f"{self.run_id}.json", summary)
        self._prune(snapshots, {self.run_id, previous})
        return final

    # ------------------------------------------------------------------ helpers
    def _check_layout(self) -> None:
        for name in DATASETS:
            path = self.out / name
            if path.exists() and not path.is_symlink():
                raise OutputError(
                    f"{path} exists and was not written by this tool (it is not a snapshot link); "
                    "choose another --output or move it away"
                )

    def _prune(self, snapshots: Path, protect: set[str | None]) -> None:
        """Keep the newest ``keep`` snapshots by commit time, always the current and the one it replaced.

        A reader still scanning the replaced snapshot keeps its files for one more run.
        """
        found = [p for p in snapshots.iterdir() if p.is_dir() and not p.is_symlink()]
        found.sort(key=lambda p: (p.name in protect, _commit_time(p)), reverse=True)
        for path in found[max(self.keep, len(protect - {None})):]:
            shutil.rmtree(path, ignore_errors=True)


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write a Parquet file under a temporary name, fsync it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _commit_time(snapshot: Path) -> int:
    try:
        return (snapshot / "_run.json").stat().st_mtime_ns
    except OSError:
        return 0


def _readlink(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
