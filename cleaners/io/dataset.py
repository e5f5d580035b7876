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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from .writer import CURRENT, MANIFEST, SNAPSHOTS


def current_snapshot(out: str | Path) -> Path:
    """The real directory of the latest finished run's snapshot."""
    link = Path(out) / SNAPSHOTS / CURRENT
    if not link.is_symlink():
        raise FileNotFoundError(f"{out} holds no finished run (no {link})")
    return Path(os.path.realpath(link))


def open_dataset(out: str | Path, name: str, snapshot: Path | None = None) -> ds.Dataset:
    """One output dataset (``articles``, ``duplicates``, ``rejected``, ``removed``) of one snapshot."""
    root = snapshot or current_snapshot(out)
    return ds.dataset(root / name, format="parquet", partitioning="hive")


def run_summary(out: str | Path) -> dict[str, Any]:
    """The summary of the run whose snapshot is current."""
    return json.loads((current_snapshot(out) / "_run.json").read_text(encoding="utf-8"))


def read_manifest(snapshot: Path) -> dict[str, Any]:
    """The manifest of one snapshot: its runs and every file of every dataset (see :mod:`.writer`)."""
    return json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))


def snapshot_files(snapshot: Path, name: str, manifest: dict[str, Any] | None = None,
                   runs: Iterable[str] | None = None) -> list[Path]:
    """The files of dataset ``name`` (internal ones too) that the manifest lists, optionally of some runs only."""
    manifest = manifest if manifest is not None else read_manifest(snapshot)
    wanted = None if runs is None else set(runs)
    return [snapshot / f["path"] for f in manifest["datasets"].get(name, {}).get("files", [])
            if wanted is None or f["run_id"] in wanted]
