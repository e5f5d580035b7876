"""Move an output of the snapshot layout into Delta tables, with its run state, so runs continue there.

Publishing (:mod:`.delta`) mirrors the four datasets for readers; a run into
the mirror would start from nothing. :func:`migrate` also moves the ledger
and the dedup index, and commits the manifest of
:mod:`cleaners.store.state` (every run, the dataset id, the index
parameters), so that the next ``python -m flows.clean ... -o TARGET`` takes
only what the snapshot output had not taken and dedups against every
article it kept: the output has moved, not restarted. Rows keep their run
partitions; files of an older column layout are conformed to the current
one on the way. The source is only read.

:func:`migrate_in_place` is what the first run of a version that keeps
tables does with a local output of the snapshot layout (under the run's
lock): the same migration into a folder beside, then the tables take the
datasets' names, the ledger last; only then the snapshots are deleted. A
run killed part way finds the snapshots intact and starts the move again.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from pathlib import Path

from ..io.dataset import current_snapshot, read_manifest
from ..io.schema import DATASETS, INTERNAL, SCHEMA_VERSION
from ..io.writer import (
    CURRENT,
    MANIFEST,
    MANIFEST_FORMAT,
    RUN_PARTITION,
    SNAPSHOTS,
    OutputError,
    _fsync_dir,
    _is_own_snapshot,
    check_snapshot_layout,
    manifest_schema_version,
)
from . import files
from .delta import _rows
from .output import (
    LAYOUT,
    TABLES,
    _row_count,
    _table_schema,
    _vacuum,
    check_output_url,
    is_snapshot_output,
    output_root,
)
from .state import (
    DATASET_ID_KEY,
    MANIFEST_KEY,
    RUN_KEY,
    SUMMARY_KEY,
    SWITCH,
    TableState,
    committed_state,
    table_uri,
)

log = logging.getLogger(__name__)

#: where :func:`migrate_in_place` writes the tables before they take the datasets' names
MIGRATING = ".migrating"


def migrate(out: str | Path, target: str | Path, run_pages: bool = True) -> TableState:
    """Write the current snapshot of ``out`` (every run) as the Delta tables of a new output at ``target``;
    ``run_pages``: copy the runs' summaries and reports too (not when the target is inside ``out``)."""
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    check_output_url(str(target))
    root = output_root(target)
    try:
        snapshot = current_snapshot(out)
    except FileNotFoundError as exc:
        raise OutputError(f"{out} holds no finished run of the snapshot layout: nothing to migrate") from exc
    if not is_empty(root):
        raise OutputError(f"{target} is not empty: migrate into a new location")
    manifest = read_manifest(snapshot)
    runs = [r["run_id"] for r in manifest["runs"]]
    summary = json.loads((snapshot / "_run.json").read_text(encoding="utf-8"))
    identity = {RUN_KEY: manifest["current_run"], DATASET_ID_KEY: manifest["dataset_id"]}
    versions: dict[str, int] = {}
    rows: dict[str, int] = {}
    for name in TABLES:
        uri = table_uri(root, name)
        properties = dict(identity)
        if name == SWITCH:
            state = {
                "format": MANIFEST_FORMAT, "layout": LAYOUT, "schema_version": SCHEMA_VERSION,
                "dataset_id": manifest["dataset_id"], "current_run": manifest["current_run"],
                "partitioning": {"flavor": "hive", "key": RUN_PARTITION},
                **({"dedup_index": manifest["dedup_index"]} if "dedup_index" in manifest else {}),
                "runs": manifest["runs"], "versions": dict(versions),
                "migrated_from": {"output": str(Path(out).absolute()), "schema_version":
                                  int(manifest.get("schema_version", 1))},
                "datasets": {**{n: {"rows": rows[n], "version": versions[n]} for n in versions},
                             SWITCH: {"rows": manifest["datasets"].get(SWITCH, {}).get("rows", 0)}},
            }
            properties |= {MANIFEST_KEY: json.dumps(state), SUMMARY_KEY: json.dumps(summary, default=str)}
        source = manifest["datasets"].get(name, {}).get("files", [])
        write_deltalake(uri, _rows(snapshot, source, set(runs), _table_schema(name)), partition_by=["run"],
                        mode="error", commit_properties=CommitProperties(custom_metadata=properties))
        table = DeltaTable(uri)
        versions[name], rows[name] = table.version(), _row_count(table)
        _vacuum(table, 0)
    for path in sorted(p for p in (Path(out) / "runs").glob("*.*") if p.suffix in (".json", ".html")
                       and run_pages):
        files.write_bytes(files.join(root, "runs", path.name), path.read_bytes())
    migrated = committed_state(root)
    assert migrated is not None
    return migrated


