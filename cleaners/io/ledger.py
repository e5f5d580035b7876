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

Rejections that say where a file stood rather than what its records are (a
cut file, a half-written last line, a limit that stopped a record) are also
recorded as ``provisional``, so a later run that reads those records after
all replaces the rows (``supersedes``): see "rows a later read replaces"
below, and :class:`InputLedger`, a shard's side of all this.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import CleanConfig
from ..faults import is_transient
from ..model import Page, Rejection
from ..reasons import LIMIT_OPTIONS
from ..store.files import read_parquet
from .dataset import snapshot_files
from .readers import InputFile, open_regular
from .schema import LEDGER

KEY_BYTES = 16
_READ_BLOCK = 1 << 20


def file_key(path: Path | InputFile) -> bytes:
    return file_keys(path)[0]


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
def seen_in(snapshot: Any) -> Seen:
    """The ledger of a committed snapshot (None: nothing seen). Cached: every task of a run asks."""
    if snapshot is None:
        return Seen.empty()
    # files of a Delta table hold the key as variable-length binary (Delta has no fixed-size type)
    parts = [read_parquet(path, columns=["key"]).column("key").cast(pa.binary(KEY_BYTES))
             for path in snapshot_files(snapshot, "_ledger")]
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


# ----------------------------------------------------------------------------- rows a later read replaces
#
# Some rejections say where a file stood when it was read, not what its records are: a file cut mid-stream
# (``truncated``), a half-written last JSONL line, a file that held no record yet, a file that could not be
# read at all, or a record a limit option stopped. A later run that reads the same file further (it grew:
# its first bytes are the ones read before) or with other limits gives those records their real outcome,
# so the old row must go, or the record would sit in two places. The run writes, in its own ledger:
#
# - ``provisional`` entries: the key of such a rejection row, under the condition in ``record``: ``any``
#   (the file's bytes were never seen: replaced by any later read of its source), or
#   ``prefix SIZE FILEKEY [OPTION=VALUE]`` (replaced by a later read of the source whose first SIZE bytes
#   are the file read then, and, for a limit row, with another value of the option);
# - ``supersedes`` entries: keys of earlier rows a later read replaced (unless it gave the very same row
#   again). :meth:`cleaners.io.writer.SnapshotWriter.commit` drops those rows from the earlier runs' part
#   files of the new snapshot (the old snapshot keeps its bytes until it is pruned).
#
# A file some of whose records a limit stopped is recorded under a key that names the limits too
# (:func:`tagged`), so a run with other limits does not take it for a file it has seen; so is a page that a
# limit stopped while it was cleaned (too_deep, timeout). The other records of such a file are seen already
# and skipped as ever.

#: The condition of a provisional row whose file's bytes were never read (unreadable, not a regular file...).
ANY = "any"
#: Every subset of the limit options (a file key names those its rows were stopped by).
_OPTION_SETS = [frozenset(c) for n in range(1, len(set(LIMIT_OPTIONS.values())) + 1)
                for c in itertools.combinations(sorted(set(LIMIT_OPTIONS.values())), n)]


def tagged(key: bytes, options: Iterable[str], config: CleanConfig) -> bytes:
    """``key`` bound to the values of some limit options: what a file or page a limit stopped is known by."""
    h = hashlib.blake2b(b"limits\x00" + key, digest_size=KEY_BYTES)
    for option in sorted(options):
        h.update(f"{option}={getattr(config, option)!r}\x1f".encode())
    return h.digest()


def file_keys(path: Path | InputFile, prefixes: Iterable[int] = ()) -> tuple[bytes, dict[int, bytes], int]:
    """The file's key, the key its first N bytes would have as a file for each N (in the same read), and its
    size as read."""
    h = hashlib.blake2b(b"file\x00", digest_size=KEY_BYTES)
    wanted = sorted(set(prefixes))
    found: dict[int, bytes] = {}
    done = 0
    with open_regular(path) as fh:
        while True:
            step = _READ_BLOCK if not wanted else min(_READ_BLOCK, max(1, wanted[0] - done))
            if wanted and wanted[0] == done:
                found[wanted.pop(0)] = h.copy().digest()
                continue
            block = fh.read(step)
            if not block:
                break
            h.update(block)
            done += len(block)
    return h.digest(), found, done


@dataclass(frozen=True)
class _Condition:
    any: bool = False
    size: int = 0
    file: bytes = b""
    option: str | None = None
    value: str | None = None

    @staticmethod
    def parse(text: str | None) -> _Condition | None:
        words = (text or "").split(" ")
        if words == [ANY]:
            return _Condition(any=True)
        if len(words) in (3, 4) and words[0] == "prefix":
            option, _, value = words[3].partition("=") if len(words) == 4 else (None, "", None)
            try:
                return _Condition(False, int(words[1]), bytes.fromhex(words[2]), option, value)
            except ValueError:
                return None
        return None  # written by a later version: never replaced by this one


