"""Which inputs earlier runs already took: content keys of files, records and rejections.

Incremental runs must recognise what they have seen by content, not by name
or mtime: crawlers rename, re-export, re-download and append. So every input
gets a 128-bit BLAKE2b key:

- a **file** over its bytes: a file seen before is skipped without parsing;
- a **record** (one page) over its body and metadata, not over its file name
  or row: a JSONL export that grew, or was re-sorted, or arrived again under a
  new name, yields only its new records;
- a **rejection** that has no content of its own (an unsupported file, a
  record with no text, a file with no record at all) over its source,
  record, reason and detail: the same failure is reported once, not once per
  run (the detail of a ``no_records`` row says only what the file holds, so
  an empty export compressed again, with new bytes, adds no second row).

The keys of a run are written to its ``_ledger`` partition in the same
snapshot as its rows (:mod:`cleaners.io.writer`), so ledger and datasets are
committed together and can never disagree.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..model import Page, Rejection
from .dataset import snapshot_files
from .schema import LEDGER

KEY_BYTES = 16
_READ_BLOCK = 1 << 20


def file_key(path: Path) -> bytes:
    h = hashlib.blake2b(b"file\x00", digest_size=KEY_BYTES)
    with open(path, "rb") as fh:
        while block := fh.read(_READ_BLOCK):
            h.update(block)
    return h.digest()


def item_key(item: Page | Rejection) -> bytes:
    """The key of one record: what it says (pages), or where and why it failed (rejections)."""
    if isinstance(item, Rejection):
        return _key(b"rejection", item.source, item.record, item.reason, item.detail)
    body = item.html if item.html is not None else item.text
    return _key(b"page", body, item.url, item.title, item.published, item.fetched)


def _key(kind: bytes, *parts: str | None) -> bytes:
    h = hashlib.blake2b(kind + b"\x00", digest_size=KEY_BYTES)
    for part in parts:
        h.update(b"\x00" if part is None else b"\x01" + part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.digest()


class Seen:
    """The keys earlier runs recorded, as one sorted array (16 bytes a key, binary search)."""

    def __init__(self, keys: np.ndarray) -> None:
        self._keys = np.sort(keys.astype(f"S{KEY_BYTES}"))

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: bytes) -> bool:
        if not len(self._keys):
            return False
        probe = np.array([key], dtype=f"S{KEY_BYTES}")
        at = int(np.searchsorted(self._keys, probe)[0])
        return at < len(self._keys) and self._keys[at] == probe[0]

    @staticmethod
    def empty() -> Seen:
        return Seen(np.zeros(0, dtype=f"S{KEY_BYTES}"))


@functools.lru_cache(maxsize=2)
def seen_in(snapshot: Path | None) -> Seen:
    """The ledger of a committed snapshot (None: nothing seen). Cached: every task of a run asks."""
    if snapshot is None:
        return Seen.empty()
    parts = [pq.read_table(path, columns=["key"]).column("key") for path in snapshot_files(snapshot, "_ledger")]
    if not parts:
        return Seen.empty()
    keys = pa.chunked_array(parts, pa.binary(KEY_BYTES)).combine_chunks()
    raw = np.frombuffer(keys.buffers()[1], dtype=f"S{KEY_BYTES}", count=len(keys), offset=keys.offset * KEY_BYTES)
    return Seen(raw)


def ledger_table(entries: Iterable[tuple[bytes, str, str, str | None]], run_id: str) -> pa.Table:
    """Rows of (key, kind, source, record) for this run's ``_ledger`` partition."""
    rows = [{"key": k, "kind": kind, "source": source, "record": record, "run_id": run_id}
            for k, kind, source, record in entries]
    return pa.Table.from_pylist(rows, schema=LEDGER)
