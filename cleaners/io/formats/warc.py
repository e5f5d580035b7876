"""``.warc`` (and ``.warc.gz``, Common Crawl's per-record gzip): HTML responses, streamed with warcio.

Only ``response`` and ``resource`` records are pages; ``request``,
``metadata``, ``warcinfo``, ``revisit`` and ``conversion`` records describe
the crawl, not a page, and are passed over (the run summary counts pages and
rejections, not these). A response that is not a page the pipeline can use
becomes a rejected row: ``http_status`` (not 2xx), ``not_html`` (images, PDF,
JSON...), ``too_large``, ``length_mismatch`` (a Content-Length that is no byte
count, or too low: the block runs on past it; reading resumes at the next
record, so one wrong length costs one record). ``record`` is the WARC-Record-ID, ``url`` the
WARC-Target-URI, ``fetched`` the WARC-Date (the raw string; the output
column parses it). A WARC with no response or resource at all (a crawl that
fetched nothing, an empty file) returns the record types it held, for the
one ``no_records`` row :func:`cleaners.io.readers.read_file` writes.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Generator

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecordLoader

from ...model import Page, Rejection
from ..readers import InputFile, open_raw, record_sha, register_reader, too_large
from .markup import page_from_bytes

_PAGE_RECORDS = frozenset({"response", "resource"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


class WarcReader:
    suffixes = (".warc",)

    def read(self, file: InputFile, limit: int | None) -> Generator[Page | Rejection, None, str]:
        """One item per response or resource record; returns the record types found, for a WARC without one."""
        types: Counter[str] = Counter()
        with open_raw(file) as stream:
            if not stream.read(1):  # warcio takes a file of no bytes for a cut gzip member: it is empty
                return "0 records in 0 bytes"
            stream.seek(0)
            records = _CheckedIterator(stream)
            for n, rec in enumerate(records):
                types[str(rec.rec_type)] += 1
                item = _page(rec, file.source, n, limit) if rec.rec_type in _PAGE_RECORDS else None
                if _cut_short(rec):  # a page cut in half is not yielded as if it were whole
                    if not records.member_follows():
                        raise EOFError("the WARC ends inside a record")
                    if item is not None:  # its gzip member ended first: a Content-Length too high
                        item = Rejection(file.source, item.record, "length_mismatch", _short_detail(rec))
                records.read_to_end()  # now, not after the yield: what follows the block says if it was whole
                if records.misaligned is not None and isinstance(item, Page):
                    item = Rejection(file.source, item.record, "length_mismatch", records.misaligned)
                if item is not None:
                    yield item
            if records.truncated:
                raise EOFError("the WARC's last gzip member is incomplete")
        if not types:  # a gzip stream of nothing
            return f"0 records in {file.size} bytes"
        total = sum(types.values())
        return (f"{total} WARC record{'s' if total != 1 else ''} "
                f"({', '.join(f'{t} {n}' for t, n in sorted(types.items()))}), no response or resource")


class _CheckedIterator(ArchiveIterator):
    """warcio ends quietly at a truncated gzip member; this notes it so the loss gets a row.

    At the end of a whole file the current member's decompressor has seen its
    end-of-stream marker; if not, the file was cut inside a member.
    """

    truncated = False
    #: why the last record's block did not end where its Content-Length said (None: it did)
    misaligned: str | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # ArchiveIterator's own settings (arc2warc would give ARC records random ids)
        self.loader = _Loader(verify_http=False, arc2warc=False)

    def member_follows(self) -> bool:
        """Whether another gzip member follows the current one (a block that ended with its member, early)."""
        reader = self.reader
        return reader is not None and reader.decompressor is not None and reader.rem_length() > 0

    def _consume_blanklines(self):
        """The blank lines after a record; when something else follows, skip to the next record's first line.

        A block is followed by two CRLFs. warcio, finding anything else there,
        drops one line with a warning on stderr and parses the rest of the
        block as the next record, which ends the file with an error (a
        Content-Length 300 bytes too low lost the two records after it).
        Here the record is marked :attr:`misaligned` (the reader rejects it:
        its page was cut where the wrong length said) and reading resumes at
        the next line that starts a WARC record, or at the next gzip member.
        """
        self.misaligned = None
        empty_size = 0
        while True:
            line = self.reader.readline(_LINE_PIECE)
            if not line:
                return None, empty_size
            if not line.rstrip():
                empty_size += len(line)
                continue
            if self.record is not None and self.record.format == "warc" and not _WARC_START.match(line):
                self.misaligned = _mismatch_detail(self.record, line)
                return self._resync(line), empty_size
            return line, empty_size

    def _resync(self, line: bytes) -> bytes | None:
        """Skip to the next line that starts a WARC record (the end of the gzip member); that line, or None."""
        at_line_start = line.endswith(b"\n")
        while line := self.reader.readline(_LINE_PIECE):
            if at_line_start and _WARC_START.match(line):
                return line
            at_line_start = line.endswith(b"\n")
        return None

    def close(self) -> None:
        decompressor = self.reader.decompressor if self.reader is not None else None
        if decompressor is not None and not getattr(decompressor, "eof", True):
            self.truncated = True
        super().close()


class _Loader(ArcWarcRecordLoader):
    """warcio raises AttributeError on a record without WARC-Target-URI, which ended the file. The header is
    mandatory, but one damaged header should cost at most its record: the block is read as HTTP, as it is
    for every web page (``url`` is then None)."""

    def load_http_headers(self, rec_type, uri, stream, length):
        return super().load_http_headers(rec_type, "http:" if uri is None else uri, stream, length)


#: The first line of a WARC record, and how much of a line is read at once while looking for one.
_WARC_START = re.compile(rb"WARC/\d+\.\d+\r?\n\Z")
_LINE_PIECE = 1 << 16


def _mismatch_detail(rec, found: bytes) -> str:
    length = rec.rec_headers.get_header("Content-Length")
    return (f"the block does not end where its Content-Length ({length}) says: {found[:40]!r} follows it instead "
            "of a blank line (a wrong Content-Length); the page is not kept, and reading resumed at the next line "
            "that starts a record")


def _short_detail(rec) -> str:
    length = rec.rec_headers.get_header("Content-Length")
    return (f"the block ends with its gzip member, before its Content-Length ({length}) (a wrong Content-Length); "
            "the page is not kept, the records after it were read")


def _bad_length(rec) -> str | None:
    """Why a record's Content-Length is no byte count (negative, not a number); None when it is one."""
    raw = rec.rec_headers.get_header("Content-Length")
    if raw is None:
        return None
    try:
        if int(raw) >= 0:
            return None
    except ValueError:
        pass
    return f"Content-Length {raw!r} is not a byte count; the record is not kept, the records after it were read"