def condition(size: int, key: bytes, option: str | None = None, config: CleanConfig | None = None) -> str:
    """The condition of a provisional row read from a file of ``size`` bytes and key ``key``."""
    limit = f" {option}={getattr(config, option)!r}" if option is not None and config is not None else ""
    return f"prefix {size} {key.hex()}{limit}"


def provisional_in(snapshot: Any,
                   sources: Iterable[str] | None = None) -> dict[str, list[tuple[bytes, _Condition]]]:
    """The provisional rows of a committed snapshot that no later run replaced, by source.

    ``sources``: only those of these inputs (a shard's), so that a shard holds
    the entries of its own files, not of the whole history.
    """
    if snapshot is None:
        return {}
    found: dict[str, list[tuple[bytes, _Condition]]] = {}
    gone: set[bytes] = set()
    wanted = pc.field("kind").isin(["provisional", "supersedes"])
    if sources is not None:
        wanted = wanted & pc.field("source").isin(sorted(set(sources)))
    for path in snapshot_files(snapshot, "_ledger"):
        table = read_parquet(path, columns=["key", "kind", "source", "record"], filters=wanted)
        for key, kind, source, record in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            if kind == "supersedes":
                gone.add(key)
            elif (cond := _Condition.parse(record)) is not None:
                found.setdefault(source, []).append((key, cond))
    return {s: [(k, c) for k, c in rows if k not in gone] for s, rows in found.items()}


def limits_key(key: bytes) -> bytes:
    """The ledger key of a ``limits`` entry of the file ``key``: never the file's own key, which would say
    the file was taken whole."""
    return hashlib.blake2b(b"limits-of\x00" + key, digest_size=KEY_BYTES).digest()


@functools.lru_cache(maxsize=2)
def limited_in(snapshot: Any) -> dict[bytes, dict[str, str]]:
    """Files some of whose records a limit stopped, by :func:`limits_key`: the values of the options that
    stopped them."""
    if snapshot is None:
        return {}
    found: dict[bytes, dict[str, str]] = {}
    for path in snapshot_files(snapshot, "_ledger"):
        table = read_parquet(path, columns=["key", "record"], filters=pc.field("kind") == "limits")
        for key, record in zip(table.column("key").to_pylist(), table.column("record").to_pylist()):
            values = dict(word.partition("=")[::2] for word in (record or "").split(" ") if "=" in word)
            found.setdefault(key, {}).update(values)
    return found


def _raised(option: str, before: str, now: object) -> bool:
    """Whether ``now`` lets through more than ``before`` did (0 means no limit for the time limit)."""
    try:
        old, new = float(before), float(repr(now))
    except ValueError:
        return before != repr(now)
    if option == "html_timeout":
        return old != 0 and (new == 0 or new > old)
    return new > old


@dataclass
class _Visit:
    """One file of a shard while it is read and its pages cleaned."""

    file: Any
    key: bytes | None
    #: bytes the key is over
    size: int
    #: keys of earlier provisional rows this read replaces, unless it gives the same row again
    candidates: set[bytes] = field(default_factory=set)
    #: pages yielded and not yet cleaned; the file's entries wait for them
    pages: int = 0
    read: bool = False
    #: limit options that stopped some of its records: its key names their values
    options: set[str] = field(default_factory=set)