def is_empty(root: str) -> bool:
    """Nothing at ``root`` yet (a missing folder or prefix, or an empty one)."""
    from ..io.remote import filesystem, is_url

    fs, path = filesystem(root if is_url(root) else Path(root).as_uri())
    try:
        return not fs.find(path, withdirs=True)
    except FileNotFoundError:
        return True


#: How the summary of a run that moved its output begins (the command line says so instead of "unchanged").
MOVED = "moved from the snapshot layout into Delta tables"


def migrate_in_place(root: str | Path) -> str | None:
    """Turn the local snapshot output ``root`` into Delta tables where it is; what happened, for the run's
    summary (None: nothing to do). The caller holds the output's lock.

    Only the tool's own entries are moved or deleted: anything else under its names, a snapshot this
    version cannot read exactly (a newer schema, no manifest) stops the run, before anything changes,
    with what to do instead.
    """
    root = Path(root)
    snapshots = root / SNAPSHOTS
    if not snapshots.exists():
        return None
    if (root / SWITCH / "_delta_log").is_dir():  # killed after the switch: only the snapshots are left to delete
        return f"{MOVED} (the move an earlier run began was finished)" if _drop_snapshots(root) else None
    work = root / MIGRATING
    if work.exists() and not _own_move(work):
        raise OutputError(f"{work} was not written by this tool (the move into Delta tables keeps its tables "
                          "there); move it away or choose another --output")
    foreign = [p.name for p in snapshots.iterdir() if not _own_snapshot_entry(p)]
    if foreign:
        raise OutputError(f"{snapshots} holds entries this tool did not make ({', '.join(sorted(foreign))}); move "
                          "them away before this output is moved into Delta tables")
    _undo_partial_move(root)
    check_snapshot_layout(root)
    for name in INTERNAL:  # where the move puts the run state: nothing may be there yet
        if os.path.lexists(root / name):
            raise OutputError(f"{root / name} was not written by this tool (the move into Delta tables puts its "
                              "own there); move it away or choose another --output")
    if not (snapshots / CURRENT).is_symlink():  # no finished run: nothing to move
        _drop_snapshots(root)
        return f"{MOVED}: an output of the snapshot layout without a finished run was cleared"
    _check_readable(root, current_snapshot(root))
    log.warning("%s is an output of the snapshot layout: moving it into Delta tables before this run", root)
    state = migrate(root, work, run_pages=False)
    _sync(work)  # the tables are on disk before any name changes
    for name in TABLES:  # the ledger last: from its move on the output is one of tables
        place = root / name
        if place.is_symlink():
            place.unlink()
        os.rename(work / name, place)
    _fsync_dir(root)
    _drop_snapshots(root)
    manifest = state.manifest()
    note = (f"{MOVED} before this run ({len(manifest['runs'])} runs: "
            + ", ".join(f"{n} {manifest['datasets'][n]['rows']} rows" for n in DATASETS) + ")")
    log.warning("%s: %s", root, note)
    return note


def move_interrupted(root: str | Path) -> bool:
    """A move into tables stopped before the ledger's switch (the output still reads as snapshots)."""
    return _own_move(Path(root) / MIGRATING) and is_snapshot_output(root)


def _own_move(work: Path) -> bool:
    """The move's folder: nothing in it but tables it writes (or none: an empty folder loses nothing)."""
    return work.is_dir() and not work.is_symlink() and all(p.name in TABLES and p.is_dir() and not p.is_symlink()
                                                           for p in work.iterdir())