def _cut_short(rec) -> bool:
    """A record whose block ended before its Content-Length (an uncompressed WARC cut mid-record)."""
    raw = rec.raw_stream
    if not isinstance(raw, LimitReader):
        return rec.rec_headers.get_header("Content-Length") is None
    while raw.read(1 << 16):  # drain what is left (warcio would do the same before the next record)
        pass
    return raw.limit > 0


def _page(rec, source: str, n: int, limit: int | None) -> Page | Rejection:
    headers = rec.rec_headers
    record = headers.get_header("WARC-Record-ID") or str(n)
    bad_length = _bad_length(rec)
    if bad_length is not None:  # warcio reads such a block as empty: it is not a page without a type
        return Rejection(source, record, "length_mismatch", bad_length)
    http = rec.http_headers
    if rec.rec_type == "response" and http is not None:
        status = http.get_statuscode() or ""
        if not status.startswith("2"):
            return Rejection(source, record, "http_status", f"HTTP {http.get_statuscode()} "
                                                            f"for {headers.get_header('WARC-Target-URI')}")
    # A response's WARC Content-Type is the block's ("application/http"), never the page's: without an HTTP
    # Content-Type the type is unknown (""), and page_from_bytes sniffs the bytes.
    content_type = (http.get_header("Content-Type") if http is not None else rec.content_type) or ""
    mime, _, params = content_type.partition(";")
    mime = mime.strip().lower()
    if mime not in _HTML_TYPES:
        return Rejection(source, record, "not_html", f"Content-Type {content_type!r}")
    payload = rec.content_stream().read() if limit is None else rec.content_stream().read(limit + 1)
    if limit is not None and len(payload) > limit:
        return too_large(source, record, f"more than {limit}", limit)
    charset = next((p.split("=", 1)[1].strip().strip('"\'') for p in params.split(";")
                    if p.strip().lower().startswith("charset=")), None)
    try:
        return page_from_bytes(payload, source, record, record_sha(payload, n), charset=charset,
                               url=headers.get_header("WARC-Target-URI"), fetched=headers.get_header("WARC-Date"))
    except (LookupError, ValueError) as exc:
        # The payload is in memory and the next record's place is known: one bad record must not end the
        # file. Python raises these for a charset label that is no text codec ("hex", "rot13", "undefined")
        # or holds a NUL.
        return Rejection(source, record, "decode_error", f"{type(exc).__name__} decoding the payload "
                                                         f"(Content-Type {content_type!r}): {exc}")


register_reader(WarcReader())
