"""Atomic Parquet output over many runs: a run's rows appear all at once, or not at all.

Layout under the output directory::

    articles   -> .snapshots/current/articles      (relative symlinks, made once)
    duplicates -> .snapshots/current/duplicates
    rejected   -> .snapshots/current/rejected
    removed    -> .snapshots/current/removed
    manifest.json -> .snapshots/current/_manifest.json
    runs/<run_id>.json                             run summaries, one per committed run
    .snapshots/current -> <run_id>                 swapped with one rename
    .snapshots/<run_id>/<dataset>/run=<run_id>/part-<run_id>-*.parquet
    .snapshots/<run_id>/{_index,_ledger}/run=...   the dedup index and the input ledger
    .snapshots/<run_id>/_manifest.json, _run.json
    .staging/<run_id>/                             work in progress, never read

A snapshot holds every run since the last full rebuild: each dataset is
partitioned by ``run``, and the files of earlier runs are hard links to the
same bytes (no copy; a link per file). A run writes only its own partition
under ``.staging``; :meth:`SnapshotWriter.commit` links the previous
snapshot's files in beside it, writes the manifest, renames the snapshot into
``.snapshots`` and replaces the ``current`` symlink with ``os.replace``,
which POSIX makes atomic. A reader sees the state before a run or after it,
never a part of a run; a run killed at any point (kill -9 included) leaves
the previous snapshot in place, and the next run clears what it left in
``.staging``. The dedup index and the ledger of processed inputs live in the
same snapshot, so they can never disagree with the datasets. A lock file
keeps two runs from writing the same output at once.

The tool deletes and rewrites only what it made (:data:`OWN_NAMES` at the
top of the output, and inside them only its own entries): a staging folder
of a run (it holds :data:`STAGE_MARK`), a snapshot folder named by a run id
whose ``_run.json`` (or ``_manifest.json``) names that run, its temporary
``.current.*`` links and ``.*.json.tmp``/``.*.html.tmp`` files. Anything
else under ``.staging`` or ``.snapshots`` stays as it is; the lock file is
opened without truncating it and is never deleted; a file or link in the
place of one of its own names that it did not make (a dataset name that is
not its symlink, a ``.staging`` that is a file...) stops the run with an
:class:`OutputError` naming it, before anything is written.

Files of an older column layout (:data:`cleaners.io.schema.SCHEMA_VERSION`,
recorded in the manifest as ``schema_version``) are not linked but rewritten
into the new snapshot, cast to the current schema: a hive dataset whose
files disagree on a column's type does not read as one type (Polars refuses
it; pyarrow and DuckDB take the first file's type, so ``fetched`` would come
back as strings of two formats), so one run after an upgrade every file of
the output has the current schema. The previous snapshot keeps the old
bytes until it is pruned. This costs one rewrite of the output, once.
"""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..faults import process_name
from ..outcome import NothingCommitted
from ..store import files as store
from ..store.files import Where
from .atomic import stale_temp, temp_path
from .remote import is_url, local_path
from .schema import DATASETS, INTERNAL, SCHEMA_VERSION, SchemaMismatch, conform_table, schema_of

SNAPSHOTS = ".snapshots"
STAGING = ".staging"
CURRENT = "current"
MANIFEST = "_manifest.json"
LOCK = ".lock"
#: Made first in a run's staging folder: what marks it as the tool's, so a later run may delete it.
STAGE_MARK = ".newsclean-stage"
#: Everything the tool makes at the top of an output folder (the dataset links or tables, the state tables of
#: an output of Delta tables, ``manifest.json``, ``runs/``, its hidden folders and the lock); a run never
#: reads these as input.
OWN_NAMES = (*DATASETS, *INTERNAL, "manifest.json", "runs", SNAPSHOTS, STAGING, LOCK)
#: What :func:`cleaners.pipeline.new_run_id` makes; staging folders of versions before :data:`STAGE_MARK`
#: are recognised by it.
_RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")
#: Partition key of every dataset: one folder per run.
RUN_PARTITION = "run"
#: Version of the manifest layout, bumped when readers must change.
MANIFEST_FORMAT = 1
#: Rows per batch when an older file is rewritten to the current schema (memory stays flat in its size).
_MIGRATE_BATCH = 65_536

