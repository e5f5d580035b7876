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
import os
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
    name = name.removesuffix(".gz")
    return next((r for s, r in _READERS.items() if name.endswith(s)), None)


def supported_suffixes() -> list[str]:
    return sorted({s for s in _READERS} | {s + ".gz" for s in _READERS})


def discover(inputs: Iterable[str | Path]) -> tuple[list[InputFile], list[Rejection]]:
    """Expand files and directories (recursively) into input files, sorted by source.

    ``source`` is the path relative to the INPUT directory, or the file's name
    when INPUT is a file (CONTRACT.md). Nothing given is dropped without a row:
    files no reader handles are rejected (``unsupported_format``), hidden files
    and folders too (``hidden_file``, ``hidden_directory``: editors' and
    crawlers' temporary files live there), and a second copy of identical
    bytes under the same source name (``duplicate_input``). Symlinked folders
    are followed once. Sorting makes the run independent of the order INPUT
    was given in.
    """
    found: dict[tuple[str, str], InputFile] = {}
    rejected: list[Rejection] = []
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            paths = _walk(root, rejected)
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
            found[(os.path.realpath(path), source)] = InputFile(path, source, path.stat().st_size)
    files = _drop_identical_copies(sorted(found.values(), key=lambda f: (f.source, str(f.path))), rejected)
    return files, sorted(rejected, key=lambda r: (r.source, r.reason))


def _walk(root: Path, rejected: list[Rejection]) -> list[tuple[Path, str]]:
    paths: list[tuple[Path, str]] = []
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        rel = here.relative_to(root)
        real = os.path.realpath(here)
        if real in seen:  # a symlink back into a folder already read
            rejected.append(Rejection(rel.as_posix(), None, "duplicate_input",
                                      f"folder is the same as {seen[real] or '.'}, read once"))
            dirnames[:] = []
            continue
        seen[real] = rel.as_posix() if rel.parts else ""
        for name in [d for d in dirnames if d.startswith(".")]:
            rejected.append(Rejection((rel / name).as_posix(), None, "hidden_directory",
                                      "hidden folder, not read (pass it as INPUT to read it)"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            source = (rel / name).as_posix()
            if name.startswith("."):
                rejected.append(Rejection(source, None, "hidden_file",
                                          "hidden file, not read (pass it as INPUT to read it)"))
            elif (here / name).is_file():
                paths.append((here / name, source))
    return paths


def _drop_identical_copies(files: list[InputFile], rejected: list[Rejection]) -> list[InputFile]:
    """Two inputs with one source name and the same bytes would give the same ids: keep the first."""
    kept: list[InputFile] = []
    digests: dict[str, dict[str, Path]] = {}
    names = [f.source for f in files]
    for file in files:
        if names.count(file.source) > 1:
            digest = sha256(file.path.read_bytes())
            first = digests.setdefault(file.source, {}).setdefault(digest, file.path)
            if first != file.path:
                rejected.append(Rejection(file.source, None, "duplicate_input",
                                          f"{file.path} has the same name and bytes as {first}, read once"))
                continue
        kept.append(file)
    return kept


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
