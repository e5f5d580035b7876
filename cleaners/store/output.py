"""An output kept as Delta Lake tables, at a URL (``s3://``, ``gs://``, Azure) or in a local folder.

The local snapshot protocol (:mod:`cleaners.io.writer`) needs symbolic
links, hard links, ``rename`` and ``flock``, which object stores do not have.
Here every dataset (``articles``, ``duplicates``, ``rejected``, ``removed``)
and the run state (``_ledger``, ``_index``) is a Delta table under the output
root, partitioned by ``run`` as the local datasets are, written with delta-rs
(no JVM). :class:`TableWriter` offers the run what
:class:`~cleaners.io.writer.SnapshotWriter` offers it, so the pipeline, the
ledger and the index do not know which one they write to.

A run stages its part files under ``ROOT/.staging/<run_id>/`` (tasks on any
machine write there through fsspec), then :meth:`TableWriter.commit` commits
each table once, the ledger last: one Delta version per table that changed,
carrying the run id. The ledger's commit carries the manifest (the runs, the
rows and the version of every table) and is the switch: a run is committed
when its ledger commit is (:mod:`cleaners.store.state`). A run killed
between its tables' commits left some tables one version ahead; the next
run restores each of them to the version the committed manifest names, so
every table reads as it was before the dead run or as a committed run left
it. Each table's commit is atomic by itself (Delta's log), so no table is
ever torn.

Plain Parquet readers (``ROOT/articles/run=*/*.parquet``) read every data
file, with no log: after each commit every table is vacuumed in full (files
no longer in the current version, and files of killed writes), so they read
exactly the current rows. During a commit they may see a table's new files
before its log entry, and tables committed before others. Delta readers
(deltalake, Polars, DuckDB over the Arrow dataset, Spark) see each table's
versions, and :class:`~cleaners.store.state.TableState` pins all tables at
one run.

One run per output at a time (:class:`Lease`): ``flock`` on a folder, a
renewed lease object in an object store. Only the run holding it clears
what dead runs left (their staging folders, tables they committed ahead of
the manifest), so a live run's work is never taken for a dead one's.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..faults import process_name
from ..io.remote import RemoteInputError, filesystem, is_url, local_path, url_problem
from ..io.schema import DATASETS, INTERNAL, SCHEMA_VERSION, conform_table, schema_of
from ..io.writer import (
    MANIFEST_FORMAT,
    RUN_PARTITION,
    SNAPSHOTS,
    STAGE_MARK,
    STAGING,
    OutputError,
    StagingArea,
    clear_stale_temps,
)
from ..outcome import one_line
from . import files
from .delta import SCHEMES
from .state import (
    DATASET_ID_KEY,
    MANIFEST_KEY,
    RUN,
    RUN_KEY,
    SUMMARY_KEY,
    SWITCH,
    TableState,
    committed_state,
    committed_summary,
    table_uri,
)

log = logging.getLogger(__name__)

#: Every table, in commit order: the ledger last (its commit is the run's).
TABLES = (*DATASETS, "_index", SWITCH)
#: Rows per batch streamed into a table.
_BATCH_ROWS = 50_000
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: An object store's lease: renewed this often, and taken for a dead run's when not renewed for this long.
RENEW_SECONDS = 30
LEASE_SECONDS = 120
#: The manifest says this layout (a local output's manifest has no ``layout``: snapshots).
LAYOUT = "delta"


def output_root(output: str | Path) -> str:
    """The root every table and file of a table output sits under: the URL, or the absolute local path
    (of a ``file://`` URL or of a folder that holds tables already)."""
    raw = str(output)
    if is_url(raw):  # file:// is no URL here: a local folder
        return raw.rstrip("/")
    return str(Path(local_path(raw)).absolute())


def is_table_output(output: str | Path) -> bool:
    """Whether a run into ``output`` keeps Delta tables (layout ``auto``): a URL of an object store, or a
    local folder that holds them already (``file://`` URLs are local folders)."""
    raw = str(output)
    if is_url(raw):
        return True
    folder = Path(local_path(raw))
    if is_snapshot_output(folder):
        return False  # snapshots, or a move into tables before its switch: readers read the snapshots still
    # any table: a first run killed before its ledger's commit made the others already
    return any((folder / name / "_delta_log").is_dir() for name in TABLES)


def choose_layout(output: str | Path, layout: str) -> bool:
    """True when a run into ``output`` with ``layout`` (auto, snapshots, delta) keeps Delta tables; an
    impossible pair raises :class:`OutputError` before anything is written.

    ``auto`` and ``delta`` keep Delta tables: an output of the snapshot layout (written before tables were
    the default) is moved into tables where it is by the run (:func:`cleaners.store.migrate.migrate_in_place`).
    ``snapshots`` keeps that layout, for a local folder that holds no tables.
    """
    if layout not in ("auto", "snapshots", "delta"):
        raise OutputError(f"layout must be auto, snapshots or delta, not {layout!r}")
    tables = is_table_output(output)
    if layout == "snapshots" and not is_url(str(output)):
        from .migrate import move_interrupted

        if move_interrupted(local_path(str(output))):
            raise OutputError(f"output {output}: its move into Delta tables was interrupted; run without "
                              "--layout snapshots to finish it")
    if layout == "snapshots" and tables:
        raise OutputError(f"output {output}: the snapshot layout needs a local folder without Delta tables "
                          f"({'a URL' if is_url(str(output)) else 'this one holds them'}); use --layout delta")
    return layout != "snapshots"


def is_snapshot_output(output: str | Path) -> bool:
    """A local folder the snapshot layout (:mod:`cleaners.io.writer`) has written to, not yet moved into
    tables (a table output's ledger makes it one of tables, whatever else is beside it)."""
    raw = str(output)
    folder = Path(local_path(raw)) if not is_url(raw) else None
    return folder is not None and os.path.lexists(folder / SNAPSHOTS) and \
        not (folder / SWITCH / "_delta_log").is_dir()


def check_output_url(output: str) -> None:
    """Refuse at once an output URL no run could write: credentials in it, a store delta-rs cannot write,
    a missing protocol library or deltalake."""
    if not is_url(output):  # a folder (file:// URLs included)
        output = Path(local_path(output)).absolute().as_uri()
    if (problem := url_problem(output)) is not None:
        raise OutputError(problem)
    scheme = output.split("://", 1)[0].lower()
    if scheme not in (*SCHEMES, "file"):
        raise OutputError(f"output {output}: Delta tables can be kept in a folder (file://) or at "
                          f"{', '.join(s + '://' for s in sorted(SCHEMES))}, not {scheme}://")
    try:
        import deltalake  # noqa: F401 (an optional install)
    except ImportError as exc:
        raise OutputError("an output at a URL is kept as Delta tables, which needs the deltalake package: "
                          "pip install 'newsclean[delta]'") from exc
    try:
        filesystem(output)
    except RemoteInputError as exc:
        raise OutputError(str(exc)) from exc


class TableWriter:
    """Stage one run's rows and commit them into the output's Delta tables (see the module's docstring)."""

    def __init__(self, output: str | Path, run_id: str, full_rebuild: bool = False, index: str | None = None,
                 keep_removed_hours: int = 0) -> None:
        self.root = output_root(output)
        self.run_id = run_id
        self.full_rebuild = full_rebuild
        self.index = index
        self.keep_removed_hours = keep_removed_hours
        self.stage = files.join(self.root, STAGING, run_id)
        #: the committed state when this run started (also on a full rebuild) and what this run builds on
        self.state: TableState | None = None
        self.previous: TableState | None = None
        self.previous_manifest: dict[str, Any] | None = None
        #: what SnapshotWriter says of older layouts; a table output has none yet
        self.legacy = False
        self.migrated_files: list[str] = []
        self.migrated_from: int | None = None
        self.migration_note: str | None = None
        self._new_id = uuid.uuid4().hex
        self._made_stage = False
        self._lease = Lease(self.root, run_id)

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> TableWriter:
        if is_url(self.root):
            check_output_url(self.root)
        else:
            check_output_url(Path(self.root).as_uri())
            Path(self.root).mkdir(parents=True, exist_ok=True)
        try:
            self._check_layout()
            self._lease.take()  # from here on no other run writes here: what runs left may be undone
            self._made_stage = True
            if not is_url(self.root):
                from .migrate import migrate_in_place

                self.migration_note = migrate_in_place(self.root)
            self.state = committed_state(self.root)
            dead = self._clear_leftovers()
            if self._roll_back() or dead:  # files a dead run wrote without a log entry: gone for plain readers
                self._vacuum()
            self._finish_committed()
            self._load_previous()
            if not is_url(self.root):  # tasks check that they see the run's folders (an object store: always)
                Path(files.join(self.stage, "scratch")).mkdir(parents=True, exist_ok=True)
        except OutputError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise OutputError(f"cannot open the output {self.root}: {type(exc).__name__}: "
                              f"{one_line(_ANSI.sub('', str(exc)))}") from exc
        return self

    def close(self) -> None:
        if self._made_stage:
            try:
                files.remove_tree(self.stage)
                if not is_url(self.root):
                    with contextlib.suppress(OSError):  # only when no other run's folder is left
                        Path(self.root, STAGING).rmdir()
            except Exception as exc:  # noqa: BLE001 (the next run clears it)
                log.warning("could not delete the staging folder %s: %s", self.stage, exc)
            self._made_stage = False
        self._lease.release()

    def __enter__(self) -> TableWriter:  # noqa: PYI034 (typing.Self is 3.11+)
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ what the run sees
    @property
    def area(self) -> StagingArea:
        return StagingArea(files.join(self.stage, "snapshot"), files.join(self.stage, "scratch"), self.run_id,
                           self.previous, self.index, self.dataset_id, process_name())

    @property
    def dataset_id(self) -> str:
        if self.previous_manifest and self.previous_manifest.get("dataset_id"):
            return str(self.previous_manifest["dataset_id"])
        return str(self._new_id)

    # ------------------------------------------------------------------ commit
    def commit(self, summary: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
               meta: dict[str, Any] | None = None) -> TableState:
        """Commit every table that changed, the ledger last; return the new committed state."""
        self._lease.check()
        latest = committed_state(self.root)
        if (latest.run_id if latest else None) != (self.state.run_id if self.state else None):
            raise OutputError(f"another run ({latest.run_id if latest else 'none'}) committed to {self.root} while "
                              "this one ran; one run at a time per output")
        try:
            return self._commit(summary, meta)
        except Exception as exc:  # before the ledger's commit: the tables committed so far go back at once
            cause = f"{type(exc).__name__}: {one_line(_ANSI.sub('', str(exc)))}"
            try:
                landed = committed_state(self.root)
            except Exception:  # noqa: BLE001 (unknown: treated as not committed, which the next run checks again)
                landed = None
            if landed is not None and landed.run_id == self.run_id:  # the ledger's commit landed, then it failed
                log.warning("run %s is committed to %s, but %s", self.run_id, self.root, cause)
                self.state = landed
                return landed
            try:
                if self._roll_back():
                    self._vacuum()
                undone = "every table it had committed was restored"
            except Exception as again:  # noqa: BLE001 (the next run restores them)
                undone = (f"restoring the tables it had committed failed too ({type(again).__name__}), so "
                          "readers of single tables may see its rows until the next run restores them")
            raise OutputError(f"committing run {self.run_id} to {self.root} failed ({cause}); {undone}") from exc

    def _commit(self, summary: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
                meta: dict[str, Any] | None) -> TableState:
        from deltalake import CommitProperties, DeltaTable, write_deltalake

        area = self.area
        keys, sources = self._superseded(area)
        runs = list(self.previous_manifest.get("runs", [])) if self.previous is not None and \
            self.previous_manifest else []
        staged = {name: area.staged(name) for name in TABLES}
        rows_now = {name: sum(files.parquet_rows(p) for p in staged[name]) for name in TABLES}
        runs.append({"run_id": self.run_id, "committed_at": datetime.now(timezone.utc).isoformat(),
                     "full_rebuild": self.previous is None,
                     "rows": {name: rows_now[name] for name in (*DATASETS, *INTERNAL) if rows_now[name]}})
        identity = {RUN_KEY: self.run_id, DATASET_ID_KEY: self.dataset_id}
        versions: dict[str, int] = {}
        rows: dict[str, int] = {}
        for name in TABLES:
            uri = table_uri(self.root, name)
            schema = _table_schema(name)
            exists = DeltaTable.is_deltatable(uri)
            replaced: dict[str, pa.Table] = {}
            if name == "rejected" and keys and self.previous is not None:
                replaced = self._without_superseded(keys, sources)
            properties = dict(identity)
            if name == SWITCH:
                manifest = self._manifest(runs, versions, rows, rows_now[name], meta)
                made = summary(manifest) if callable(summary) else summary
                properties |= {MANIFEST_KEY: json.dumps(manifest), SUMMARY_KEY: json.dumps(made, default=str)}
            commit = CommitProperties(custom_metadata=properties)
            data = _rows(staged[name], self.run_id, schema, replaced)
            if self.previous is None or not exists:  # a first run or a rebuild: the table is this run's alone
                write_deltalake(uri, data, partition_by=[RUN], mode="overwrite", schema_mode="overwrite",
                                commit_properties=commit)
            elif replaced:
                runs_in = ", ".join("'" + r.replace("'", "''") + "'" for r in sorted({*replaced, self.run_id}))
                write_deltalake(uri, data, partition_by=[RUN], mode="overwrite", predicate=f"{RUN} IN ({runs_in})",
                                commit_properties=commit)
            elif rows_now[name] or name == SWITCH:
                write_deltalake(uri, data, partition_by=[RUN], mode="append", commit_properties=commit)
            table = DeltaTable(uri)
            versions[name] = table.version()
            rows[name] = _row_count(table)
        # committed: the ledger's commit was the switch; what follows tidies up, and the next run redoes it
        self.state = TableState(self.root, self.run_id, tuple(sorted(versions.items())), json.dumps(manifest))
        try:
            self._vacuum()
            self._finish_committed()
        except Exception as exc:  # noqa: BLE001 (the run is committed; a vacuum or a summary left for later)
            log.warning("run %s is committed to %s, but tidying up after it failed (%s: %s); the next run "
                        "completes it", self.run_id, self.root, type(exc).__name__, one_line(str(exc)))
        return self.state

    def _manifest(self, runs: list[dict[str, Any]], versions: dict[str, int], rows: dict[str, int],
                  ledger_rows: int, meta: dict[str, Any] | None) -> dict[str, Any]:
        ledger = (self.previous_manifest or {}).get("datasets", {}).get(SWITCH, {}).get("rows", 0) \
            if self.previous is not None else 0
        return {
            "format": MANIFEST_FORMAT, "layout": LAYOUT, "schema_version": SCHEMA_VERSION,
            "dataset_id": self.dataset_id, "current_run": self.run_id,
            "partitioning": {"flavor": "hive", "key": RUN_PARTITION},
            **(meta or {}),
            "runs": runs,
            "versions": dict(versions),
            "datasets": {**{name: {"rows": rows[name], "version": versions[name]} for name in versions},
                         SWITCH: {"rows": ledger + ledger_rows}},
        }

    def _superseded(self, area: StagingArea) -> tuple[set[bytes], set[str]]:
        """Keys and sources of earlier ``rejected`` rows this run's ledger says it replaced (see the writer)."""
        keys: set[bytes] = set()
        sources: set[str] = set()
        for path in area.staged(SWITCH):
            table = files.read_parquet(path, columns=["key", "source"], filters=[("kind", "==", "supersedes")])
            keys.update(table.column("key").to_pylist())
            sources.update(table.column("source").to_pylist())
        return keys, sources

    def _without_superseded(self, keys: set[bytes], sources: set[str]) -> dict[str, pa.Table]:
        """Earlier runs' ``rejected`` partitions that held a superseded row, without it, by run."""
        from ..io.ledger import item_key
        from ..model import Rejection

        assert self.previous is not None
        schema = schema_of("rejected")
        by_run: dict[str, list[pa.Table]] = {}
        touched: set[str] = set()
        for path, run in _run_files(self.previous, "rejected"):
            table = conform_table(files.read_parquet(path), schema)
            hit = pc.is_in(table.column("source"), value_set=pa.array(sorted(sources), pa.string()))
            keep = [not (h and item_key(Rejection(s, r, why, d)) in keys)
                    for h, s, r, why, d in zip(hit.to_pylist(), *(table.column(c).to_pylist()
                                                                 for c in ("source", "record", "reason", "detail")))]
            if not all(keep):
                touched.add(run)
            by_run.setdefault(run, []).append(table.filter(pa.array(keep, pa.bool_())))
        return {run: pa.concat_tables(by_run[run]) for run in sorted(touched)}

    # ------------------------------------------------------------------ opening
    def _check_layout(self) -> None:
        """Refuse an output whose table names hold what this tool did not make (an output of the snapshot
        layout is moved into tables once the run holds the lock)."""
        if is_snapshot_output(self.root):
            return
        from deltalake import DeltaTable

        fs, root = filesystem(self.root if is_url(self.root) else Path(self.root).as_uri())
        for name in TABLES:
            uri = table_uri(self.root, name)
            where = f"{root.rstrip('/')}/{name}"
            if fs.isfile(where):
                raise OutputError(f"{uri} was not written by this tool (a file where its table goes); move it "
                                  "away or choose another --output")
            if DeltaTable.is_deltatable(uri):
                table = DeltaTable(uri)
                if RUN not in table.metadata().partition_columns or \
                        not any(RUN_KEY in h for h in table.history(limit=8)) and \
                        not any(RUN_KEY in h for h in table.history()):
                    raise OutputError(f"{uri} was not written by this tool (a Delta table of another writer); "
                                      "move it away or choose another --output")
            elif fs.exists(where) and not _only_part_files(fs, where):
                raise OutputError(f"{uri} was not written by this tool (it holds files but no Delta table); move it "
                                  "away or choose another --output")

    def _roll_back(self) -> bool:
        """Tables a run committed before it died without its ledger commit: back to the committed version
        (True when one was). Only under the lease: a live run's commit is never taken for a dead one's.

        A table that a dead first run created (no committed version to go back to) is overwritten by this
        run's commit.
        """
        from deltalake import DeltaTable

        committed = {r["run_id"] for r in self.state.manifest().get("runs", [])} if self.state else set()
        restored = False
        for name in TABLES[:-1]:
            uri = table_uri(self.root, name)
            if not DeltaTable.is_deltatable(uri):
                continue
            table = DeltaTable(uri)
            version = self.state.version(name) if self.state else None
            if version is None or version == table.version():
                continue
            last = _dead_commit(table, version, committed)
            if last is None:
                continue
            log.warning("%s: run %s committed it but not its ledger (it failed or died); restored to version %d, "
                        "as run %s left it", uri, last[RUN_KEY], version, self.state.run_id if self.state else "-")
            table.restore(version)
            restored = True
        return restored

    def _clear_leftovers(self) -> bool:
        """Staging folders of runs that died (marked as the tool's; under the lease no other run is live):
        deleted. True when there was one."""
        if not is_url(self.root):  # an object store gets no temporary names: a PUT is whole
            clear_stale_temps(Path(self.root))
        fs, root = filesystem(self.root if is_url(self.root) else Path(self.root).as_uri())
        staging = f"{root.rstrip('/')}/{STAGING}"
        try:
            entries = fs.ls(staging, detail=False, refresh=True)
        except (FileNotFoundError, NotADirectoryError):
            return False
        found = False
        for entry in entries:
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name != self.run_id and fs.exists(f"{entry.rstrip('/')}/{STAGE_MARK}"):
                fs.rm(entry, recursive=True)
                found = True
        return found

    def _finish_committed(self) -> None:
        """``runs/<id>.json`` of the committed run (the ledger commit carries it; a run may die before)."""
        if self.state is None:
            return
        where = files.join(self.root, "runs", f"{self.state.run_id}.json")
        fs, path = filesystem(str(where) if is_url(self.root) else Path(where).as_uri())
        if fs.exists(path):
            return
        made = committed_summary(self.root, self.state.run_id)
        if made is not None:
            files.write_bytes(where, (json.dumps(made, indent=2, ensure_ascii=False, default=str) + "\n").encode())

    def _load_previous(self) -> None:
        if self.state is None:
            return
        manifest = self.state.manifest()
        if manifest.get("format") != MANIFEST_FORMAT:
            raise OutputError(f"{self.root} was written with manifest format {manifest.get('format')}, this "
                              f"version reads {MANIFEST_FORMAT}; use --full-rebuild or another --output")
        if int(manifest.get("schema_version", 1)) > SCHEMA_VERSION and not self.full_rebuild:
            raise OutputError(f"{self.root} was written with schema version {manifest['schema_version']}, newer "
                              f"than this version's {SCHEMA_VERSION}; upgrade newsclean, or use --full-rebuild")
        self.previous_manifest = manifest
        if not self.full_rebuild:
            self.previous = self.state

    def _vacuum(self) -> None:
        from deltalake import DeltaTable

        for name in TABLES:
            uri = table_uri(self.root, name)
            if DeltaTable.is_deltatable(uri):
                _vacuum(DeltaTable(uri), self.keep_removed_hours)


class Lease:
    """One run at a time per output: ``flock`` on a local folder, a renewed lease object in an object store.

    A local output is locked as the snapshot layout is (``ROOT/.lock``): the
    kernel releases it when the process dies, so the next run may start at
    once. An object store has no lock: the run's staging mark holds the time
    it was last renewed (every :data:`RENEW_SECONDS`, by a thread), and a run
    that finds another run's mark renewed less than :data:`LEASE_SECONDS` ago
    refuses to start; a mark older than that is a dead run's. Two runs that
    start within the same second can both miss each other; each re-reads the
    marks after writing its own and the later one backs off.
    """

    def __init__(self, root: str, run_id: str) -> None:
        self.root, self.run_id = root, run_id
        self.mark = files.join(root, STAGING, run_id, STAGE_MARK)
        self._fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: str | None = None

    def take(self) -> None:
        if not is_url(self.root):
            self._take_local()
            files.write_bytes(self.mark, b"")
            return
        live = self._live_others()
        if live:
            raise OutputError(_busy(self.root, live))
        self._renew()
        live = self._live_others()
        if any(other < self.run_id for other, _ in live):  # started together: the later run backs off
            files.remove_tree(files.join(self.root, STAGING, self.run_id))
            raise OutputError(_busy(self.root, live))
        self._thread = threading.Thread(target=self._keep, name=f"lease-{self.run_id}", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Before the commit: the lease still holds (an object store: its mark is still there and renewed)."""
        if not is_url(self.root):
            return
        if self.lost is not None:
            raise OutputError(f"this run lost its lease on {self.root} ({self.lost}); nothing was committed")
        fs, path = filesystem(str(self.mark))
        if not fs.exists(path):
            raise OutputError(f"this run's staging folder in {self.root} was deleted while it ran (by another "
                              "run?); nothing was committed")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _take_local(self) -> None:
        from ..io.writer import LOCK, _open_lock

        fd = _open_lock(Path(self.root) / LOCK)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise OutputError(f"another run is writing to {self.root}; wait for it or choose another --output") \
                from exc
        self._fd = fd

    def _renew(self) -> None:
        files.write_bytes(self.mark, json.dumps({"run_id": self.run_id, "renewed": time.time()}).encode())

    def _keep(self) -> None:
        while not self._stop.wait(RENEW_SECONDS):
            try:
                self._renew()
            except Exception as exc:  # noqa: BLE001 (said at the commit, which then refuses)
                self.lost = f"renewing it failed: {type(exc).__name__}: {one_line(str(exc))}"

    def _live_others(self) -> list[tuple[str, float]]:
        """(run id, seconds since renewed) of other runs whose lease is live."""
        fs, root = filesystem(self.root)
        staging = f"{root.rstrip('/')}/{STAGING}"
        try:
            entries = fs.ls(staging, detail=False, refresh=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        live = []
        for entry in entries:
            run = entry.rstrip("/").rsplit("/", 1)[-1]
            if run == self.run_id:
                continue
            try:
                with fs.open(f"{entry.rstrip('/')}/{STAGE_MARK}", "rb") as fh:
                    renewed = float(json.loads(fh.read() or b"{}").get("renewed", 0))
            except (FileNotFoundError, ValueError):
                continue
            age = time.time() - renewed
            if age < LEASE_SECONDS:
                live.append((run, age))
        return live


def _busy(root: str, live: list[tuple[str, float]]) -> str:
    run, age = min(live, key=lambda r: r[1])
    return (f"another run ({run}) is writing to {root} (its lease was renewed {age:.0f} s ago); one run at a "
            f"time per output: wait for it (if it died, its lease ends within {LEASE_SECONDS} s)")


def _dead_commit(table: Any, committed_version: int, committed: set[str]) -> dict[str, Any] | None:
    """The newest commit after ``committed_version`` by a run that never committed, unless a restore
    already undid it (None: the table is as the committed runs left it; vacuums add versions too)."""
    for entry in table.history(table.version() - committed_version):
        if entry.get("operation") == "RESTORE":
            return None
        if RUN_KEY in entry and entry[RUN_KEY] not in committed:
            return dict(entry)
    return None


def _vacuum(table: Any, hours: int) -> int:
    """Delete files no current version needs (and files of killed writes) older than ``hours``."""
    return len(table.vacuum(retention_hours=hours, dry_run=False, enforce_retention_duration=False, full=True))


def _table_schema(name: str) -> pa.Schema:
    return schema_of(name).append(pa.field(RUN, pa.string(), nullable=False))


def _row_count(table: Any) -> int:
    actions = pa.table(table.get_add_actions(flatten=True))
    return int(sum(n or 0 for n in actions.column("num_records").to_pylist()))


def _run_files(state: TableState, table: str) -> list[tuple[str, str]]:
    from .state import _files

    version = state.version(table)
    return [] if version is None else \
        list(_files(table_uri(state.root, table), version, str(state.manifest().get("dataset_id"))))


def _only_part_files(fs: Any, where: str) -> bool:
    """A table folder that holds only data files of a killed first write (``run=<id>/...parquet``)."""
    found = fs.find(where, withdirs=False)
    top = where.rstrip("/")
    return all(len(rel := p[len(top):].lstrip("/").split("/")) == 2 and rel[0].startswith(f"{RUN}=")
               and rel[1].endswith(".parquet") for p in found)


def _rows(paths: list[Any], run_id: str, schema: pa.Schema, replaced: dict[str, pa.Table]) -> pa.RecordBatchReader:
    """This run's staged rows (and earlier runs' rewritten partitions) as batches with their ``run`` column."""
    base = schema.remove(schema.get_field_index(RUN))

    def with_run(rows: pa.Table, run: str) -> Iterator[pa.RecordBatch]:
        rows = conform_table(rows, base)
        rows = rows.append_column(schema.field(RUN), pa.array([run] * rows.num_rows, pa.string()))
        yield from rows.cast(schema).to_batches(max_chunksize=_BATCH_ROWS)

    def batches() -> Iterator[pa.RecordBatch]:
        for run, table in replaced.items():
            yield from with_run(table, run)
        for path in paths:
            part = files.open_parquet(path)
            try:
                for batch in part.iter_batches(batch_size=_BATCH_ROWS):
                    yield from with_run(pa.Table.from_batches([batch]), run_id)
            finally:
                part.close()

    return pa.RecordBatchReader.from_batches(schema, batches())
