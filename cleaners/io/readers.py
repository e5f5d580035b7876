"""Reading inputs: find files, open them (gzip or not), turn records into pages.

Formats are plug-ins (:mod:`cleaners.io.formats`): a :class:`Reader` names
the suffixes it handles and yields :class:`~cleaners.model.Page` or
:class:`~cleaners.model.Rejection` for each record. Adding a format means
writing one more reader and registering it; discovery, gzip, size limits,
sharding and the conservation rule stay as they are.
"""
from __future__ import annotations

import errno
import gzip
import hashlib
import os
import stat
import threading
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePath, PurePosixPath
from typing import BinaryIO, Protocol

from ..faults import is_transient
from ..model import Page, Rejection
from . import remote
from .decode import DecodeError, decode_bytes, text_after_bom, utf16_without_bom

#: Bytes looked at to tell binary from text (NUL never occurs in text).
_BINARY_SNIFF = 8192
#: Control bytes no text encoding but UTF-16/32 uses, and the share of them that makes data binary.
_BINARY_BYTES = bytes([*range(9), *range(14, 27), 28, 29, 30, 31])
_BINARY_SHARE = 0.02
#: Leading bytes of binary files that crawlers save under page names.
_MAGIC = ((b"%PDF", "PDF"), (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
          (b"PK\x03\x04", "ZIP archive"), (b"RIFF", "RIFF media"), (b"\x1f\x8b", "gzip data"))


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to read, with the ``source`` name the output will carry.

    ``path`` is absolute when :func:`discover` made it, so it stays valid in
    another process with another working directory (a Dask worker). An object
    at an fsspec URL (:mod:`.remote`) has its ``url``; its ``path`` is then the
    URL's path part, for what looks only at names.
    """

    path: PurePath
    source: str
    size: int
    url: str | None = None

    @property
    def where(self) -> str:
        """The file as messages name it: its URL or its path."""
        return self.url if self.url is not None else str(self.path)


class Reader(Protocol):
    """Turns one input file into pages; bad records become rejections.

    ``limit`` is the largest page in bytes (None: no limit); a larger record is
    a ``too_large`` rejection and is never held whole in memory. A reader may
    raise on a broken file: :func:`read_file` turns that into one rejection.
    A reader of many records may *return* (a generator's return value) a few
    words on what it found, for the ``no_records`` row of a file that held no
    record at all ("12 lines, all blank", "0 rows"); :func:`read_file` writes
    that row, so a file never vanishes without one.
    """

    @property
    def suffixes(self) -> tuple[str, ...]: ...

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]: ...


_READERS: dict[str, Reader] = {}


def register_reader(reader: Reader) -> Reader:
    for suffix in reader.suffixes:
        _READERS[suffix] = reader
    return reader


def builtin_reader_for(path: PurePath) -> bool:
    """Whether ``path`` is read by one of this package's readers (or none): a worker process has those only.

    A reader the calling program registered at run time (:func:`register_reader`)
    exists in that program's process alone, so shards with its files stay
    there (:mod:`cleaners.parallel`).
    """
    reader = reader_for(path)
    return reader is None or type(reader).__module__.startswith("cleaners.")


def reader_for(path: PurePath) -> Reader | None:
    name = path.name.lower()
    name = name.removesuffix(".gz")
    return next((r for s, r in _READERS.items() if name.endswith(s)), None)


def supported_suffixes() -> list[str]:
    return sorted({s for s in _READERS} | {s + ".gz" for s in _READERS})


def discover(inputs: Iterable[str | Path], *, follow_links: bool = False,
             exclude: Iterable[str | Path] = ()) -> tuple[list[InputFile], list[Rejection]]:
    """Expand files and directories (recursively) into input files, sorted by source.

    ``source`` names a file in the output (:func:`source_base` says how):
    with one INPUT, the path relative to that directory, or the file's name
    when INPUT is a file (CONTRACT.md); with several, the path relative to
    the deepest directory that holds them all, so ``a/page.txt`` and
    ``b/page.txt`` stay apart (the name is what ids hash). Every
    :attr:`InputFile.path` is absolute. Nothing given is dropped without a
    row: a path that does not exist is ``not_found`` (its source the path as
    given), files no reader handles are rejected (``unsupported_format``),
    hidden files and folders too (``hidden_file``, ``hidden_directory``:
    editors' and crawlers' temporary files live there), and a second copy of
    identical bytes under the same source name (``duplicate_input``).

    Only regular files are read: a FIFO, socket or device (a link to
    ``/dev/zero`` or ``/dev/urandom``) never ends, and is ``not_regular_file``;
    a symlink whose target is missing, or a loop of links, is ``broken_link``.
    A symlink inside an INPUT folder is followed when its target lies inside
    one of the INPUTs (a linked folder once: a folder reached twice is read
    once); one that leads out of every INPUT is ``outside_input`` and not read
    (``/etc/passwd`` is not an article), unless ``follow_links``. An INPUT
    itself may be a link: naming it is the choice. A file reached twice
    under one name (a folder and a file inside it, both given) is read once.
    Sorting makes the run independent of the order INPUT was given in.

    ``exclude``: paths never read, nor anything below them (the run's own
    output, :func:`cleaners.io.writer.not_input`); each one met is one
    ``own_output`` row, compared by real path, so a link to it is one too.

    An INPUT may be an fsspec URL (``s3://bucket/crawl/``): its objects are
    listed and named by the same rules (:mod:`.remote`, which says how URLs
    of several buckets, or beside local paths, are kept apart).
    """
    given = [remote.local_path(str(raw)) for raw in inputs]
    urls = [raw for raw in given if remote.is_url(raw)]
    given = [raw for raw in given if not remote.is_url(raw)]
    found: dict[tuple[str, str], InputFile] = {}
    rejected: list[Rejection] = []
    own_urls = [(str(e).rstrip("/"), remote.location(str(e))) for e in exclude if remote.is_url(str(e))]
    own_names: dict[str, None] = {}  # the sources an output at a URL has inside URL INPUTs
    for file in _url_files(urls, bool(given), rejected):
        store, key = remote.location(file.where) if own_urls else ("", "")
        hit = next((u for u, (s, k) in own_urls if s == store and (key == k or key.startswith(k + "/"))), None)
        if hit is not None:  # named as the input names the entry: its source up to the entry's own name
            tail = key[len(remote.location(hit)[1]):]
            prefix = file.source[: len(file.source) - len(tail)] if len(tail) < len(file.source) else ""
            own_names.setdefault(prefix or hit.rsplit("/", 1)[-1])
            continue
        _add(found, rejected, file, file.where)
    if own_names:  # one row per output met, and none for what it holds (its hidden staging folder)
        rejected = [r for r in rejected if not any(r.source == n or r.source.startswith(n + "/") for n in own_names)]
        rejected += [Rejection(name, None, "own_output", OWN_OUTPUT) for name in own_names]
    roots = [Path(raw).absolute() for raw in given]
    base = source_base(roots)
    inside = _Inside(roots, follow_links)
    own = _Inside([Path(e) for e in exclude if not remote.is_url(str(e))], False)
    for raw, root in zip(given, roots):
        name = _relative(root, base) if base is not None else root.name
        kind, detail, real, size = _what_is(root)
        if own.reals and own(real):
            rejected.append(Rejection(name or str(raw), None, "own_output", OWN_OUTPUT))
            continue
        if kind == "dir":
            paths = _walk(root, real, rejected, _relative(root, base) if base is not None else "", inside, own)
        elif kind == "file":
            paths = [(root, name, real, size)]
        elif kind == "missing":
            rejected.append(Rejection(str(raw), None, "not_found", f"input {raw!s} does not exist"))
            continue
        else:  # a broken link, a FIFO or a device given as INPUT
            rejected.append(_not_a_file(name or str(raw), kind, f"input {raw!s}: {detail}"))
            continue
        for path, source, real, size in paths:
            _add(found, rejected, InputFile(path, printable_name(source), size), real)
    files = _one_per_name(_drop_identical_copies(sorted(found.values(), key=lambda f: (f.source, f.where)),
                                                 rejected), rejected)
    rejected = [replace(r, source=printable_name(r.source), detail=printable_name(r.detail)) for r in rejected]
    return files, sorted(rejected, key=lambda r: (r.source, r.reason))


def _url_files(urls: Sequence[str], with_paths: bool, rejected: list[Rejection]) -> list[InputFile]:
    """The objects at or under URL INPUTs, named as :func:`discover` names them beside ``with_paths``."""
    base = remote.remote_base(urls, with_paths)
    return [InputFile(key, printable_name(source), size, where)
            for url in dict.fromkeys(urls) for where, key, source, size in remote.list_url(url, base, rejected)]


def _add(found: dict[tuple[str, str], InputFile], rejected: list[Rejection], file: InputFile, real: str) -> None:
    """Take a file a reader handles (once per real path and name); reject the others."""
    if reader_for(file.path) is None:
        rejected.append(Rejection(file.source, None, "unsupported_format",
                                  f"no reader for {file.path.name!r}; accepted: " + ", ".join(supported_suffixes())))
        return
    found[(real, file.source)] = file


class _Inside:
    """Which targets a symlink inside an INPUT folder may lead to: inside an INPUT (or anywhere, when following)."""

    def __init__(self, roots: Sequence[Path], follow_links: bool) -> None:
        self.follow = follow_links
        self.reals = sorted({os.path.realpath(root) for root in roots})

    def __call__(self, real: str) -> bool:
        return self.follow or any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.reals)


#: The detail of an ``own_output`` row (the same every run, so the row is written once).
OWN_OUTPUT = "written by this tool: the output of this run (-o) is not read as input"


#: What a path that is not a folder or a regular file is, for its row.
_FILE_TYPES = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _what_is(path: str | Path, entry: os.DirEntry[str] | None = None) -> tuple[str, str, str, int]:
    """(kind, detail, real path, size) of a path, or of a folder's ``entry`` (its stat is cached).

    kind is ``dir``, ``file``, ``missing``, ``broken_link`` (its target is missing, or a loop) or
    ``not_regular_file``; the detail says what it is, for a row. The real path is resolved for a path given
    alone and for a link only ("" for a plain entry: its folder's real path and its name make it).
    """
    try:
        st = entry.stat() if entry is not None else os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "broken_link", "a loop of symlinks, it leads nowhere", "", 0
        if os.path.islink(path):
            return "broken_link", f"a symlink to {os.readlink(path)}, which does not exist", "", 0
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "missing", "does not exist", "", 0
        return "file", "", os.path.realpath(path), 0  # unreadable: read_file says why (a row, not silence)
    linked = entry is None or entry.is_symlink()
    real = os.path.realpath(path) if linked else ""  # the caller knows a plain entry's (realpath costs a stat a level)
    if stat.S_ISDIR(st.st_mode):
        return "dir", "", real, 0
    if stat.S_ISREG(st.st_mode):
        return "file", "", real, st.st_size
    what = next((name for test, name in _FILE_TYPES if test(st.st_mode)), "not a regular file")
    target = f" (a link to {real})" if real and real != os.path.abspath(path) else ""
    return "not_regular_file", f"{what}{target}: it has no end, so it is not read", real, 0


def source_base(inputs: Sequence[str | Path]) -> Path | None:
    """The directory every ``source`` is relative to when several INPUTs are given; None for one INPUT.

    One INPUT (the same path given twice is one) keeps the contract's
    naming: relative to the directory, the name of a file. Several: their
    deepest common directory, taken on the absolute paths without resolving
    symlinks (a linked folder keeps its name), so two files never share a
    source. Missing inputs count too, so a run's names do not change on a
    night one of its inputs is absent.
    """
    paths = sorted({os.path.normpath(Path(p).absolute()) for p in inputs})
    if len(paths) < 2:
        return None
    common = os.path.commonpath(paths)
    if os.path.isfile(common):  # a file and a path below it (which cannot exist): its folder
        common = os.path.dirname(common)
    return Path(common)


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` as a POSIX source name ("" for ``base`` itself)."""
    rel = os.path.relpath(os.path.normpath(path), base)
    return "" if rel == "." else PurePosixPath(*Path(rel).parts).as_posix()


def find_input(inputs: Sequence[str | Path], source: str) -> Path | None:
    """Where a run over ``inputs`` found the file it named ``source``; None when it is not there now.

    The inverse of :func:`discover`'s naming, for tools that go back to an
    input from an output row (``python -m flows.report --doc``): relative
    ``inputs`` are taken from the current directory, as the run took them.
    """
    roots = [Path(raw).absolute() for raw in inputs]
    base = source_base(roots)
    for root in roots:
        if root.is_file():
            if (_relative(root, base) if base is not None else root.name) == source:
                return root
        elif root.is_dir():
            prefix = _relative(root, base) if base is not None else ""
            if prefix and not source.startswith(prefix + "/"):
                continue
            candidate = root / source[len(prefix) + 1 if prefix else 0:]
            if candidate.is_file():
                return candidate
    return None


def find_input_file(inputs: Sequence[str | Path], source: str) -> InputFile | None:
    """:func:`find_input` for local INPUTs and URLs alike (URL INPUTs are listed again to find the name)."""
    urls = [str(raw) for raw in inputs if remote.is_url(str(raw))]
    paths = [remote.local_path(str(raw)) for raw in inputs if not remote.is_url(str(raw))]
    if urls:
        try:
            files = _url_files(urls, bool(paths), [])
        except remote.RemoteInputError:
            files = []
        match = next((f for f in files if f.source == source), None)
        if match is not None:
            return match
    path = find_input(paths, source)
    return InputFile(path, source, path.stat().st_size) if path is not None else None


def printable_name(name: str) -> str:
    """A file name as text every writer takes: bytes that are not UTF-8 (a Latin-1 name) shown as ``\\xe9``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk(root: Path, root_real: str, rejected: list[Rejection], prefix: str,
          inside: _Inside, own: _Inside | None = None) -> list[tuple[Path, str, str, int]]:
    """(path, source, real path, size) of the regular files under ``root``; sources are relative to it, behind
    ``prefix``. Folders are read depth first in name order; links are followed as :func:`discover` says."""
    paths: list[tuple[Path, str, str, int]] = []
    seen: dict[str, str] = {}

    def name(rel: PurePosixPath) -> str:
        return (PurePosixPath(prefix) / rel).as_posix() if prefix else rel.as_posix()

    stack: list[tuple[Path, PurePosixPath, str]] = [(root, PurePosixPath(), root_real)]
    while stack:
        here, rel, real = stack.pop()
        if real in seen:  # a symlink back into a folder already read
            rejected.append(Rejection(name(rel), None, "duplicate_input",
                                      f"folder is the same as {seen[real] or '.'}, read once"))
            continue
        seen[real] = name(rel) if rel.parts else prefix
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:  # a folder that cannot be listed: say so rather than skip it
            rejected.append(Rejection(name(rel) or ".", None, "unreadable", f"folder not listed: {exc}"))
            continue
        folders: list[tuple[Path, PurePosixPath, str]] = []
        for entry in entries:
            source = name(rel / entry.name)
            link = entry.is_symlink()
            kind, detail, target, size = _what_is(entry.path, entry)
            if own is not None and own.reals and own(target if link else os.path.join(real, entry.name)):
                rejected.append(Rejection(source, None, "own_output", OWN_OUTPUT))
                continue
            if entry.name.startswith("."):
                rejected.append(
                    Rejection(source, None, "hidden_directory", "hidden folder, not read (pass it as INPUT to read it)")
                    if kind == "dir" else
                    Rejection(source, None, "hidden_file", "hidden file, not read (pass it as INPUT to read it)"))
                continue
            if kind in ("broken_link", "not_regular_file"):
                rejected.append(_not_a_file(source, kind, detail))
                continue
            if kind == "missing":  # gone since the listing
                rejected.append(Rejection(source, None, "unreadable", "vanished while its folder was read"))
                continue
            if link and not inside(target):
                what = "folder" if kind == "dir" else "file"
                rejected.append(Rejection(source, None, "outside_input",
                                          f"a symlink to the {what} {target}, outside every INPUT: not read "
                                          "(--follow-links all reads it, or pass it as INPUT)"))
                continue
            if kind == "dir":
                folders.append((Path(entry.path), rel / entry.name, target if link else os.path.join(real, entry.name)))
            else:
                paths.append((Path(entry.path), source, target if link else os.path.join(real, entry.name), size))
        stack.extend(reversed(folders))
    return paths


def _not_a_file(source: str, kind: str, detail: str) -> Rejection:
    """The row of a path that is neither a folder nor a regular file (``kind`` as :func:`_what_is` says)."""
    if kind == "broken_link":
        return Rejection(source, None, "broken_link", detail)
    return Rejection(source, None, "not_regular_file", detail)


def _drop_identical_copies(files: list[InputFile], rejected: list[Rejection]) -> list[InputFile]:
    """Two inputs with one source name and the same bytes would give the same ids: keep the first.

    Distinct files get distinct names (:func:`source_base`), so this is a
    guard for names that still meet. Names are counted once (a Counter: a
    ``list.count`` per file took 167 s on 100,000 files), and only files
    whose name occurs twice are hashed.
    """
    kept: list[InputFile] = []
    digests: dict[str, dict[str, str]] = {}
    names = Counter(f.source for f in files)
    for file in files:
        if names[file.source] > 1:
            digest = _file_sha256(file)
            first = digests.setdefault(file.source, {}).setdefault(digest, file.where)
            if first != file.where:
                rejected.append(Rejection(file.source, None, "duplicate_input",
                                          f"{file.where} has the same name and bytes as {first}, read once"))
                continue
        kept.append(file)
    return kept


def _one_per_name(files: list[InputFile], rejected: list[Rejection]) -> list[InputFile]:
    """Two inputs of one name and different bytes would share ids and ledger entries: read the first, say why not
    the others. The naming rules keep names apart (a guard, like :func:`_drop_identical_copies`)."""
    kept: list[InputFile] = []
    for file in files:
        if kept and kept[-1].source == file.source:
            rejected.append(Rejection(file.source, None, "duplicate_input",
                                      f"{file.where} has the same name as {kept[-1].where} and other bytes: not read "
                                      "(give them in separate runs, or rename one)"))
            continue
        kept.append(file)
    return kept


def _file_sha256(file: InputFile) -> str:
    """SHA-256 of a file, read in blocks (an input may be gigabytes)."""
    h = hashlib.sha256()
    with open_regular(file) as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


_READING = threading.local()


@contextmanager
def open_raw(path: Path | InputFile) -> Iterator[BinaryIO]:
    """The file's own bytes, opened for reading; while it is open, :func:`read_position` follows it.

    Readers open their files through here (or :func:`open_binary`), so the
    run's progress can move through a large file rather than jump at its end.
    Only a regular file opens (:func:`open_regular`).
    """
    with open_regular(path) as raw:
        _READING.raw = raw
        try:
            yield raw
        finally:
            _READING.raw = None


def open_regular(path: Path | InputFile) -> BinaryIO:
    """``open(path, "rb")`` for a regular file only: a path that became a FIFO or a device since it was found
    raises ``OSError`` (ENXIO) at once, where opening a FIFO would wait for a writer and a device never end.
    An input file at a URL opens through fsspec (:mod:`.remote`)."""
    if isinstance(path, InputFile):
        if path.url is not None:
            return remote.open_url(path.url)
        path = Path(path.path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.ENXIO, "not a regular file (a FIFO, socket or device): not read", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_position() -> int | None:
    """How far this thread's reader is into its current file, in stored (compressed) bytes; None if unknown."""
    raw = getattr(_READING, "raw", None)
    try:
        return raw.tell() if raw is not None else None
    except (OSError, ValueError):  # closed meanwhile
        return None


@contextmanager
def open_binary(path: Path | InputFile) -> Iterator[BinaryIO]:
    """The file as a binary stream, gunzipped on the fly when it is gzip (by magic number, not name).

    Streaming, so a 1 GB ``.jsonl.gz`` never sits in memory; a gzip stream that
    ends early raises ``EOFError`` at the break, after everything before it was read.
    """
    with open_raw(path) as raw:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped  # type: ignore[misc]
        else:
            raw.seek(0)
            yield raw


def read_limited(path: Path | InputFile, limit: int | None) -> bytes | None:
    """The (gunzipped) content, or None when it holds more than ``limit`` bytes (never reading past it)."""
    with open_binary(path) as stream:
        data = stream.read() if limit is None else stream.read(limit + 1)
    return None if limit is not None and len(data) > limit else data


def looks_binary(data: bytes) -> str | None:
    """What binary format ``data`` starts like (images, PDF, archives), or "binary data"; None for text.

    Text may hold a stray NUL or control byte (decoding removes them), and
    UTF-16 holds a NUL in every other byte; binary data is dense in control
    bytes (about 10 percent of random bytes), so the cut is a share of them.
    UTF-16 and UTF-32 behind a byte-order mark are judged by their characters.
    """
    head = data[:_BINARY_SNIFF]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    text = text_after_bom(head)
    if text is not None:
        head = text.encode("utf-8", "surrogatepass")
    if not head or utf16_without_bom(head) is not None:
        return None
    controls = len(head) - len(head.translate(None, _BINARY_BYTES))
    return "binary data" if controls > _BINARY_SHARE * len(head) else None


def decoded_page(data: bytes, source: str, record: str | None, content_sha: str,
                 declared: str | None = None, **fields: str | None) -> Page | Rejection:
    """A text page from bytes in any encoding, or a ``decode_error`` rejection."""
    try:
        decoded = decode_bytes(data, declared)
    except DecodeError as exc:
        return Rejection(source, record, "decode_error", str(exc))
    except (LookupError, ValueError) as exc:  # a codec that fails its own way costs this record, never the file
        return Rejection(source, record, "decode_error", f"{type(exc).__name__} decoding the page: {exc}")
    return Page(source=source, record=record, text=decoded.text, content_sha=content_sha,
                encoding=decoded.encoding, repairs=decoded.repairs, **fields)


def too_large(source: str, record: str | None, size: int | str, limit: int) -> Rejection:
    return Rejection(source, record, "too_large", f"{size} bytes, over the page limit of {limit} "
                                                  "(max_page_bytes)")


def find_records(file: InputFile, records: Container[str], max_page_bytes: int | None = None
                 ) -> Iterator[Page | Rejection]:
    """The items of ``records`` in ``file``, for a lookup of a few pages; they come with others where the
    file's reader cannot skip records unread (only readers with a ``find`` method can). Unlike
    :func:`read_file`, a reader's errors are raised, whatever they are (a ``zlib.error`` too)."""
    reader = reader_for(file.path)
    find = getattr(reader, "find", None)
    if find is None:
        yield from read_file(file, max_page_bytes)
    else:
        yield from find(file, max_page_bytes, records)


def read_file(file: InputFile, max_page_bytes: int | None = None) -> Iterator[Page | Rejection]:
    """Pages of one file through its reader; a failure ends the file with one rejection.

    Pages read before the failure stay (a truncated gzip keeps its first
    records): ``truncated`` when the stream ends early, ``unreadable`` for an
    operating-system error (permissions, a vanished file), ``read_error`` for
    anything else the reader or its library raised. A transient I/O error
    (:func:`cleaners.faults.is_transient`) is raised instead, so the shard is
    retried rather than the file given up.

    A file the reader finished without yielding anything (an empty JSONL, one
    of blank lines only, a Parquet file of zero rows, a WARC with no
    response) is one ``no_records`` row for the whole file: every input ends
    somewhere, a file included, and an export that came out empty is worth
    a look. Its detail is what the reader found; it depends only on the
    file's bytes, so the ledger records the row once (:mod:`cleaners.io.ledger`).
    Single-page files (``.txt``, ``.html``) always yield their page, which
    then ends as ``empty_after_cleaning`` when there is nothing in it.

    These file-level rows say where the file stood when it was read, so they
    are ``provisional``: a later run that finds the file grown past that
    point (a cut download completed, an empty export written) replaces them
    (:mod:`cleaners.io.ledger`).
    """
    reader = reader_for(file.path)
    if reader is None:  # discover() filters these; kept for direct callers
        yield Rejection(file.source, None, "unsupported_format", f"no reader for {file.path.name!r}")
        return
    count = 0
    found: object = None
    try:
        items = reader.read(file, max_page_bytes)
        while True:
            try:
                item = next(items)
            except StopIteration as stop:
                found = stop.value
                break
            count += 1
            yield item
    except EOFError as exc:
        yield Rejection(file.source, None, "truncated",
                        f"the file ends mid-stream after {count} records (those were read): {exc}", provisional=True)
        return
    except OSError as exc:
        if is_transient(exc):
            raise  # the shard is retried whole (cleaners.faults)
        if exc.errno is None:  # pyarrow's errors are OSErrors without an errno: the bytes, not the system
            yield Rejection(file.source, None, "read_error",
                            f"{type(exc).__name__} after {count} records (those were read): {exc}", provisional=True)
            return
        yield Rejection(file.source, None, "unreadable",
                        f"{type(exc).__name__} after {count} records (those were read): {exc}", provisional=True)
        return
    except Exception as exc:  # noqa: BLE001 (a reader's library may raise anything on bad bytes; the run goes on)
        yield Rejection(file.source, None, "read_error",
                        f"{type(exc).__name__} after {count} records (those were read): {exc}", provisional=True)
        return
    if count == 0:
        yield Rejection(file.source, None, "no_records",
                        found if isinstance(found, str) and found else f"no record in {file.size} bytes",
                        provisional=True)


def nothing_found(lines: int, blank: int, nbytes: int, gzipped_size: int | None = None) -> str:
    """What a line-based file without a record held: "0 records in 0 bytes", "12 lines, all blank"."""
    unzipped = f" (gunzipped from {gzipped_size} bytes)" if gzipped_size is not None else ""
    if lines == 0:
        return f"0 records in {nbytes} bytes{unzipped}"
    if blank == lines:
        return f"{lines} line{'s' if lines != 1 else ''}, all blank ({nbytes} bytes{unzipped})"
    return f"{lines} lines, none a record ({nbytes} bytes{unzipped})"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_sha(payload: bytes, row: int) -> str:
    """Content hash of one record of a multi-record file; the row keeps repeated records apart."""
    return hashlib.sha256(payload + b"\x00%d" % row).hexdigest()


# Built-in readers register themselves on import (at the end: they import this module).
from . import formats as _formats  # noqa: F401
