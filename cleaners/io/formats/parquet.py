"""``.parquet``: records in batches of rows, only the columns the pipeline uses.

Memory is bounded by the page limit, not by the file or how it was written:
before a row group is read, the sizes its metadata gives (and, for a large
one, the header of every page of the columns read: :mod:`._pages`) say how
many rows a batch may hold, and a page that must hold a value over
``max_page_bytes`` (its bytes over that many times its values), or that is
over :data:`_PAGE_FACTOR` times ``max_page_bytes`` (320 MB by default), is
never decoded: a 1 GiB cell took 4.4 GB before its record was rejected.
pyarrow cannot skip a page, so the rows of that page and the rest of its row
group become ``too_large`` rows (the rows before it are read). Column data is
read as it is decoded (no pre-buffering of whole column chunks).

A gzipped Parquet file (unusual, but crawlers' upload steps do it) is unpacked
into an anonymous temporary file (Parquet needs random access; the file has
no name, so a killed run leaves nothing behind), and only up to a budget: more
than :data:`_SPOOL_RATIO` times its compressed size (and more than
:data:`_SPOOL_FLOOR` times ``max_page_bytes``) is a decompression bomb, one
``too_large`` row for the file (a 2 MB one wrote 2 GB to TMPDIR).

One bad value costs only its record: pyarrow turns a whole batch into Python
or nothing, so a string that is not UTF-8 or a date Python cannot hold would
otherwise end the file (see :func:`_values`). Rows the footer counts but the
column data does not hold (a damaged page header, which pyarrow passes over
quietly) end the file with a ``read_error``, so no record goes missing unsaid.
A file of zero rows (or of no bytes at all) yields nothing and returns what it
held, for the one ``no_records`` row :func:`cleaners.io.readers.read_file`
writes.
"""
from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from ...model import Page, Rejection
from ..readers import InputFile, open_binary, open_raw, register_reader
from ._pages import Limits, plan_row_group
from .records import BODY_FIELDS, META_FIELDS, page_from_record, record_id

_BATCH_ROWS = 256
#: A page (compressed or not) may hold this many times the page limit; a larger one is not read. pyarrow
#: writes 1,024 values a page whatever their size, so pages of 100 KB HTML pages are 100 MB: a smaller
#: factor would refuse ordinary exports.
_PAGE_FACTOR = 64
#: A gzipped Parquet file may unpack to this many times its size, and to this many page limits in any case.
_SPOOL_RATIO = 32
_SPOOL_FLOOR = 16
#: Bytes pyarrow reads at once from a column chunk (instead of pre-buffering the whole chunk).
_BUFFER = 1 << 20


class ParquetReader:
    suffixes = (".parquet",)

    def read(self, file: InputFile, limit: int | None) -> Generator[Page | Rejection, None, str]:
        """One item per row; returns what the file held, for a file without a row."""
        budget = None if limit is None else max(_SPOOL_FLOOR * limit, _SPOOL_RATIO * file.size)
        with _seekable(file, budget) as spooled:
            if isinstance(spooled, Rejection):
                yield Rejection(file.source, None, "too_large", spooled.detail, provisional=True)
                return ""
            source, size = spooled
            if size == 0:  # a file the exporter created and never wrote: empty, not broken
                return "0 records in 0 bytes" + ("" if isinstance(source, str) else f" (gunzipped from {file.size} bytes)")
            pf = pq.ParquetFile(source, pre_buffer=False, buffer_size=_BUFFER)
            names = set(pf.schema_arrow.names)
            if not names & set(BODY_FIELDS):
                yield Rejection(file.source, None, "no_text",
                                f"no `text` or `html` column in {pf.metadata.num_rows} rows "
                                f"(columns: {', '.join(sorted(names)) or 'none'})")
                return ""
            wanted = [c for c in ("id", *META_FIELDS, *BODY_FIELDS) if c in names]
            limits = Limits(None if limit is None else limit * _PAGE_FACTOR, limit, _BATCH_ROWS)
            row = 0
            for group in range(pf.metadata.num_row_groups):
                plan = plan_row_group(pf, source, group, wanted, limits)
                for batch in _batches(pf, group, wanted, plan.batch_rows, plan.readable):
                    columns = {name: _values(batch.column(name), body=name in BODY_FIELDS) for name in wanted}
                    for i in range(batch.num_rows):
                        yield page_from_record({k: v[i] for k, v in columns.items()}, file.source, row, limit)
                        row += 1
                if plan.readable < plan.rows:  # a page too large to hold: the rest of the row group is not read
                    ids = _ids(pf, group, plan.readable, "id" in wanted and "id" not in plan.oversized_columns)
                    for n in range(plan.readable, plan.rows):
                        record = record_id(ids[n - plan.readable] if ids else None, row)
                        yield Rejection(file.source, record, "too_large", plan.detail(n))
                        row += 1
            if row < pf.metadata.num_rows:
                yield Rejection(file.source, None, "read_error",
                                f"the footer counts {pf.metadata.num_rows} rows but the column data held {row} "
                                "(those were read): a damaged page header")
            groups = pf.metadata.num_row_groups
            return f"0 rows in {groups} row group{'s' if groups != 1 else ''} (columns: {', '.join(sorted(names))})"


