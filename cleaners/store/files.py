"""The output's Parquet files wherever they live: a local folder (``Path``) or an fsspec URL (``str``).

A run's tasks write part files and read the previous state (ledger, index)
through these few functions, so the same task code runs against a local
output and against one in object storage (:mod:`cleaners.store.output`),
in this process or on a Dask worker that shares no folder with it. Local
paths keep their exact former behaviour: written under a temporary name,
fsynced, renamed into place. An object store has no rename; a PUT is atomic
by itself (an object is whole or absent), so a URL is written directly.
"""
from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..io.remote import filesystem, is_url

#: A place of the output: a local path, or a URL string.
Where = Path | str


def is_remote(where: Where) -> bool:
    return isinstance(where, str) and is_url(where)


def join(base: Where, *parts: str) -> Where:
    """``base / part / ...`` for a path or a URL (a URL is never collapsed as a path would be: ``s3://``)."""
    if isinstance(base, Path) or not is_url(base):
        return Path(base).joinpath(*parts)
    return posixpath.join(base.rstrip("/"), *parts)


def name_of(where: Where) -> str:
    return where.name if isinstance(where, Path) else posixpath.basename(where.rstrip("/"))


def _fs_path(where: str) -> tuple[Any, Any, str]:
    """(fsspec filesystem, pyarrow's view of it, path inside them) of a URL.

    Not cached here: fsspec keeps one filesystem per protocol and options itself, and a cache of ours would
    outlive a test's (or a reconfigured) endpoint.
    """
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs, path = filesystem(where)
    return fs, PyFileSystem(FSSpecHandler(fs)), path


def arrow_filesystem(urls: list[str]) -> tuple[Any, list[str]]:
    """pyarrow's filesystem for URLs of one store, and their paths inside it (for ``pyarrow.dataset``)."""
    _, arrow, _ = _fs_path(urls[0])
    return arrow, [filesystem(u)[1] for u in urls]


def write_parquet(table: pa.Table, where: Where) -> Where:
    """Write one Parquet file, whole or not at all (see the module's docstring); return where it went."""
    if not is_remote(where):
        from ..io.writer import (
            write_parquet as write_local,  # the local protocol's own atomic write
        )

        return write_local(table, Path(where))
    assert isinstance(where, str)
    fs, _, path = _fs_path(where)
    from ..io.writer import OutputError

    try:
        sink = pa.BufferOutputStream()  # one PUT of the whole file: a failed write leaves no object at all
        pq.write_table(table, sink, compression="zstd")
        fs.pipe_file(path, sink.getvalue().to_pybytes())
    except Exception as exc:
        raise OutputError(f"cannot write {where}: {type(exc).__name__}: {exc}") from exc
    return where


def read_parquet(where: Where, columns: list[str] | None = None, filters: Any = None,
                 schema: pa.Schema | None = None) -> pa.Table:
    """One Parquet file's rows (``columns``, ``filters``, ``schema`` as :func:`pyarrow.parquet.read_table`)."""
    if not is_remote(str(where)):
        return pq.read_table(where, columns=columns, filters=filters, schema=schema)
    _, arrow, path = _fs_path(str(where))
    return pq.read_table(path, columns=columns, filters=filters, schema=schema, filesystem=arrow)


def parquet_rows(where: Where) -> int:
    if not is_remote(str(where)):
        return pq.read_metadata(where).num_rows
    fs, _, path = _fs_path(str(where))
    with fs.open(path, "rb") as fh:
        return pq.read_metadata(fh).num_rows


def open_parquet(where: Where) -> pq.ParquetFile:
    """A Parquet file to stream batches from (close it after)."""
    if not is_remote(str(where)):
        return pq.ParquetFile(where)
    fs, _, path = _fs_path(str(where))
    return pq.ParquetFile(fs.open(path, "rb"))


def list_parquet(folder: Where, prefix: str = "") -> list[Where]:
    """The ``*.parquet`` files directly in ``folder`` whose names start with ``prefix``, sorted; [] when none."""
    if not is_remote(folder):
        root = Path(folder)
        return sorted(root.glob(f"{prefix}*.parquet")) if root.is_dir() else []
    assert isinstance(folder, str)
    fs, _, path = _fs_path(folder)
    try:
        found = fs.ls(path, detail=False, refresh=True)
    except FileNotFoundError:
        return []
    top = folder.rstrip("/")
    return sorted(f"{top}/{posixpath.basename(p)}" for p in found
                  if posixpath.basename(p).startswith(prefix) and p.endswith(".parquet"))


def remove(paths: list[Where]) -> None:
    """Delete files (missing ones are no error)."""
    for where in paths:
        if not is_remote(where):
            Path(where).unlink(missing_ok=True)
            continue
        fs, _, path = _fs_path(str(where))
        try:
            fs.rm_file(path)
        except FileNotFoundError:
            pass


def remove_tree(folder: Where) -> None:
    """Delete a folder or URL prefix and everything in it (a missing one is no error)."""
    if not is_remote(folder):
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        return
    fs, _, path = _fs_path(str(folder))
    try:
        fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass


def write_bytes(where: Where, data: bytes) -> None:
    """A small file (a run summary), whole or not at all."""
    if not is_remote(where):
        from ..io.atomic import temp_path

        target = Path(where)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(target)
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return
    fs, _, path = _fs_path(str(where))
    fs.pipe_file(path, data)


def read_bytes(where: Where) -> bytes:
    if not is_remote(where):
        return Path(where).read_bytes()
    fs, _, path = _fs_path(str(where))
    with fs.open(path, "rb") as fh:
        return bytes(fh.read())

