"""Reading a finished output consistently: resolve the current snapshot once, then read it.

``DIR/articles`` is a symlink through ``DIR/.snapshots/current``; a reader that
lists files and reads them later resolves that link twice, and a run that
commits in between would swap the snapshot under it. Resolving ``current``
once pins every dataset to one run's snapshot, which is kept on disk until two
more runs have committed.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from .schema import DATASETS
from .writer import CURRENT, MANIFEST, SNAPSHOTS


def current_snapshot(out: str | Path) -> Path:
    """The real directory of the latest finished run's snapshot."""
    link = Path(out) / SNAPSHOTS / CURRENT
    if not link.is_symlink():
        raise FileNotFoundError(f"{out} holds no finished run (no {link})")
    return Path(os.path.realpath(link))


def current_state(out: str | Path) -> Any:
    """The latest committed state of any output: its snapshot folder, or the
    :class:`~cleaners.store.state.TableState` of an output of Delta tables (FileNotFoundError: none yet)."""
    from ..store.output import is_table_output, output_root
    from ..store.state import committed_state

    if not is_table_output(out):
        return current_snapshot(out)
    state = committed_state(output_root(out))
    if state is None:
        raise FileNotFoundError(f"{out} holds no committed run")
    return state


def open_dataset(out: str | Path, name: str, snapshot: Any = None) -> ds.Dataset:
    """One output dataset (``articles``, ``duplicates``, ``rejected``, ``removed``) of one committed state.

    Of a table output, the files of the table version the state pins, without the ``run`` column.
    """
    root = snapshot or current_state(out)
    if isinstance(root, Path):
        return ds.dataset(root / name, format="parquet", partitioning="hive")
    return files_dataset(root.files(name), DATASETS[name])


def files_dataset(paths: Sequence[Any], schema: pa.Schema) -> ds.Dataset:
    """Parquet files, local paths or URLs of one store, as one dataset of ``schema``."""
    from ..store.files import arrow_filesystem, is_remote

    names = [str(p) for p in paths]
    if names and is_remote(names[0]):
        filesystem, names = arrow_filesystem(names)
        return ds.dataset(names, format="parquet", schema=schema, filesystem=filesystem)
    return ds.dataset(names, format="parquet", schema=schema)


def state_summary(out: str | Path, state: Any) -> dict[str, Any]:
    """The run summary a committed state keeps (the snapshot's ``_run.json``, the ledger commit's copy)."""
    if isinstance(state, Path):
        return dict(json.loads((state / "_run.json").read_text(encoding="utf-8")))
    from ..store.state import committed_summary

    found = committed_summary(state.root, state.run_id)
    if found is None:
        raise FileNotFoundError(f"{out}: the summary of run {state.run_id} is missing")
    return found


def read_run_summary(out: str | Path, run_id: str) -> Any:
    """``runs/<run_id>.json`` of an output (a folder or a URL) as a RunSummary, or None when there is none."""
    from ..store import files as store_files
    from ..summary import RunSummary

    try:
        data = store_files.read_bytes(store_files.join(out, "runs", f"{run_id}.json"))
    except FileNotFoundError:
        return None
    return RunSummary.model_validate_json(data)


def run_summary(out: str | Path) -> dict[str, Any]:
    """The summary of the run whose snapshot is current."""
    return state_summary(out, current_state(out))


def read_manifest(snapshot: Any) -> dict[str, Any]:
    """The manifest of one snapshot: its runs and every file of every dataset (see :mod:`.writer`).

    ``snapshot`` may also be a :class:`cleaners.store.state.TableState` (an output kept as Delta tables).
    """
    if not isinstance(snapshot, Path):
        return dict(snapshot.manifest())
    return json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))


def snapshot_files(snapshot: Any, name: str, manifest: dict[str, Any] | None = None,
                   runs: Iterable[str] | None = None) -> list[Any]:
    """The files of dataset ``name`` (internal ones too) that the manifest lists, optionally of some runs only.

    Of a :class:`cleaners.store.state.TableState`: the files of the table version it pins (URLs or paths).
    """
    if not isinstance(snapshot, Path):
        return list(snapshot.files(name, runs))
    manifest = manifest if manifest is not None else read_manifest(snapshot)
    wanted = None if runs is None else set(runs)
    return [snapshot / f["path"] for f in manifest["datasets"].get(name, {}).get("files", [])
            if wanted is None or f["run_id"] in wanted]