def _batches(pf: pq.ParquetFile, group: int, columns: list[str], batch_rows: int,
             rows: int) -> Iterator[pa.RecordBatch]:
    """The first ``rows`` rows of a row group, ``batch_rows`` at a time; pages after them are never decoded."""
    if rows <= 0:
        return
    left = rows
    for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[group], columns=columns, use_threads=False):
        if batch.num_rows >= left:
            yield batch.slice(0, left)
            return
        left -= batch.num_rows
        yield batch


def _ids(pf: pq.ParquetFile, group: int, skip: int, readable: bool) -> list[Any]:
    """The ``id`` column of a row group from row ``skip`` on (an empty list when it cannot be read safely)."""
    if not readable:
        return []
    found: list[Any] = []
    for batch in pf.iter_batches(batch_size=65_536, row_groups=[group], columns=["id"], use_threads=False):
        found.extend(_values(batch.column("id"), body=False))
    return found[skip:]


def _values(column: pa.Array, body: bool) -> list[Any]:
    """The column's values as Python objects, a value Python cannot take costing only itself.

    A "string" value that is not UTF-8 (a writer that stored Latin-1 bytes as
    strings) is passed on as bytes when it is a page body, so it is decoded
    like any bytes (:mod:`cleaners.io.decode`), and with U+FFFD for what does
    not decode in the other fields. Nanosecond timestamps are cut to
    microseconds (Python's resolution); a date or time out of Python's range
    (past year 9999) is None; a time zone Python does not know is read as UTC.
    """
    if pa.types.is_timestamp(column.type) and column.type.unit == "ns":
        column = column.cast(pa.timestamp("us", column.type.tz), safe=False)
    try:
        return column.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):  # UnicodeDecodeError and ArrowInvalid are ValueErrors
        pass
    except LookupError:  # a time zone this machine's tz database lacks: the same instants, in UTC
        if not pa.types.is_timestamp(column.type):
            raise
        return _values(column.cast(pa.timestamp(column.type.unit, "UTC")), body)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) \
            or pa.types.is_string_view(column.type):
        return [None if v is None else _text(v, body) for v in column.cast(pa.large_binary()).to_pylist()]
    values: list[Any] = []
    for scalar in column:
        try:
            values.append(scalar.as_py())
        except (ValueError, OverflowError, pa.ArrowException):
            values.append(None)
    return values


def _text(value: bytes, body: bool) -> str | bytes:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value if body else value.decode("utf-8", "replace")


@contextmanager
def _seekable(file: InputFile, budget: int | None) -> Iterator[tuple[str | BinaryIO, int] | Rejection]:
    """The file to hand pyarrow and its size: the path (an object at a URL: its open stream, which seeks),
    or for gzip an anonymous temporary file holding the gunzipped bytes; a :class:`Rejection` (its detail
    only) when they run past ``budget`` bytes."""
    with open_raw(file) as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        size = raw.seek(0, 2)
        if not gzipped and file.url is not None:
            raw.seek(0)
            yield raw, size
            return
    if not gzipped:
        yield str(file.path), size
        return
    with tempfile.TemporaryFile() as tmp, open_binary(file) as stream:  # no name: nothing left by a kill
        copied = 0
        while block := stream.read(_BUFFER):
            copied += len(block)
            if budget is not None and copied > budget:
                yield Rejection("", None, "too_large",
                                f"the file gunzips to more than {budget} bytes ({_SPOOL_RATIO}x its {size} bytes, "
                                f"at least {_SPOOL_FLOOR}x max_page_bytes): not unpacked, a decompression bomb?")
                return
            tmp.write(block)
        tmp.flush()
        tmp.seek(0)
        yield tmp, copied


register_reader(ParquetReader())
