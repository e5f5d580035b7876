"""``.warc`` (and ``.warc.gz``, Common Crawl's per-record gzip): HTML responses, streamed with warcio.

Only ``response`` and ``resource`` records are pages; ``request``,
``metadata``, ``warcinfo``, ``revisit`` and ``conversion`` records describe
the crawl, not a page, and are passed over (the run summary counts pages and
rejections, not these). A response that is not a page the pipeline can use
becomes a rejected row: ``http_status`` (not 2xx), ``not_html`` (images, PDF,
JSON...), ``too_large``. ``record`` is the WARC-Record-ID, ``url`` the
WARC-Target-URI, ``fetched`` the WARC-Date (the raw string; the output
column parses it). A WARC with no response or resource at all (a crawl that
fetched nothing, an empty file) returns the record types it held, for the
one ``no_records`` row :func:`cleaners.io.readers.read_file` writes.
"""
from __future__ import annotations

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
        with open_raw(file.path) as stream:
            if not stream.read(1):  # warcio takes a file of no bytes for a cut gzip member: it is empty
                return "0 records in 0 bytes"
            stream.seek(0)
            records = _CheckedIterator(stream)
            for n, rec in enumerate(records):
                types[str(rec.rec_type)] += 1
                item = _page(rec, file.source, n, limit) if rec.rec_type in _PAGE_RECORDS else None
                if _cut_short(rec):  # a page cut in half is not yielded as if it were whole
                    raise EOFError("the WARC ends inside a record")
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # ArchiveIterator's own settings (arc2warc would give ARC records random ids)
        self.loader = _Loader(verify_http=False, arc2warc=False)

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
