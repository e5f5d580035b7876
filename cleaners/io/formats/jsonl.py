"""``.jsonl``: one JSON object per line, read line by line (memory flat in the file's size).

Blank lines are not records. A file with no record at all (no bytes, only
blank lines) yields nothing and returns what it held ("12 lines, all blank"),
for the one ``no_records`` row :func:`cleaners.io.readers.read_file` writes.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Generator, Iterator
from typing import BinaryIO

from ...model import Page, Rejection
from ..readers import InputFile, nothing_found, open_binary, register_reader
from .records import page_from_record

#: A line may hold this many times the page limit: JSON escapes HTML (``\u003c`` is six bytes for one).
_LINE_FACTOR = 8


class JsonlReader:
    suffixes = (".jsonl", ".ndjson")

    def read(self, file: InputFile, limit: int | None) -> Generator[Page | Rejection, None, str]:
        """One item per non-blank line; returns what the file held, for a file without a record."""
        cap = None if limit is None else limit * _LINE_FACTOR
        lines = blank = 0
        with open_binary(file.path) as stream:
            gzipped = isinstance(stream, gzip.GzipFile)
            for row, line in _lines(stream, cap):
                lines += 1
                if line is None:
                    yield Rejection(file.source, str(row), "too_large",
                                    f"line {row + 1} is over {cap} bytes ({_LINE_FACTOR}x max_page_bytes), not read")
                    continue
                if not line.strip():
                    blank += 1
                    continue  # blank lines are not records (they still count as rows)
                try:
                    rec = json.loads(line)
                except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                    yield Rejection(file.source, str(row), "not_json",
                                    f"line {row + 1}: {type(exc).__name__}: {exc}; starts {line[:60]!r}")
                    continue
                if not isinstance(rec, dict):
                    yield Rejection(file.source, str(row), "not_json",
                                    f"line {row + 1} holds a JSON {type(rec).__name__}, not an object")
                    continue
                yield page_from_record(rec, file.source, row, limit)
            nbytes = stream.tell()  # gunzipped bytes for a gzip stream
        return nothing_found(lines, blank, nbytes, file.size if gzipped else None)


def _lines(stream: BinaryIO, cap: int | None) -> Iterator[tuple[int, bytes | None]]:
    """(row, line) pairs; None for a line over ``cap`` bytes, which is skipped without being held."""
    row = 0
    while True:
        line = stream.readline() if cap is None else stream.readline(cap + 1)
        if not line:
            return
        if cap is not None and len(line) > cap and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield row, None
        else:
            yield row, line.removeprefix(b"\xef\xbb\xbf") if row == 0 else line
        row += 1


register_reader(JsonlReader())
