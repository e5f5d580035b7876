"""How much of a Parquet row group can be read safely, from its metadata and its page headers.

pyarrow decodes a column one page at a time, and a page holds at least one
value whole: a 1 GiB cell is a page of 1 GiB, decompressed before any check
on the value can run. So before a row group is read, the reader asks here:

- when the columns it reads hold at most one page limit in all (the column
  chunk sizes in the footer say so), the whole row group is safe;
- otherwise the header of every page of those columns is read (a few dozen
  bytes each, Thrift compact protocol; the pages themselves are skipped) to
  find the first page that is over the limit (compressed or not), or larger
  than its values times ``max_page_bytes`` (so one of them must be larger:
  a 1 GiB cell is a page of one value). The rows before it are read, in
  batches small enough that a batch holds at most about one page limit; the
  rows of that page and the rest of the row group are not (pyarrow cannot
  skip a page), and become ``too_large`` rows.

A dictionary page over the limit stops the whole row group (every row may
need it).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyarrow.parquet as pq

#: The largest page header read (page statistics can make one long; pyarrow's own limit is far larger).
_MAX_HEADER = 1 << 20
_FIRST_READ = 1 << 12
#: Page types (parquet.thrift PageType).
_DICTIONARY_PAGE = 2


@dataclass(frozen=True)
class Limits:
    #: the largest page (compressed or not) read, in bytes; None: no limit
    page: int | None
    #: the largest value (max_page_bytes): a page larger than this many times its values must hold a larger one
    value: int | None
    #: the most rows a batch holds
    batch_rows: int


@dataclass
class RowGroupPlan:
    rows: int
    #: rows read from the start of the row group; the rest sit at or behind a page over the limit
    readable: int
    batch_rows: int
    #: columns whose pages stop the reading, and what stopped it
    oversized_columns: set[str] = field(default_factory=set)
    reason: str = ""

    def detail(self, row: int) -> str:
        return (f"{self.reason}; pyarrow cannot read past that page without holding it whole, so rows "
                f"{self.readable + 1}-{self.rows} of the row group are not read (this is row {row + 1} of the file)")


#: Bytes of a page that are not its values (levels, lengths) allowed on top of values x max_page_bytes.
_PAGE_OVERHEAD = 1 << 16


@dataclass(frozen=True)
class _Page:
    first_row: int | None  # None: unknown (a repeated column)
    uncompressed: int
    compressed: int
    dictionary: bool
    values: int | None = None  # values (or dictionary entries) it holds, when its header says


def plan_row_group(pf: pq.ParquetFile, source: str | BinaryIO, group: int, columns: list[str],
                   limits: Limits) -> RowGroupPlan:
    """Which rows of row group ``group`` can be read within ``limits``, and in batches of how many rows."""
    meta = pf.metadata.row_group(group)
    rows = meta.num_rows
    if limits.page is None:
        return RowGroupPlan(rows, rows, limits.batch_rows)
    schema = pf.metadata.schema
    leaves = {name: [j for j in range(meta.num_columns)
                     if schema.column(j).path == name or schema.column(j).path.startswith(name + ".")]
              for name in columns}
    chunks = [(name, j) for name, js in leaves.items() for j in js]
    total = sum(max(meta.column(j).total_uncompressed_size, meta.column(j).total_compressed_size)
                for _, j in chunks)
    if total <= limits.page:  # everything read from this row group fits in one limit
        return RowGroupPlan(rows, rows, limits.batch_rows)
    plan = RowGroupPlan(rows, rows, limits.batch_rows)
    per_row = 0  # the most bytes one row can hold: a value is never larger than its page
    with _reader(source) as read_at:
        for name, j in chunks:
            chunk = meta.column(j)
            repeated = schema.column(j).max_repetition_level > 0
            pages = list(_pages(read_at, chunk, repeated))
            per_row += max((max(p.uncompressed, p.compressed) for p in pages), default=0)
            for page in pages:
                size = max(page.uncompressed, page.compressed)
                if size <= limits.page and (limits.value is None or page.values is None
                                            or size <= max(1, page.values) * limits.value + _PAGE_OVERHEAD):
                    continue
                stop = 0 if page.dictionary or page.first_row is None else page.first_row
                if stop < plan.readable:
                    plan.readable = stop
                    kind = "dictionary page" if page.dictionary else "page"
                    over = (f"over the limit of {limits.page} (64x max_page_bytes)" if size > limits.page else
                            f"so one of its {page.values} values is over max_page_bytes ({limits.value})")
                    plan.reason = f"column `{name}` of row group {group} holds a {kind} of {size} bytes, {over}"
                plan.oversized_columns.add(name)
                break
    plan.batch_rows = max(1, min(limits.batch_rows, limits.page // max(1, per_row)))
    return plan


class _reader:
    """``read_at(offset, n)`` over a path or an open file, without moving what pyarrow reads from."""

    def __init__(self, source: str | BinaryIO) -> None:
        self.source = source
        self.fd: int | None = None
        self.own = False

    def __enter__(self) -> Any:
        if isinstance(self.source, str):
            self.fd = os.open(self.source, os.O_RDONLY | os.O_CLOEXEC)
            self.own = True
        else:
            self.fd = self.source.fileno()
        fd = self.fd
        return lambda offset, n: os.pread(fd, n, offset)

    def __exit__(self, *exc: object) -> None:
        if self.own and self.fd is not None:
            os.close(self.fd)


def _pages(read_at: Any, chunk: Any, repeated: bool) -> Iterator[_Page]:
    """The pages of one column chunk, from their headers (the page data is skipped)."""
    start = chunk.data_page_offset
    if chunk.has_dictionary_page and chunk.dictionary_page_offset and chunk.dictionary_page_offset < start:
        start = chunk.dictionary_page_offset
    end = start + chunk.total_compressed_size
    position = start
    row: int | None = 0  # None once the rows are not known (a repeated column)
    while position < end:
        header, length = _header(read_at, position)
        kind, uncompressed, compressed = header.get(1), header.get(2), header.get(3)
        if not isinstance(uncompressed, int) or not isinstance(compressed, int) or compressed < 0:
            raise ValueError(f"the page header at byte {position} does not parse")
        if kind == _DICTIONARY_PAGE:
            entries = (header.get(7) or {}).get(1)
            yield _Page(0, uncompressed, compressed, True, entries if isinstance(entries, int) else None)
        else:
            body = header.get(8) or header.get(5) or {}
            values = body.get(1) if isinstance(body.get(1), int) else None
            # rows this page holds: a v2 page says; a v1 page counts values, rows only in a flat column
            rows = body.get(3) if 8 in header else None if repeated else values
            yield _Page(row, uncompressed, compressed, False, values)
            row = row + rows if row is not None and isinstance(rows, int) else None
        position += length + compressed


def _header(read_at: Any, position: int) -> tuple[dict[int, Any], int]:
    size = _FIRST_READ
    while True:
        buf = read_at(position, size)
        try:
            return _struct(buf, 0, 0)
        except IndexError:  # the header runs past what was read
            if len(buf) < size or size >= _MAX_HEADER:
                raise ValueError(f"the page header at byte {position} is cut or longer than {_MAX_HEADER} bytes")
            size *= 8


# Thrift compact protocol: just enough to read a PageHeader (ints and nested structs; the rest skipped).
def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ValueError("a varint in a page header does not end")


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _value(buf: bytes, pos: int, kind: int, depth: int) -> tuple[Any, int]:
    if kind in (1, 2):  # booleans live in the type nibble
        return kind == 1, pos
    if kind == 3:
        return buf[pos], pos + 1
    if kind in (4, 5, 6):
        raw, pos = _varint(buf, pos)
        return _zigzag(raw), pos
    if kind == 7:
        return None, pos + 8
    if kind == 8:
        length, pos = _varint(buf, pos)
        if pos + length > len(buf):
            raise IndexError("binary past the buffer")
        return None, pos + length
    if kind in (9, 10):
        head = buf[pos]
        pos += 1
        size, item = head >> 4, head & 0x0F
        if size == 15:
            size, pos = _varint(buf, pos)
        if size > len(buf):
            raise ValueError("a list in a page header is longer than the header")
        for _ in range(size):
            _, pos = _value(buf, pos, item, depth)
        return None, pos
    if kind == 11:
        size, pos = _varint(buf, pos)
        if size > len(buf):
            raise ValueError("a map in a page header is longer than the header")
        if size:
            types = buf[pos]
            pos += 1
            for _ in range(size):
                _, pos = _value(buf, pos, types >> 4, depth)
                _, pos = _value(buf, pos, types & 0x0F, depth)
        return None, pos
    if kind == 12:
        return _struct(buf, pos, depth + 1)
    raise ValueError(f"unknown Thrift type {kind} in a page header")


def _struct(buf: bytes, pos: int, depth: int) -> tuple[dict[int, Any], int]:
    if depth > 8:
        raise ValueError("a page header nests deeper than any PageHeader")
    fields: dict[int, Any] = {}
    field_id = 0
    while True:
        head = buf[pos]
        pos += 1
        if head == 0:
            return fields, pos
        delta, kind = head >> 4, head & 0x0F
        if delta:
            field_id += delta
        else:
            raw, pos = _varint(buf, pos)
            field_id = _zigzag(raw)
        fields[field_id], pos = _value(buf, pos, kind, depth)
