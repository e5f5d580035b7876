"""``.jsonl``: one JSON object per line, read line by line (memory flat in the file's size).

Blank lines are not records. A file with no record at all (no bytes, only
blank lines) yields nothing and returns what it held ("12 lines, all blank"),
for the one ``no_records`` row :func:`cleaners.io.readers.read_file` writes.

Runs of blank lines are skipped in blocks, not line by line (a gigabyte of
newlines took 657 s one ``readline`` at a time). A gzipped file has a
decompression budget: more than :data:`_BOMB_FACTOR` times ``max_page_bytes``
of gunzipped bytes without a record (blank lines, or one line over the line
limit) ends the file with one ``too_large`` row, after the records before it
were read: a megabyte of gzip can unpack to a gigabyte of nothing. A plain
file is read to its end (its size on disk is its size).

The last line of a file that ends without a line end may be a record caught
half-written: its rejection is ``provisional``, so a later run that finds the
line completed replaces it (:mod:`cleaners.io.ledger`).
"""
from __future__ import annotations

import gzip
import json
import re
from collections.abc import Container, Generator, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from ...model import Page, Rejection
from ..readers import InputFile, nothing_found, open_binary, register_reader
from .records import page_from_record, record_id

#: A line may hold this many times the page limit: JSON escapes HTML (``\u003c`` is six bytes for one).
_LINE_FACTOR = 8
#: Gunzipped bytes without a record a gzipped file may hold, in multiples of the page limit.
_BOMB_FACTOR = 16
#: The first byte that is not ASCII whitespace (what ``bytes.strip`` removes).
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")
#: Bytes drained at once from a line over the limit.
_DRAIN = 1 << 20


class JsonlReader:
    suffixes = (".jsonl", ".ndjson")

    def read(self, file: InputFile, limit: int | None) -> Generator[Page | Rejection, None, str]:
        """One item per non-blank line; returns what the file held, for a file without a record."""
        with open_binary(file) as stream:
            gzipped = isinstance(stream, gzip.GzipFile)
            lines = _Lines.within(stream, limit)
            for row, line, whole in lines:
                if line is None:
                    item: Page | Rejection = Rejection(
                        file.source, str(row), "too_large",
                        f"line {row + 1} is over {lines.cap} bytes ({_LINE_FACTOR}x max_page_bytes), not read")
                else:
                    item = _item(line, file.source, row, limit)
                if not whole and isinstance(item, Rejection):  # the last line, without a line end: half-written?
                    item = replace(item, provisional=True,
                                   detail=item.detail + "; the file ends inside this line (a later run that finds "
                                                        "it completed replaces this row)")
                yield item
            if lines.bomb is not None:
                yield Rejection(file.source, None, "too_large", lines.bomb, provisional=True)
                return ""
            nbytes = stream.tell()  # gunzipped bytes for a gzip stream
        return nothing_found(lines.lines, lines.blank, nbytes, file.size if gzipped else None)

    def find(self, file: InputFile, limit: int | None, records: Container[str]) -> Iterator[Page | Rejection]:
        """The items of ``records`` only, as :meth:`read` gives them: the other lines are parsed for their
        ``id`` and no further (the run report looks up a few pages in large files: building every page
        before them was 3.2 of the lookup's 4.7 s at 100,000 documents). Unparsable lines are passed over."""
        with open_binary(file) as stream:
            for row, line, _ in _Lines.within(stream, limit):
                if line is None:
                    continue
                try:
                    rec = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(rec, dict) and record_id(rec.get("id"), row) in records:
                    yield page_from_record(rec, file.source, row, limit)


def _item(line: bytes, source: str, row: int, limit: int | None) -> Page | Rejection:
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return Rejection(source, str(row), "not_json",
                         f"line {row + 1}: {type(exc).__name__}: {exc}; starts {line[:60]!r}")
    if not isinstance(rec, dict):
        return Rejection(source, str(row), "not_json", f"line {row + 1} holds a JSON {type(rec).__name__}, not an object")
    return page_from_record(rec, source, row, limit)


@dataclass
class _Lines:
    """(row, line, whole) for every non-blank line: ``line`` None for one over ``cap`` bytes (skipped without
    being held), ``whole`` False for a last line without a line end. Counts every line, blank ones too.

    Past ``budget`` bytes without a record (None: no budget) it stops and says why in :attr:`bomb`.
    """

    stream: BinaryIO
    cap: int | None
    budget: int | None
    lines: int = 0
    blank: int = 0
    bomb: str | None = None

    @classmethod
    def within(cls, stream: BinaryIO, limit: int | None) -> _Lines:
        """The lines of ``stream`` under the caps a page limit sets (None: no caps): a line's bytes, and
        the bytes a gzipped stream may hold without a record."""
        gzipped = isinstance(stream, gzip.GzipFile)
        return cls(stream, None if limit is None else limit * _LINE_FACTOR,
                   limit * _BOMB_FACTOR if gzipped and limit is not None else None)

    def __iter__(self) -> Iterator[tuple[int, bytes | None, bool]]:
        stream, cap = self.stream, self.cap
        while True:
            line = stream.readline() if cap is None else stream.readline(cap + 1)
            if not line:
                return
            row = self.lines
            self.lines += 1
            if cap is not None and len(line) > cap and not line.endswith(b"\n"):
                whole = self._drain(len(line), row)
                if whole is None:
                    return
                yield row, None, whole
                continue
            if row == 0:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():  # blank lines are not records (they still count as rows)
                self.blank += 1
                if not self._skip_blank_lines(len(line)):
                    return
                continue
            yield row, line, line.endswith(b"\n")

    def _skip_blank_lines(self, run: int) -> bool:
        """Pass over the blank lines that follow a blank line in blocks (``peek`` and C-speed scans, not a
        ``readline`` each); False when the run of ``run`` blank bytes so far passes the budget."""
        start = self.lines
        while self.budget is None or run <= self.budget:
            ahead = self.stream.peek(_DRAIN)  # type: ignore[attr-defined]  # (gzip and buffered files peek)
            first = _NOT_BLANK.search(ahead)
            end = ahead.rfind(b"\n", 0, first.start() if first else len(ahead)) + 1  # past the last blank line
            if end == 0:
                return True  # content (or a blank piece without its line end) is next: readline takes it
            newlines = ahead.count(b"\n", 0, end)
            self.stream.read(end)
            self.lines += newlines
            self.blank += newlines
            run += end
            if first is not None and (self.budget is None or run <= self.budget):
                return True
        self.bomb = (f"{self.lines - start + 1} blank lines from line {start} on: over {self.budget} gunzipped "
                     f"bytes without a record ({_BOMB_FACTOR}x max_page_bytes), a decompression bomb? The rest "
                     "of the file is not read; the lines before were")
        return False

    def _drain(self, held: int, row: int) -> bool | None:
        """Read past the rest of a line over the limit: whether it had a line end (False: the file ended in
        it), or None when it runs past the budget (the file stops)."""
        size = held
        while rest := self.stream.readline(_DRAIN):
            if rest.endswith(b"\n"):
                return True
            size += len(rest)
            if self.budget is not None and size > self.budget:
                self.bomb = (f"line {row + 1} runs over {self.budget} gunzipped bytes without a line end "
                             f"({_BOMB_FACTOR}x max_page_bytes), a decompression bomb? The rest of the file is "
                             "not read; the lines before were")
                return None
        return False


register_reader(JsonlReader())