class InputLedger:
    """One shard's side of the ledger: which files and records to skip, and the entries its files add.

    :meth:`start` a file (False: seen whole before, skip it), :meth:`seen` for
    each record, :meth:`read` for each record taken, :meth:`finish` at the
    file's end, :meth:`cleaned` for each page once the text stage is done
    with it. Provisional entries go to ``ready`` as their rows come; a
    file's key and the rows it supersedes once its last page is cleaned, so
    a limit that stopped a page while it was cleaned names the file's key
    too, and a row the read gave again is not superseded. The caller writes
    ``ready`` with its next part (a run commits whole).
    """

    def __init__(self, snapshot: Any, config: CleanConfig,
                 ready: list[tuple[bytes, str, str, str | None]], sources: Iterable[str] | None = None) -> None:
        self.seen_keys = seen_in(snapshot)
        self.provisional = provisional_in(snapshot, sources)
        self.limited = limited_in(snapshot)
        self.config = config
        self.ready = ready
        self.superseded = 0
        self._visits: dict[str, _Visit] = {}

    def start(self, file: Any) -> bool:
        """Whether to read ``file`` (an :class:`~cleaners.io.readers.InputFile`); False: taken whole before."""
        earlier = self.provisional.get(file.source, [])
        try:
            key: bytes | None
            key, prefixes, size = file_keys(file, [c.size for _, c in earlier if not c.any])
        except OSError as exc:
            if is_transient(exc):
                raise
            key, prefixes, size = None, {}, 0  # unreadable now: read_file says why, and a later run tries again
        if key is not None and (key in self.seen_keys or self._not_raised(key)
                                or any(tagged(key, s, self.config) in self.seen_keys for s in _OPTION_SETS)):
            # taken before; a row from a time it could not be read at all (a broken link, a FIFO, unreadable)
            # is replaced all the same: the file is readable now, and its records are in the dataset
            stale = sorted(k for k, c in earlier if c.any)
            self.ready.extend((k, "supersedes", file.source, None) for k in stale)
            self.superseded += len(stale)
            return False
        visit = self._visits[file.source] = _Visit(file, key, size)
        if key is not None:
            visit.candidates = {k for k, c in earlier if c.any or (
                prefixes.get(c.size) == c.file
                and (c.option is None or repr(getattr(self.config, c.option, None)) != c.value))}
        return True

    def _not_raised(self, key: bytes) -> bool:
        """A file limits stopped before, none of which is higher now: reading it again would add nothing
        (a lower limit never takes back what a higher one let through; it would only put a record that is
        an article already into ``rejected`` as well)."""
        stopped = self.limited.get(limits_key(key))
        return stopped is not None and not any(_raised(o, v, getattr(self.config, o, None)) for o, v in stopped.items())

    def seen(self, item: Page | Rejection, key: bytes) -> bool:
        """Whether an earlier run took this record (a page a limit stopped: with these limits)."""
        if key in self.seen_keys:
            visit = self._visits.get(item.source)
            if visit is not None and visit.candidates:
                visit.candidates.discard(key)  # the same row again: it stays
            return True
        return isinstance(item, Page) and any(tagged(key, {o}, self.config) in self.seen_keys
                                              for o in _PAGE_OPTIONS)

    def read(self, item: Page | Rejection, key: bytes) -> None:
        """A record taken by this run (its ledger key is ``key``)."""
        visit = self._visits[item.source]
        if isinstance(item, Page):
            visit.pages += 1
        elif item.provisional or item.reason in LIMIT_OPTIONS or visit.candidates:  # (most rows: none of these)
            self._rejected(visit, item, key)

    def finish(self, file: Any) -> None:
        visit = self._visits[file.source]
        visit.read = True
        if visit.pages == 0:
            self._release(visit)

    def cleaned(self, page: Page, key: bytes, rejection: Rejection | None) -> bytes:
        """The ledger key of a cleaned page: its own, or bound to the limit that stopped it."""
        visit = self._visits[page.source]
        visit.pages -= 1
        if rejection is not None:
            self._rejected(visit, rejection, item_key(rejection))
            option = LIMIT_OPTIONS.get(rejection.reason)
            if option is not None:
                key = tagged(key, {option}, self.config)
        if visit.read and visit.pages == 0:
            self._release(visit)
        return key

    def _rejected(self, visit: _Visit, row: Rejection, key: bytes) -> None:
        visit.candidates.discard(key)  # the same row again: it stays
        option = LIMIT_OPTIONS.get(row.reason)
        if option is not None:
            visit.options.add(option)
        if option is None and not row.provisional:
            return
        # A row provisional in itself (a half-written last line, a bomb) is replaced by any later read of the
        # grown file; a limit row only by a read with another value of its option.
        when = ANY if visit.key is None else condition(visit.size, visit.key, None if row.provisional else option,
                                                       self.config)
        self.ready.append((item_key(row), "provisional", row.source, when))  # final now: written with the next part

    def _release(self, visit: _Visit) -> None:
        source = visit.file.source
        self.ready.extend((k, "supersedes", source, None) for k in sorted(visit.candidates))
        self.superseded += len(visit.candidates)
        if visit.key is not None:
            key = tagged(visit.key, visit.options, self.config) if visit.options else visit.key
            self.ready.append((key, "file", source, None))
            if visit.options:  # with the values that stopped it: only a higher one reads it again
                values = " ".join(f"{o}={getattr(self.config, o)!r}" for o in sorted(visit.options))
                self.ready.append((limits_key(visit.key), "limits", source, values))
        del self._visits[source]


#: The limits a page can meet while it is cleaned (its ledger key then names them).
_PAGE_OPTIONS = sorted({LIMIT_OPTIONS[r] for r in ("too_many_lines", "too_deep", "timeout")})


def provisional_entries(rows: Iterable[Rejection]) -> list[tuple[bytes, str, str, str | None]]:
    """``provisional`` entries, condition ``any``, for rows whose file no reader has opened (found missing,
    a broken link, a FIFO, a shard given up): any later read of their source replaces them."""
    return [(item_key(r), "provisional", r.source, ANY) for r in rows]
