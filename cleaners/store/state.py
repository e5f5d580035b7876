"""The committed state of an output kept as Delta Lake tables: which version of each table one run left.

An output in object storage (:mod:`cleaners.store.output`) keeps each
dataset, the ledger and the dedup index as Delta tables under its root.
Each run commits the tables one after another, the ledger last; the ledger's
commit carries the manifest (runs, row counts, the version of every table
this run's commit made), so the ledger's latest manifest *is* the output's
committed state, exactly as the ``current`` link is for a local output.
:class:`TableState` pins those versions: tasks of a run read the ledger and
index of the same versions wherever they run, and a reader that wants all
datasets of one run reads them through it.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

#: Commit metadata keys (the publish of a local output uses the same run and dataset keys).
RUN_KEY = "newsclean.run_id"
DATASET_ID_KEY = "newsclean.dataset_id"
MANIFEST_KEY = "newsclean.manifest"
SUMMARY_KEY = "newsclean.summary"
#: The partition column of every table.
RUN = "run"
#: The table whose commit makes a run committed (see the module's docstring).
SWITCH = "_ledger"


@dataclass(frozen=True)
class TableState:
    """One committed state: the output's root, the run that committed it, and each table's version then."""

    root: str
    run_id: str
    versions: tuple[tuple[str, int], ...]
    manifest_json: str = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        """The run that committed this state (as a snapshot folder is named by its run)."""
        return self.run_id

    def manifest(self) -> dict[str, Any]:
        return dict(json.loads(self.manifest_json))

    def version(self, table: str) -> int | None:
        return dict(self.versions).get(table)

    def files(self, table: str, runs: Any = None) -> list[str]:
        """The data files of ``table`` at this state's version (of some runs only), as URLs or paths."""
        version = self.version(table)
        if version is None:
            return []
        wanted = None if runs is None else frozenset(runs)
        found = _files(table_uri(self.root, table), version, str(self.manifest().get("dataset_id")))
        return [path for path, run in found if wanted is None or run in wanted]


def table_uri(root: str, table: str) -> str:
    return f"{root.rstrip('/')}/{table}"


@functools.lru_cache(maxsize=32)
def _files(uri: str, version: int, dataset_id: str) -> tuple[tuple[str, str], ...]:
    """(file, run) of each data file of a table version; a version never changes, so it is cached (with the
    output's dataset id: an output deleted and made again at the same place starts at version 0 again)."""
    from deltalake import DeltaTable

    actions = pa.table(DeltaTable(uri, version=version).get_add_actions(flatten=True))
    paths = actions.column("path").to_pylist()
    runs = actions.column(f"partition.{RUN}").to_pylist()
    return tuple((f"{uri}/{p}", r) for p, r in zip(paths, runs, strict=True))


def committed_state(root: str) -> TableState | None:
    """The output's latest committed state (None: no run committed there yet).

    Found in the ledger table's history: its newest commit that carries a
    manifest (later entries may be the vacuums that follow a commit).
    """
    from deltalake import DeltaTable

    uri = table_uri(root, SWITCH)
    if not DeltaTable.is_deltatable(uri):
        return None
    table = DeltaTable(uri)
    entry = next((h for h in table.history(limit=8) if MANIFEST_KEY in h), None) or \
        next((h for h in table.history() if MANIFEST_KEY in h), None)
    if entry is None:
        return None
    manifest = json.loads(entry[MANIFEST_KEY])
    versions = dict(manifest["versions"])
    versions[SWITCH] = int(entry["version"])
    return TableState(root, manifest["current_run"], tuple(sorted(versions.items())), entry[MANIFEST_KEY])


def committed_summary(root: str, run_id: str) -> dict[str, Any] | None:
    """The run summary its ledger commit carries (what ``runs/<id>.json`` holds), or None."""
    from deltalake import DeltaTable

    uri = table_uri(root, SWITCH)
    if not DeltaTable.is_deltatable(uri):
        return None
    for entry in DeltaTable(uri).history():
        if entry.get(RUN_KEY) == run_id and SUMMARY_KEY in entry:
            return dict(json.loads(entry[SUMMARY_KEY]))
    return None
