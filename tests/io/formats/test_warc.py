from __future__ import annotations

import gzip as gzip_format
import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.io.readers import discover, read_file
from cleaners.model import Page, Rejection

PAGE = "<html><head><title>Harbour</title></head><body><p>Caf\xe9 on the quay reopens.</p></body></html>"


def _response(writer: WARCWriter, url: str, body: bytes, status: str = "200 OK",
              content_type: str = "text/html; charset=iso-8859-1") -> None:
    http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))


def _warc(path: Path, gzip: bool = True) -> None:
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record("crawl.warc.gz", {"software": "test"}))
        writer.write_record(writer.create_warc_record("https://a.example/news", "request",
                                                      payload=BytesIO(b"GET /news HTTP/1.1\r\n\r\n")))
        _response(writer, "https://a.example/news", PAGE.encode("iso-8859-1"))
        _response(writer, "https://a.example/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
        _response(writer, "https://a.example/gone", b"<html>Not found</html>", status="404 Not Found")
        _response(writer, "https://a.example/huge", b"<html><body>" + b"<p>word</p>" * 2_000 + b"</body></html>")
        writer.write_record(writer.create_warc_record(
            "file:///saved/page.html", "resource", payload=BytesIO(b"<html><body><p>Saved</p></body></html>"),
            warc_content_type="text/html"))


def _read(path: Path, limit: int | None = 10_000) -> list[Page | Rejection]:
    files, _ = discover([path])
    return [item for f in files for item in read_file(f, limit)]


def test_html_responses_become_pages_and_other_responses_rejections(tmp_path: Path) -> None:
    _warc(tmp_path / "crawl.warc.gz")
    got = _read(tmp_path / "crawl.warc.gz")
    kinds = [(g.url if isinstance(g, Page) else g.reason) for g in got]
    assert kinds == ["https://a.example/news", "not_html", "http_status", "too_large", "file:///saved/page.html"]
    page = got[0]
    assert "Café on the quay" in page.html  # decoded by the HTTP charset
    assert page.record.startswith("<urn:uuid:") and page.fetched[:4].isdigit()
    assert "image/png" in got[1].detail and "404" in got[2].detail
    assert all(isinstance(g, Page) or g.record.startswith("<urn:uuid:") for g in got)


def test_uncompressed_warc_reads_the_same(tmp_path: Path) -> None:
    _warc(tmp_path / "a.warc.gz")
    _warc(tmp_path / "b.warc", gzip=False)
    a, b = _read(tmp_path / "a.warc.gz"), _read(tmp_path / "b.warc")
    assert [getattr(x, "reason", None) for x in a] == [getattr(x, "reason", None) for x in b]
    assert a[0].html == b[0].html


@pytest.mark.parametrize("gzip", [True, False])
@pytest.mark.parametrize("share", [0.5, 0.8, 0.99])
def test_a_truncated_warc_keeps_the_whole_records_before_the_break(tmp_path: Path, gzip: bool,
                                                                   share: float) -> None:
    # warcio itself stops quietly at a cut gzip member and yields a cut record as if whole
    _warc(tmp_path / "full.warc", gzip=gzip)
    whole = _read(tmp_path / "full.warc")
    data = (tmp_path / "full.warc").read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(data[: int(len(data) * share)])
    got = _read(cut)
    assert isinstance(got[-1], Rejection) and got[-1].reason == "truncated"
    def seen(items: list) -> list:
        return [(getattr(i, "reason", None), getattr(i, "html", None), i.record) for i in items]

    assert seen(got[:-1]) == seen(whole[: len(got) - 1])  # nothing half-read passes for a page
    assert isinstance(got[0], Page) and got[0].url == "https://a.example/news"


@pytest.mark.parametrize("charset", ["hex", "rot13", "undefined", "x-user-defined\x00"])
def test_a_charset_python_cannot_decode_with_costs_only_its_record(tmp_path: Path, charset: str) -> None:
    """Found by tests/io/test_fuzz.py: the LookupError/ValueError ended the file, losing every later record."""
    path = tmp_path / "labels.warc.gz"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        _response(writer, "https://a.example/odd", "<p>Caf\xe9</p>".encode("latin-1"),
                  content_type=f"text/html; charset={charset}")
        _response(writer, "https://a.example/news", PAGE.encode("iso-8859-1"))
    got = _read(path)
    assert len(got) == 2 and got[0].record != got[1].record
    assert isinstance(got[0], Page) or got[0].reason == "decode_error"
    assert isinstance(got[1], Page) and got[1].url == "https://a.example/news"


def test_a_response_without_an_http_content_type_is_sniffed_not_rejected(tmp_path: Path) -> None:
    """The WARC header's Content-Type (application/http) describes the block, not the page."""
    path = tmp_path / "untyped.warc"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=False)
        for url, body in (("https://a.example/news", PAGE.encode()), ("https://a.example/logo", b"\x89PNG\r\n\x1a\n")):
            http = StatusAndHeaders("200 OK", [("Server", "test")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))
    got = _read(path)
    assert isinstance(got[0], Page) and "quay" in got[0].html
    assert got[1].reason == "not_html" and "PNG" in got[1].detail


