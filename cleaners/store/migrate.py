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

import json
import logging
import os
import shutil
from pathlib import Path

from ..io.dataset import current_snapshot, read_manifest
from ..io.schema import DATASETS, SCHEMA_VERSION
from ..io.writer import CURRENT, MANIFEST_FORMAT, RUN_PARTITION, SNAPSHOTS, OutputError
from . import files
from .delta import _rows
from .output import (
    LAYOUT,
    TABLES,
    _row_count,
    _table_schema,
    _vacuum,
    check_output_url,
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



def migrate_in_place(root: str | Path) -> str | None:
    """Turn the local snapshot output ``root`` into Delta tables where it is; what happened, for the run's
    summary (None: ``root`` is not of the snapshot layout). The caller holds the output's lock."""
    root = Path(root)
    snapshots = root / SNAPSHOTS
    if not snapshots.exists():
        return None
    work = root / MIGRATING
    if (root / SWITCH / "_delta_log").is_dir():  # killed after the switch: only the snapshots are left to delete
        _drop_snapshots(root)
        return "the move of this output from the snapshot layout into Delta tables was finished"
    # killed before the switch: the snapshots are intact; undo a half-made move and start again
    for name in TABLES:
        place = root / name
        if place.is_dir() and not place.is_symlink():
            shutil.rmtree(place)
        if name in DATASETS and not place.is_symlink():
            os.symlink(Path(SNAPSHOTS, CURRENT, name), place)
    shutil.rmtree(work, ignore_errors=True)
    if not (snapshots / CURRENT).is_symlink():  # no finished run: nothing to move
        _drop_snapshots(root)
        return "an output of the snapshot layout without a finished run was cleared for Delta tables"
    log.warning("%s is an output of the snapshot layout: moving it into Delta tables before this run", root)
    state = migrate(root, work, run_pages=False)
    for name in TABLES:  # the ledger last: from its move on the output is one of tables
        place = root / name
        if place.is_symlink():
            place.unlink()
        os.rename(work / name, place)
    _drop_snapshots(root)
    manifest = state.manifest()
    note = (f"moved from the snapshot layout into Delta tables before this run ({len(manifest['runs'])} runs: "
            + ", ".join(f"{n} {manifest['datasets'][n]['rows']} rows" for n in DATASETS) + ")")
    log.warning("%s: %s", root, note)
    return note


def _drop_snapshots(root: Path) -> None:
    for name in (*DATASETS, "manifest.json"):
        if (root / name).is_symlink():
            (root / name).unlink()
    shutil.rmtree(root / MIGRATING, ignore_errors=True)
    shutil.rmtree(root / SNAPSHOTS)
