"""``.parquet``: records in batches of rows, only the columns the pipeline uses.

Memory is bounded by one row group (how the file was written), not the file.
A gzipped Parquet file (unusual, but crawlers' upload steps do it) is
unpacked to a temporary file first: Parquet needs random access.

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

import shutil
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ...model import Page, Rejection
from ..readers import InputFile, open_binary, register_reader
from .records import BODY_FIELDS, META_FIELDS, page_from_record

_BATCH_ROWS = 256


class ParquetReader:
    suffixes = (".parquet",)

    def read(self, file: InputFile, limit: int | None) -> Generator[Page | Rejection, None, str]:
        """One item per row; returns what the file held, for a file without a row."""
        with _seekable(file.path) as path:
            if path.stat().st_size == 0:  # a file the exporter created and never wrote: empty, not broken
                return "0 records in 0 bytes" + (f" (gunzipped from {file.size} bytes)" if path != file.path else "")
            pf = pq.ParquetFile(path)
            names = set(pf.schema_arrow.names)
            if not names & set(BODY_FIELDS):
                yield Rejection(file.source, None, "no_text",
                                f"no `text` or `html` column in {pf.metadata.num_rows} rows "
                                f"(columns: {', '.join(sorted(names)) or 'none'})")
                return ""
            wanted = [c for c in ("id", *META_FIELDS, *BODY_FIELDS) if c in names]
            row = 0
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
                columns = {name: _values(batch.column(name), body=name in BODY_FIELDS) for name in wanted}
                for i in range(batch.num_rows):
                    yield page_from_record({k: v[i] for k, v in columns.items()}, file.source, row, limit)
                    row += 1
            if row < pf.metadata.num_rows:
                yield Rejection(file.source, None, "read_error",
                                f"the footer counts {pf.metadata.num_rows} rows but the column data held {row} "
                                "(those were read): a damaged page header")
            groups = pf.metadata.num_row_groups
            return f"0 rows in {groups} row group{'s' if groups != 1 else ''} (columns: {', '.join(sorted(names))})"


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
def _seekable(path: Path) -> Iterator[Path]:
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    if not gzipped:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=".parquet") as tmp:
        with open_binary(path) as stream:
            shutil.copyfileobj(stream, tmp, 1 << 20)
        tmp.flush()
        yield Path(tmp.name)


register_reader(ParquetReader())