class OutputError(NothingCommitted):
    """The output directory cannot be written as asked; the message says how to fix it."""


def own_entries(out: str | Path) -> list[Path]:
    """The paths under ``out`` that the tool writes (whether they exist yet or not)."""
    return [Path(out) / name for name in OWN_NAMES]


def not_input(out: str | Path, inputs: Iterable[str | Path]) -> list[Path]:
    """What a run into ``out`` must not read of ``inputs``: its own output.

    ``out`` itself when it lies inside an INPUT folder (the whole folder is
    the output's); when an INPUT is ``out`` or lies inside it, only the
    tool's own entries there (:func:`own_entries`), so the user's files
    beside them are read. Compared by real path.
    """
    home = os.path.realpath(out)
    for raw in inputs:
        if is_url(str(raw)):  # an object store holds no local output
            continue
        real = os.path.realpath(local_path(str(raw)))
        if real == home or real.startswith(home.rstrip(os.sep) + os.sep):
            return own_entries(out)
    return [Path(out)]


@dataclass(frozen=True, slots=True)
class StagingArea:
    """Where a run's tasks write; small and picklable, so it can travel to other processes.

    ``snapshot`` and ``scratch`` are local folders, or URLs for an output in object storage
    (:mod:`cleaners.store.output`); every write and listing goes through :mod:`cleaners.store.files`.
    """

    snapshot: Where
    scratch: Where
    run_id: str
    #: the committed state this run builds on (None: first run or full rebuild): a snapshot folder, or a
    #: :class:`cleaners.store.state.TableState`; read-only while the run is open, so tasks anywhere can read
    #: its ledger and index
    previous: Any = None
    #: where the dedup index is kept: None (files in the snapshot) or a ``redis://`` URL
    index: str | None = None
    #: names the output across runs (the Redis index is kept under it)
    dataset_id: str = ""
    #: ``host:pid`` of the process that opened the run: a task elsewhere may lack its filesystem
    origin: str = ""

    def write(self, dataset: str, table: pa.Table, part: str) -> Where:
        """Write one part file of ``dataset`` (or an internal one) into this run's partition.

        Part names carry the run id too, so a file never changes meaning
        across runs and a listing of any snapshot stays readable later. The
        table is cast to the dataset's schema, metadata included (column
        descriptions, schema version): a table that merely has the right
        types (read back from a scratch file, columns appended) would
        otherwise be written without them.
        """
        schema = schema_of(dataset)
        if not table.schema.equals(schema, check_metadata=True):
            table = table.cast(schema)
        return store.write_parquet(table, store.join(self.partition(dataset), f"part-{self.run_id}-{part}.parquet"))

    def write_scratch(self, table: pa.Table, name: str) -> Where:
        """A scratch file of this run (articles before dedup): never committed, deleted with the stage."""
        return store.write_parquet(table, store.join(self.scratch, name))

    def partition(self, dataset: str) -> Where:
        return store.join(self.snapshot, dataset, f"{RUN_PARTITION}={self.run_id}")

    def staged(self, dataset: str) -> list[Where]:
        """The part files this run has written so far into ``dataset``."""
        return store.list_parquet(self.partition(dataset))

    def clear_parts(self, prefix: str) -> int:
        """Delete the parts (and scratch files) written under ``prefix``; how many went.

        A shard that is retried, or given up, must not leave the rows of an
        earlier attempt behind: they would be committed twice or half.
        """
        found = [p for name in [*DATASETS, *INTERNAL]
                 for p in store.list_parquet(self.partition(name), f"part-{self.run_id}-{prefix}-")]
        found += [p for p in store.list_parquet(self.scratch) if f"-{prefix}-" in store.name_of(p)]
        store.remove(found)
        return len(found)