def test_a_record_without_a_target_uri_costs_at_most_itself(tmp_path: Path) -> None:
    """Found probing the reader with damaged headers: warcio raised AttributeError on a response without
    WARC-Target-URI, which ended the file with a read_error."""
    path = tmp_path / "nouri.warc"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=False)
        _response(writer, "https://a.example/news", PAGE.encode("iso-8859-1"))
        _response(writer, "https://a.example/next", PAGE.encode("iso-8859-1"))
    path.write_bytes(path.read_bytes().replace(b"WARC-Target-URI: https://a.example/news\r\n", b"", 1))
    got = _read(path)
    assert [type(g) for g in got] == [Page, Page]
    assert got[0].url is None and "quay" in got[0].html
    assert got[1].url == "https://a.example/next"


@pytest.mark.parametrize("gzip", [True, False])
def test_a_warc_without_a_response_is_one_no_records_row(tmp_path: Path, gzip: bool) -> None:
    """A crawl that fetched nothing leaves a warcinfo (and maybe requests): one row says so."""
    path = tmp_path / "info.warc"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record("info.warc", {"software": "test"}))
        writer.write_record(writer.create_warc_record("https://a.example/", "request",
                                                      payload=BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
    got = _read(path)
    assert _rows(got) == [(None, "no_records", "2 WARC records (request 1, warcinfo 1), no response or resource")]


def test_an_empty_warc_is_no_records_not_truncated(tmp_path: Path) -> None:
    (tmp_path / "empty.warc").write_bytes(b"")
    (tmp_path / "empty.warc.gz").write_bytes(gzip_format.compress(b""))
    assert _rows(_read(tmp_path / "empty.warc")) == [(None, "no_records", "0 records in 0 bytes")]
    assert [r[1] for r in _rows(_read(tmp_path / "empty.warc.gz"))] == ["no_records"]


def _rows(items: list[Page | Rejection]) -> list[tuple[str | None, str, str]]:
    """(record, reason, detail) of each item; a page shows as ("page", "", "")."""
    return [(i.record, i.reason, i.detail) if isinstance(i, Rejection) else ("page", "", "") for i in items]


def _four_pages(path: Path, gzip: bool) -> list[bytes]:
    """Four HTML responses of many lines each; the bytes of each record as written (one gzip member each)."""
    members = []
    for n in range(4):
        buf = BytesIO()
        writer = WARCWriter(buf, gzip=gzip)
        body = "<html><body>\n" + f"<p>Story {n} on the quay, told at some length.</p>\n" * 30 + "</body></html>"
        _response(writer, f"https://a.example/{n}", body.encode(), content_type="text/html; charset=utf-8")
        members.append(buf.getvalue())
    path.write_bytes(b"".join(members))
    return members


def _with_length(record: bytes, gzip: bool, length: Callable[[int], str]) -> bytes:
    """One record with its Content-Length replaced by ``length(true length)``."""
    raw = gzip_format.decompress(record) if gzip else record
    header = re.search(rb"\r\nContent-Length: (\d+)\r\n", raw)
    assert header is not None
    raw = raw[:header.start(1)] + length(int(header.group(1))).encode() + raw[header.end(1):]
    return gzip_format.compress(raw) if gzip else raw


@pytest.mark.parametrize("gzip", [True, False])
@pytest.mark.parametrize("wrong", ["low", "negative", "text"])
def test_a_wrong_content_length_costs_only_its_record(tmp_path: Path, gzip: bool, wrong: str) -> None:
    """Issue 17, cases 2 and 20b: a Content-Length 300 bytes too low kept a page cut mid-word as if whole and
    lost the next two records behind one read_error; a negative one was called not_html (and lost the rest)."""
    path = tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc")
    members = _four_pages(path, gzip)
    length = {"low": lambda n: str(n - 300), "negative": lambda n: "-5", "text": lambda n: "many"}[wrong]
    members[1] = _with_length(members[1], gzip, length)
    path.write_bytes(b"".join(members))
    got = _read(path, limit=None)
    assert [g.url if isinstance(g, Page) else g.reason for g in got] == [
        "https://a.example/0", "length_mismatch", "https://a.example/2", "https://a.example/3"]
    assert got[1].record.startswith("<urn:uuid:") and "Content-Length" in got[1].detail
    assert all(g.html.rstrip().endswith("</html>") for g in got if isinstance(g, Page))


def test_an_empty_file_named_warc_gz_is_no_records(tmp_path: Path) -> None:
    """Issue 17, case 20a: a 0-byte .warc was "last gzip member is incomplete"; it is a file with no record."""
    for name in ("zero.warc", "zero.warc.gz"):
        (tmp_path / name).write_bytes(b"")
        assert _rows(_read(tmp_path / name)) == [(None, "no_records", "0 records in 0 bytes")]


def test_a_content_length_too_high_in_a_gzipped_warc_costs_only_its_record(tmp_path: Path) -> None:
    """Each record its own gzip member: a block that ends with its member, before its Content-Length, is
    that record's row, and the next members are read (it was a `truncated` file, the rest lost)."""
    path = tmp_path / "crawl.warc.gz"
    members = _four_pages(path, gzip=True)
    members[1] = _with_length(members[1], True, lambda n: str(n + 300))
    path.write_bytes(b"".join(members))
    got = _read(path, limit=None)
    assert [g.url if isinstance(g, Page) else g.reason for g in got] == [
        "https://a.example/0", "length_mismatch", "https://a.example/2", "https://a.example/3"]
    assert "gzip member" in got[1].detail