def _own_snapshot_entry(path: Path) -> bool:
    """What the snapshot layout keeps in ``.snapshots``: its snapshots, the current link, a dead run's
    temporary link."""
    return path.name == CURRENT and path.is_symlink() or _is_own_snapshot(path) or \
        path.is_symlink() and path.name.startswith(f".{CURRENT}.")


def _check_readable(root: Path, snapshot: Path) -> None:
    """The snapshot's manifest is one this version reads without loss."""
    rebuild = "or rebuild it with --layout snapshots --full-rebuild, or use another --output"
    try:
        manifest = read_manifest(snapshot)
    except FileNotFoundError:
        raise OutputError(f"{root} was written by a version that kept no manifest, so its state cannot move into "
                          "Delta tables; run once with --layout snapshots (which rebuilds such an output from "
                          "that run's inputs), and the next run moves it") from None
    except ValueError as exc:
        raise OutputError(f"{snapshot / MANIFEST} is not valid JSON ({exc}); the output is damaged: restore it, "
                          f"{rebuild}") from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise OutputError(f"{root} was written with manifest format {manifest.get('format')}, this version reads "
                          f"{MANIFEST_FORMAT}; {rebuild.removeprefix('or ')}")
    if manifest_schema_version(manifest) > SCHEMA_VERSION:
        raise OutputError(f"{root} was written with schema version {manifest_schema_version(manifest)}, newer "
                          f"than this version's {SCHEMA_VERSION}; upgrade newsclean, {rebuild}")


def _undo_partial_move(root: Path) -> None:
    """Put back the snapshot links a move stopped before its switch had replaced with tables (only tables
    that move wrote: their commits carry the snapshot's run and dataset id), and drop its folder.

    Each table goes back into the move's folder by one rename before anything is deleted, so a run
    killed here too leaves only the move's own folder to delete.
    """
    work = root / MIGRATING
    if not work.exists():
        return
    manifest: dict[str, object] = {}
    if (root / SNAPSHOTS / CURRENT).is_symlink():
        with contextlib.suppress(FileNotFoundError, ValueError):
            manifest = read_manifest(current_snapshot(root))
    moved = [name for name in TABLES if (root / name).is_dir() and not (root / name).is_symlink()]
    for name in moved:  # all checked before any is touched
        if os.path.lexists(work / name) or not _moved_here(root / name, manifest):
            raise OutputError(f"{root / name} was not written by this tool (a folder where a snapshot link or a "
                              "moved table goes); move it away or choose another --output")
    for name in moved:
        os.rename(root / name, work / name)
    for name in DATASETS:
        if not os.path.lexists(root / name):
            os.symlink(Path(SNAPSHOTS, CURRENT, name), root / name)
    shutil.rmtree(work)


def _moved_here(place: Path, manifest: dict[str, object]) -> bool:
    from deltalake import DeltaTable

    if not manifest or not DeltaTable.is_deltatable(str(place)):
        return False
    first = DeltaTable(str(place)).history()[-1]
    return first.get(RUN_KEY) == manifest.get("current_run") and \
        first.get(DATASET_ID_KEY) == manifest.get("dataset_id")


def _drop_snapshots(root: Path) -> bool:
    """Delete the snapshot layout's own entries (links, snapshots, the move's empty folder); whether any
    was there. Anything else in ``.snapshots`` stays, and so does the folder then."""
    found = False
    for name in (*DATASETS, "manifest.json"):
        link = root / name
        if link.is_symlink() and os.readlink(link).startswith(f"{SNAPSHOTS}/"):
            link.unlink()
            found = True
    work = root / MIGRATING
    if work.is_dir() and _own_move(work):
        shutil.rmtree(work)
        found = True
    snapshots = root / SNAPSHOTS
    if snapshots.is_dir() and not snapshots.is_symlink():
        for entry in sorted(snapshots.iterdir(), key=lambda p: p.name != CURRENT):  # the link first
            if _own_snapshot_entry(entry):
                entry.unlink() if entry.is_symlink() else shutil.rmtree(entry)
                found = True
        with contextlib.suppress(OSError):
            snapshots.rmdir()
            found = True
    return found


def _sync(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):  # files, then their folders
        if not path.is_symlink():
            _fsync_dir(path)  # opens read-only: a file or a folder
    _fsync_dir(folder)