class SnapshotWriter:
    """Stage one run's rows and publish them, with every earlier run's, in one atomic step."""

    def __init__(self, out: Path, run_id: str, keep_snapshots: int = 2, full_rebuild: bool = False,
                 index: str | None = None) -> None:
        self.out = Path(out)
        self.index = index
        self.run_id = run_id
        self.keep = keep_snapshots
        self.full_rebuild = full_rebuild
        self.stage = self.out / STAGING / run_id
        self.snapshot = self.stage / "snapshot"
        #: the current snapshot when this run started and its manifest (None: nothing to build on)
        self.previous: Path | None = None
        self.previous_manifest: dict[str, Any] | None = None
        #: the current snapshot was written by a version without a manifest: it is replaced, not extended
        self.legacy = False
        #: files of the previous snapshot (paths relative to it) that :meth:`commit` rewrites to the current
        #: schema instead of linking; known once the writer is open, so the run summary can say so
        self.migrated_files: list[str] = []
        #: the schema version they were written with (None: nothing to migrate)
        self.migrated_from: int | None = None
        self._new_id = uuid.uuid4().hex
        self._lock_fd: int | None = None
        #: what this writer made, and so what close() may delete
        self._made_stage = False
        self._own_staging = False

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> SnapshotWriter:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._check_layout()
            self._lock_fd = _open_lock(self.out / LOCK)
        except OSError as exc:
            raise OutputError(f"cannot write to output directory {self.out}: {exc}") from exc
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self.close()
            raise OutputError(f"another run is writing to {self.out}; wait for it or choose another "
                              "--output") from exc
        try:
            self._clear_leftovers()  # under the lock: what runs that died left (the tool's own entries only)
            self._finish_previous_commit()
            self._load_previous()
            self._make_stage()
            for name in DATASETS:
                (self.snapshot / name).mkdir(parents=True, exist_ok=True)
            (self.stage / "scratch").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.close()
            raise OutputError(f"cannot write to output directory {self.out}: {exc}") from exc
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._made_stage:
            shutil.rmtree(self.stage, ignore_errors=True)
            self._made_stage = False
        if self._own_staging:
            try:
                (self.out / STAGING).rmdir()  # only when no other staged run (nor anything else) is left
            except OSError:
                pass
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> SnapshotWriter:  # noqa: PYI034 (never subclassed; typing.Self is 3.11+)
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    @property
    def area(self) -> StagingArea:
        return StagingArea(self.snapshot, self.stage / "scratch", self.run_id, self.previous, self.index,
                           self.dataset_id, process_name())

    @property
    def dataset_id(self) -> str:
        """Names this output across runs (the Redis index is kept under it); new on a first run."""
        if self.previous_manifest and self.previous_manifest.get("dataset_id"):
            return str(self.previous_manifest["dataset_id"])
        return self._new_id

    def commit(self, summary: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
               meta: dict[str, Any] | None = None) -> Path:
        """Publish the staged run, with every earlier run's files, as the current snapshot.

        ``summary`` is the run's summary, or a function that makes it from the
        manifest about to be published (its commit time and row counts), so
        that the copy kept in the snapshot is the final one. ``meta`` goes into
        the manifest as it is (the dedup index's parameters, which the next run
        checks before it builds on this one).
        """
        files = self._run_files()
        runs: list[dict[str, Any]] = []
        if self.previous is not None and self.previous_manifest is not None:
            files = self._link_previous() + files
            files = self._drop_superseded(files)  # rejections this run replaced (readers/ledger: issue 17)
            runs = list(self.previous_manifest.get("runs", []))
        for name, schema in DATASETS.items():  # an empty dataset still has its columns
            if not any(f["dataset"] == name for f in files):
                path = self.area.write(name, schema.empty_table(), "empty")
                files.append(self._entry(Path(path)))
        runs.append({"run_id": self.run_id, "committed_at": datetime.now(timezone.utc).isoformat(),
                     "full_rebuild": self.full_rebuild or self.previous is None,
                     "rows": _rows_by_dataset(f for f in files if f["run_id"] == self.run_id)})
        if self.migrated_files:
            runs[-1]["migrated"] = {"from_schema_version": self.migrated_from, "to_schema_version": SCHEMA_VERSION,
                                    "files": len(self.migrated_files)}
        manifest = {
            "format": MANIFEST_FORMAT, "schema_version": SCHEMA_VERSION, "dataset_id": self.dataset_id,
            "current_run": self.run_id,
            "partitioning": {"flavor": "hive", "key": RUN_PARTITION},
            **(meta or {}),
            "runs": runs,
            "datasets": {name: {"rows": sum(f["rows"] for f in files if f["dataset"] == name),
                                "files": [{k: f[k] for k in ("path", "rows", "run_id")}
                                          for f in files if f["dataset"] == name]}
                         for name in [*DATASETS, *INTERNAL]},
        }
        for folder in {self.snapshot / f["dataset"] / f"{RUN_PARTITION}={f['run_id']}" for f in files}:
            _fsync_dir(folder)
        _write_json(self.snapshot / MANIFEST, manifest)
        _write_json(self.snapshot / "_run.json", summary(manifest) if callable(summary) else summary)
        _fsync_dir(self.snapshot)

        snapshots = self.out / SNAPSHOTS
        previous = _readlink(snapshots / CURRENT)
        final = snapshots / self.run_id
        if os.path.lexists(final):  # a run of this id that died between its rename and its switch, or not ours
            if final.name == previous or not _is_own_snapshot(final):
                raise OutputError(f"{final} exists and was not left by an earlier attempt of run {self.run_id}; "
                                  "move it away or choose another --output")
            shutil.rmtree(final)
        try:
            snapshots.mkdir(exist_ok=True)
            os.rename(self.snapshot, final)
            tmp_link = snapshots / f".{CURRENT}.{self.run_id}"
            os.symlink(self.run_id, tmp_link)
        except OSError as exc:
            raise OutputError(f"cannot publish the run in {snapshots}: {exc}") from exc
        os.replace(tmp_link, snapshots / CURRENT)  # the atomic switch: from here on the run is committed
        try:
            _fsync_dir(snapshots)
            self._finish_previous_commit()
        except (OSError, OutputError) as exc:  # the next run completes these steps
            logging.getLogger(__name__).warning("run %s is committed, but %s; the next run into %s "
                                                "completes it", self.run_id, exc, self.out)
        self._prune(snapshots, {self.run_id, previous})
        return final

    # ------------------------------------------------------------------ helpers
    def _check_layout(self) -> None:
        check_snapshot_layout(self.out)

    def _clear_leftovers(self) -> None:
        """Delete what runs that died left behind, and only that (called under the lock).

        Staging folders of runs (marked by :data:`STAGE_MARK`, or named by a
        run id and holding nothing but ``snapshot``/``scratch``, as before the
        mark), temporary ``.current.*`` links in ``.snapshots`` and temporary
        summaries and reports in ``runs/``. Other entries stay.
        """
        staging = self.out / STAGING
        if staging.is_dir():
            for entry in staging.iterdir():
                if _is_own_stage(entry):
                    shutil.rmtree(entry)
                    self._own_staging = True  # a run's folder was in it: it is the tool's
        snapshots = self.out / SNAPSHOTS
        if snapshots.is_dir():
            for entry in snapshots.glob(f".{CURRENT}.*"):
                if entry.is_symlink():
                    entry.unlink()
        clear_stale_temps(self.out)

    def _make_stage(self) -> None:
        """This run's staging folder, new and marked as the tool's; an entry of that name not left by the tool
        stops the run."""
        staging = self.out / STAGING
        if not os.path.lexists(staging):
            staging.mkdir()
            self._own_staging = True
        try:
            self.stage.mkdir()
        except FileExistsError as exc:
            raise OutputError(f"{self.stage} exists and was not made by this tool; move it away or choose "
                              "another --output") from exc
        self._made_stage = True
        (self.stage / STAGE_MARK).touch()

    def _finish_previous_commit(self) -> None:
        """The steps after the atomic switch, idempotent: links at the top, the run's summary in runs/.

        A run killed right after its switch is committed; the next run (or the
        same one, straight after) completes these.
        """
        current = self.out / SNAPSHOTS / CURRENT
        if not current.is_symlink():
            return
        for name, target in [*((n, n) for n in DATASETS), ("manifest.json", MANIFEST)]:
            link = self.out / name
            if not link.is_symlink():
                os.symlink(f"{SNAPSHOTS}/{CURRENT}/{target}", link)
        summary = current / "_run.json"
        runs = self.out / "runs"
        runs.mkdir(exist_ok=True)
        try:
            run_id = json.loads(summary.read_text(encoding="utf-8"))["run_id"]
        except (OSError, ValueError, KeyError):
            return
        if not (runs / f"{run_id}.json").exists():
            _write_json(runs / f"{run_id}.json", json.loads(summary.read_text(encoding="utf-8")))

    def _load_previous(self) -> None:
        current = self.out / SNAPSHOTS / CURRENT
        if not current.is_symlink():
            return
        snapshot = Path(os.path.realpath(current))
        try:
            manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.legacy = True  # written before runs were kept: rebuilt from this run's inputs
            return
        except ValueError as exc:
            raise OutputError(f"{snapshot / MANIFEST} is not valid JSON ({exc}); the output is damaged: "
                              "restore it or rebuild into a new --output") from exc
        if manifest.get("format") != MANIFEST_FORMAT:
            raise OutputError(f"{self.out} was written with manifest format {manifest.get('format')}, this "
                              f"version reads {MANIFEST_FORMAT}; use --full-rebuild or another --output")
        version = manifest_schema_version(manifest)
        if version > SCHEMA_VERSION and not self.full_rebuild:  # casting newer files down could lose columns
            raise OutputError(f"{self.out} was written with schema version {version}, newer than this version's "
                              f"{SCHEMA_VERSION}; upgrade newsclean, or use --full-rebuild or another --output")
        self.previous_manifest = manifest
        if not self.full_rebuild:
            self.previous = snapshot
            if version < SCHEMA_VERSION:
                self.migrated_from = version
                self.migrated_files = [f["path"] for name, info in manifest["datasets"].items()
                                       if name in DATASETS or name in INTERNAL for f in info["files"]]

    @property
    def migration_note(self) -> str | None:
        """One sentence for the run summary on what :meth:`commit` rewrites; None when nothing."""
        if not self.migrated_files:
            return None
        return (f"{len(self.migrated_files)} files of earlier runs were written with schema version "
                f"{self.migrated_from}; this run rewrote them to version {SCHEMA_VERSION} (fetched as a UTC "
                "timestamp, column descriptions in the Parquet metadata); no row was dropped")

    def _run_files(self) -> list[dict[str, Any]]:
        """Entries of the files this run wrote (its own partitions only)."""
        found: list[dict[str, Any]] = []
        for name in [*DATASETS, *INTERNAL]:
            folder = Path(self.area.partition(name))
            if folder.is_dir():
                found.extend(self._entry(p) for p in sorted(folder.glob("*.parquet")))
        return found

    def _entry(self, path: Path) -> dict[str, Any]:
        rel = path.relative_to(self.snapshot)
        return {"dataset": rel.parts[0], "path": rel.as_posix(), "run_id": self.run_id,
                "rows": pq.read_metadata(path).num_rows}

    def _link_previous(self) -> list[dict[str, Any]]:
        """Hard-link every file of the previous snapshot into the staged one: same bytes, no copy.

        Files of an older schema version (:attr:`migrated_files`) are
        rewritten instead, cast to the current schema, with the same path and
        the same rows (checked: a file that would come out with other rows, or
        that cannot be cast, stops the commit with :class:`OutputError`).
        """
        assert self.previous is not None and self.previous_manifest is not None
        migrate = set(self.migrated_files)
        entries = []
        for name, info in self.previous_manifest["datasets"].items():
            for f in info["files"]:
                target = self.snapshot / f["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                if f["path"] in migrate:
                    rows = migrate_file(self.previous / f["path"], target, schema_of(name))
                    if rows != f["rows"]:
                        raise OutputError(f"rewriting {self.previous / f['path']} to the current schema gave "
                                          f"{rows} rows, the manifest lists {f['rows']}; nothing was committed")
                else:
                    os.link(self.previous / f["path"], target)
                entries.append({"dataset": name, **f})
        return entries

    def _drop_superseded(self, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Earlier runs' ``rejected`` files of the staged snapshot, without the rows this run superseded.

        A row that said where a file stood when it was read (cut short, a
        half-written last line, no record yet, unreadable) or that a limit
        option decided is replaced when a later run reads that record after
        all: this run's ledger lists those rows' keys as ``supersedes``
        entries (:mod:`cleaners.io.ledger`). Each earlier part file holding
        one is written anew under its own name, without it (streamed in
        batches, through a temporary name): the staged entry was a hard link,
        so the previous snapshot keeps its bytes until it is pruned. Earlier
        rows are otherwise never rewritten.
        """
        import pyarrow.compute as pc

        from ..model import (
            Rejection,  # local: the ledger imports the dataset module, which imports this one
        )
        from .ledger import item_key

        keys: set[bytes] = set()
        sources: set[str] = set()
        for f in files:
            if f["dataset"] == "_ledger" and f["run_id"] == self.run_id:
                table = pq.read_table(self.snapshot / f["path"], columns=["key", "source"],
                                      filters=[("kind", "==", "supersedes")])
                keys.update(table.column("key").to_pylist())
                sources.update(table.column("source").to_pylist())
        if not keys:
            return files
        schema = schema_of("rejected")
        wanted = pa.array(sorted(sources), pa.string())
        for f in files:
            if f["dataset"] != "rejected" or f["run_id"] == self.run_id:
                continue
            path = self.snapshot / f["path"]
            if not pc.any(pc.is_in(pq.read_table(path, columns=["source"]).column("source"), value_set=wanted)).as_py():
                continue
            tmp = path.with_name(f".{path.name}.tmp")
            rows = 0
            with _writing(path, tmp), pq.ParquetFile(path) as old, \
                    pq.ParquetWriter(tmp, schema, compression="zstd") as out:
                for batch in old.iter_batches(batch_size=_MIGRATE_BATCH):
                    keep = [item_key(Rejection(s, r, why, d)) not in keys if s in sources else True
                            for s, r, why, d in zip(*(batch.column(c).to_pylist()
                                                      for c in ("source", "record", "reason", "detail")))]
                    kept = pa.Table.from_batches([batch]).filter(pa.array(keep, pa.bool_()))
                    out.write_table(kept.cast(schema) if not kept.schema.equals(schema, check_metadata=True) else kept)
                    rows += kept.num_rows
            if rows == f["rows"]:
                tmp.unlink()
                continue
            with _writing(path, tmp):
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, path)  # a new file under the name: the hard link to the old bytes is gone
            f["rows"] = rows
        return files

    def _prune(self, snapshots: Path, protect: set[str | None]) -> None:
        """Keep the newest ``keep`` snapshots by commit time, always the current and the one it replaced.

        A reader still scanning the replaced snapshot keeps its files for one
        more run. Files shared with newer snapshots survive: only links go.
        """
        found = [p for p in snapshots.iterdir() if _is_own_snapshot(p)]  # never a folder the tool did not make
        found.sort(key=lambda p: (p.name in protect, _commit_time(p)), reverse=True)
        for path in found[max(self.keep, len(protect - {None})):]:
            shutil.rmtree(path, ignore_errors=True)


def clear_stale_temps(out: Path) -> None:
    """Temporary summaries and reports in ``out/runs`` that a dead process left (a report being written
    now by another process stays: only stale ones go)."""
    runs = out / "runs"
    if runs.is_dir():
        for entry in runs.glob(".*.tmp"):
            if (".json" in entry.name or ".html" in entry.name) and entry.is_file() and not entry.is_symlink() \
                    and stale_temp(entry):
                entry.unlink()


def _rows_by_dataset(files: Any) -> dict[str, int]:
    rows: dict[str, int] = {}
    for f in files:
        rows[f["dataset"]] = rows.get(f["dataset"], 0) + f["rows"]
    return rows


def manifest_schema_version(manifest: dict[str, Any]) -> int:
    """The column layout a manifest's files have; manifests before version 2 do not say: 1."""
    return int(manifest.get("schema_version", 1))


def migrate_file(source: Path, target: Path, schema: pa.Schema) -> int:
    """Rewrite the Parquet file ``source`` as ``target`` with ``schema`` (batch by batch); its row count.

    Through a temporary name, fsynced, like :func:`write_parquet`. A file
    whose columns do not fit the schema raises :class:`OutputError`.
    """
    tmp = target.with_name(f".{target.name}.tmp")
    rows = 0
    with _writing(target, tmp):
        try:
            with pq.ParquetFile(source) as old, pq.ParquetWriter(tmp, schema, compression="zstd") as out:
                for batch in old.iter_batches(batch_size=_MIGRATE_BATCH):
                    out.write_table(conform_table(pa.Table.from_batches([batch]), schema))
                    rows += batch.num_rows
        except (SchemaMismatch, pa.ArrowInvalid) as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot bring {source} to the current schema: {exc}; use --full-rebuild or "
                              "another --output") from exc
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    return rows


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write a Parquet file under a temporary name, fsync it, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    with _writing(path, tmp):
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = temp_path(path)
    with _writing(path, tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


@contextmanager
def _writing(path: Path, tmp: Path) -> Iterator[None]:
    """A failed write (disk full, permissions, a read-only mount) leaves no half file and says which file.

    pyarrow raises its I/O errors as ``OSError`` too, often without an errno,
    so the message is kept as it is.
    """
    try:
        yield
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def check_snapshot_layout(out: Path) -> None:
    """Refuse, before anything is written, an output whose own names hold what this tool did not make.

    Only the names the tool writes are looked at (:data:`OWN_NAMES`);
    other files in the output folder are none of its business.
    """
    links = {**{name: f"{SNAPSHOTS}/{CURRENT}/{name}" for name in DATASETS},
             "manifest.json": f"{SNAPSHOTS}/{CURRENT}/{MANIFEST}"}
    for name, target in links.items():
        path = out / name
        if path.is_symlink():
            if os.readlink(path) != target:
                _foreign(path, f"a symbolic link to {os.readlink(path)}, not this tool's link to {target}")
        elif os.path.lexists(path):
            _foreign(path, "it is not a snapshot link")
    for name in ("runs", SNAPSHOTS, STAGING):
        path = out / name
        if os.path.lexists(path) and not path.is_dir():
            _foreign(path, "the tool keeps a folder under this name, and this is not one")
    lock = out / LOCK
    if os.path.lexists(lock) and not stat.S_ISREG(os.lstat(lock).st_mode):
        _foreign(lock, "the tool's lock is a plain file, and this is not one")
    current = out / SNAPSHOTS / CURRENT
    if current.is_symlink():
        target = os.readlink(current)
        if "/" in target or target in ("", ".", "..") or (
                os.path.lexists(current.parent / target) and not _is_own_snapshot(current.parent / target)):
            _foreign(current, f"a symbolic link to {target}, which is not a snapshot of this tool")
    elif os.path.lexists(current):
        _foreign(current, "the tool's current snapshot is a symbolic link, and this is not one")


def _foreign(path: Path, why: str) -> None:
    raise OutputError(f"{path} was not written by this tool ({why}); move it away or choose another --output")


def _open_lock(path: Path) -> int:
    """The lock file's descriptor: created when missing, never truncated, never through a symbolic link."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            _foreign(path, "a symbolic link; the tool's lock is a plain file")
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # it changed since the layout was checked
        os.close(fd)
        _foreign(path, "the tool's lock is a plain file, and this is not one")
    return fd


def _is_own_stage(path: Path) -> bool:
    """A run's staging folder: marked, or (before the mark) named by a run id with only the tool's folders."""
    if path.is_symlink() or not path.is_dir():
        return False
    if (path / STAGE_MARK).is_file():
        return True
    return bool(_RUN_ID.fullmatch(path.name)) and {p.name for p in path.iterdir()} <= {"snapshot", "scratch"}


def _is_own_snapshot(path: Path) -> bool:
    """A folder of ``.snapshots`` the tool made: named by the run whose ``_run.json`` (or manifest) it holds."""
    if path.is_symlink() or not path.is_dir():
        return False
    for name, key in (("_run.json", "run_id"), (MANIFEST, "current_run")):
        try:
            data = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get(key) == path.name:
            return True
    return False


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
