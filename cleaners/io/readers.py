"""Reading inputs: find files, open them (gzip or not), turn records into pages.

Formats are plug-ins: a :class:`Reader` names the suffixes it handles and
yields :class:`~cleaners.model.Page` or :class:`~cleaners.model.Rejection`
for each record, never raising for bad input. Adding HTML, JSONL, Parquet or
WARC means writing one more reader and registering it; discovery, gzip,
sharding and the conservation rule stay as they are.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..model import Page, Rejection

#: Bytes that mark a file as binary rather than text (NUL never occurs in text).
_BINARY_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to read, with the ``source`` name the output will carry."""

    path: Path
    source: str
    size: int


class Reader(Protocol):
    """Turns one input file into pages; bad records become rejections, never exceptions."""

    suffixes: tuple[str, ...]

    def read(self, file: InputFile) -> Iterator[Page | Rejection]: ...


_READERS: dict[str, Reader] = {}


def register_reader(reader: Reader) -> Reader:
    for suffix in reader.suffixes:
        _READERS[suffix] = reader
    return reader


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return next((r for s, r in _READERS.items() if name.endswith(s)), None)


def supported_suffixes() -> list[str]:
    return sorted({s for s in _READERS} | {s + ".gz" for s in _READERS})


def discover(inputs: Iterable[str | Path]) -> tuple[list[InputFile], list[Rejection]]:
    """Expand files and directories (recursively) into input files, sorted by source.

    ``source`` is the path relative to the INPUT directory, or the file's name
    when INPUT is a file (CONTRACT.md). Files no reader handles are rejected
    with ``unsupported_format`` so that nothing given is ignored silently;
    hidden files and folders are skipped. Sorting makes the run independent of
    the order INPUT was given in.
    """
    found: dict[tuple[str, str], InputFile] = {}
    rejected: list[Rejection] = []
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            paths = [(p, p.relative_to(root).as_posix()) for p in root.rglob("*")
                     if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)]
        elif root.is_file():
            paths = [(root, root.name)]
        else:
            rejected.append(Rejection(str(raw), None, "not_found", f"input {raw!s} does not exist"))
            continue
        for path, source in paths:
            if reader_for(path) is None:
                rejected.append(Rejection(source, None, "unsupported_format",
                                          f"no reader for {path.name!r}; accepted: "
                                          + ", ".join(supported_suffixes())))
                continue
            found[(str(path.resolve()), source)] = InputFile(path, source, path.stat().st_size)
    files = sorted(found.values(), key=lambda f: (f.source, str(f.path)))
    return files, sorted(rejected, key=lambda r: r.source)


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it is gzip (by magic number, not only by name)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


def read_file(file: InputFile) -> Iterator[Page | Rejection]:
    """Pages of one file through its reader; any reader failure becomes one rejection."""
    reader = reader_for(file.path)
    if reader is None:  # discover() filters these; kept for direct callers
        yield Rejection(file.source, None, "unsupported_format", f"no reader for {file.path.name!r}")
        return
    try:
        yield from reader.read(file)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Rejection(file.source, None, "read_error", f"{type(exc).__name__}: {exc}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TextReader:
    """``.txt`` (and ``.txt.gz``): one flattened page per file, UTF-8.

    Non-UTF-8 text is rejected with ``decode_error`` for now; charset
    detection belongs to the bad-input work and plugs in here.
    """

    suffixes = (".txt",)

    def read(self, file: InputFile) -> Iterator[Page | Rejection]:
        data = read_bytes(file.path)
        if b"\x00" in data[:_BINARY_SNIFF]:
            yield Rejection(file.source, None, "not_text", "file holds NUL bytes: binary, not text")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield Rejection(file.source, None, "decode_error", f"not valid UTF-8: {exc}")
            return
        yield Page(source=file.source, record=None, text=text, content_sha=sha256(data))


register_reader(TextReader())
