"""Random and damaged bytes through every reader: never an exception, only pages and rejections that can be written.

Every suffix the registry knows is fuzzed, gzipped or not, so a new reader
is covered without touching this file (it is fuzzed from a text seed until
it is given one in ``SEEDS``). Seeds are valid files of each format made
here; mutations flip, insert and delete bytes, cut the file, gzip and cut
it, inject NUL runs and overlong lines. The page limit is drawn too, so the
``too_large`` paths are fuzzed as well as the reading ones.

Examples are derandomized so CI sees the same cases every run; to hunt for
new crashes, run with ``FUZZ_EXAMPLES=20000 FUZZ_RANDOM=1``.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import re
import shutil
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.io.readers import InputFile, read_file, reader_for, supported_suffixes
from cleaners.io.schema import REJECTED, rejected_row, to_table
from cleaners.model import Page, Rejection
from cleaners.reasons import REJECTIONS

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "600")), deadline=None,
                derandomize=not os.environ.get("FUZZ_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
_COUNTER = itertools.count()
#: Page limits the readers are run with: none, one that the seeds' records exceed, one they fit in.
LIMITS = st.sampled_from([None, 200, 50_000])
#: Rejections that end a file (read_file's, or a reader's verdict on the whole file): nothing may follow one.
FILE_LEVEL = frozenset({"truncated", "read_error", "unreadable", "not_text", "not_html", "no_text", "too_large",
                        "decode_error", "no_records"})
#: What decoding promises is gone from a page's text (cleaners.io.decode.normalise_text): C0 controls but
#: tab, LF and form feed, CR (lines end in LF), DEL, lone surrogates. lxml refuses NULs and control characters.
CONTROLS = re.compile("[\x00-\x08\x0b\x0d-\x1f\x7f\ud800-\udfff]")

TEXT = "Harbour caf\u00e9 reopens after the storm.\n\nThe council said repairs took \u20ac2 million. \U0001F30A\n"
HTML = ('<html><head><meta charset="utf-8"><title>Harbour</title></head><body><article><h1>Harbour</h1>'
        f'<p>{TEXT}</p><p>Residents welcomed the news on Monday.</p></article></body></html>')


def _jsonl() -> bytes:
    records = [{"id": 1, "text": TEXT, "url": "https://x.example/1"}, {"html": HTML, "published": "2024-03-05"},
               {"text": "\ud800 lone surrogates \udfff", "title": "t\udfff", "id": "\ud83c"}]
    return b"\n".join(json.dumps(r).encode() for r in records) + b"\n"


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"id": ["a", "b", None], "text": [TEXT, None, "caf\u00e9"],
                             "html": [None, HTML, None], "url": ["https://x.example/a", None, None]}), out)
    return out.getvalue()


def _warc(gzipped: bool) -> bytes:
    """A warcinfo record and two HTML responses; ids and dates fixed so the seed is the same in every run."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)

    def fixed(n: int) -> dict[str, str]:
        return {"WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>", "WARC-Date": "2024-03-05T10:00:00Z"}

    writer.write_record(writer.create_warc_record("fuzz.warc", "warcinfo", payload=io.BytesIO(b"software: test\r\n"),
                                                  warc_content_type="application/warc-fields",
                                                  warc_headers_dict=fixed(0)))
    for n, body in enumerate([HTML.encode(), "<p>caf\u00e9 du port</p>".encode("latin-1")], 1):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=iso-8859-1")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://x.example/{n}", "response", payload=io.BytesIO(body),
                                                      http_headers=http, warc_headers_dict=fixed(n)))
    return out.getvalue()


#: A valid file per suffix, and how many pages it holds.
SEEDS: dict[str, tuple[bytes, int]] = {
    ".txt": (TEXT.encode(), 1), ".html": (HTML.encode(), 1), ".htm": (HTML.encode("utf-16"), 1),
    ".jsonl": (_jsonl(), 3), ".ndjson": (_jsonl(), 3), ".parquet": (_parquet(), 3), ".warc": (_warc(False), 2),
    ".warc.gz": (_warc(True), 2),  # Common Crawl's per-record gzip, not one stream
}


def _seed(suffix: str) -> tuple[bytes, int]:
    if suffix in SEEDS:
        return SEEDS[suffix]
    data, pages = SEEDS.get(suffix.removesuffix(".gz"), (TEXT.encode(), 1))
    return (gzip.compress(data, mtime=0), pages) if suffix.endswith(".gz") else (data, pages)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` damaged the ways files are damaged: flips, inserts, deletes, cuts, NUL runs, huge lines."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "nul", "long", "gzip_cut"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "cut":
            del data[at:]
        elif kind == "nul":
            data[at:at] = b"\x00" * draw(st.integers(1, 300))
        elif kind == "long":
            data[at:at] = draw(st.sampled_from([b"x", b" ", b"\xe9", b"\\u00e9"])) * draw(st.sampled_from(
                [1_700, 70_000]))
        else:
            zipped = gzip.compress(bytes(data), mtime=0)  # no clock in the bytes: replays draw the same
            data = bytearray(zipped[: draw(st.integers(0, len(zipped)))])
    return bytes(data)


#: Codecs text is written in, and charset labels pages declare (some wrong, some no text codec at all).
CODECS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "koi8-r", "shift_jis", "gb18030", "utf-7"]
LABELS = st.sampled_from([*CODECS, "iso-8859-1", "x-unknown", "hex", "", "utf-8\x00"])


@st.composite
def text_files(draw: st.DrawFn, suffix: str) -> bytes:
    """A valid-looking file of ``suffix`` around random text (lone surrogates included) in a random encoding.

    Random bytes mostly stop at the binary sniff; text gets through to charset
    detection, mojibake repair and the control-character pass.
    """
    chars = st.characters(codec=None, exclude_categories=())  # every code point, surrogates too
    texts = st.one_of(st.text(chars, max_size=300), st.text(st.sampled_from("\u00c3\u00a9\u00c2\u00e2\u20ac\u2122"
                                                                           "\u0080\u009d\u00c0\u00ed\u00a0 a\r\n\x00"),
                                                             max_size=60))
    text = draw(texts)
    codec = draw(st.sampled_from(CODECS))

    def encoded(value: str) -> bytes:
        if draw(st.booleans()):  # mojibake: UTF-8 bytes read as Windows-1252, saved as UTF-8
            value = value.encode("utf-8", "surrogatepass").decode("cp1252", "replace")
        return value.encode(codec, "surrogatepass" if codec.startswith("utf-") else "replace")

    base = suffix.removesuffix(".gz")
    if base in {".jsonl", ".ndjson"}:
        lines = [json.dumps({draw(st.sampled_from(["text", "html"])): draw(texts), "title": draw(texts),
                             "id": draw(st.one_of(texts, st.integers()))}, ensure_ascii=draw(st.booleans())
                            ).encode("utf-8", "surrogatepass") for _ in range(draw(st.integers(1, 3)))]
        data = b"\n".join(lines)
    elif base == ".parquet":
        clean = [t.encode("utf-8", "replace").decode() for t in draw(st.lists(texts, min_size=1, max_size=3))]
        out = io.BytesIO()
        body = pa.array([encoded(t) for t in clean], pa.binary()) if draw(st.booleans()) else pa.array(clean)
        pq.write_table(pa.table({draw(st.sampled_from(["text", "html"])): body, "title": clean}), out)
        data = out.getvalue()
    elif base == ".warc":
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", f"text/html; charset={draw(LABELS)}")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            "https://x.example/", "response", payload=io.BytesIO(encoded(text)), http_headers=http,
            warc_headers_dict={"WARC-Record-ID": "<urn:uuid:1>", "WARC-Date": "2024-03-05T10:00:00Z"}))
        data = out.getvalue()
    elif base in {".html", ".htm"}:
        data = (f'<html><head><meta charset="{draw(LABELS)}"></head><body><p>'.encode() + encoded(text)
                + b"</p></body></html>")
    else:
        data = encoded(text)
    return gzip.compress(data, mtime=0) if suffix.endswith(".gz") else data


def check(folder: Path, suffix: str, data: bytes, limit: int | None = 50_000) -> list[Page | Rejection]:
    """Read ``data`` as a file named ``*suffix`` in a fresh folder under ``folder``; check what comes out.

    Every item is a page or a rejection a writer takes, nothing follows a
    rejection of the whole file, and every record comes out as exactly one
    item where the record count is known without the reader (one-page
    formats, JSON lines, Parquet rows).
    """
    here = folder / f"ex{next(_COUNTER)}"
    here.mkdir()
    try:
        path = here / f"f{suffix}"
        path.write_bytes(data)
        file = InputFile(path, path.name, len(data))
        items = list(read_file(file, limit))
        assert list(read_file(file, limit)) == items  # ids follow content: a second read is the same
    finally:
        shutil.rmtree(here)
    for n, item in enumerate(items):
        assert isinstance(item, (Page, Rejection)), item
        assert item.source == file.source
        if isinstance(item, Page):
            _check_page(item)
        else:
            assert isinstance(item.reason, str) and item.reason in REJECTIONS, item
            assert isinstance(item.detail, str) and item.detail.strip(), item
            assert item.record is None or isinstance(item.record, str)
            to_table([rejected_row(item, "run")], REJECTED)
            if item.record is None:
                assert item.reason in FILE_LEVEL, item
                assert n == len(items) - 1, f"{item} is not the last item: {items[n + 1:]}"
    expected = _records(suffix, data, limit)
    if expected is not None:
        ended = bool(items) and isinstance(items[-1], Rejection) and items[-1].record is None
        records = [i for i in items if not (isinstance(i, Rejection) and i.record is None)]
        if not ended:
            assert len(records) == expected, (expected, items)
        else:
            assert len(records) <= expected, (expected, items)
    for kind in sorted({"page" if isinstance(i, Page) else i.reason for i in items}):
        if currently_in_test_context():
            event(f"{suffix.removesuffix('.gz')}: {kind}")  # what was fuzzed (--hypothesis-show-statistics)
    return items


def _check_page(page: Page) -> None:
    assert isinstance(page.text, str) and (page.html is None or isinstance(page.html, str))
    assert page.html is None or page.text == "", page
    assert isinstance(page.content_sha, str) and len(page.content_sha) == 64
    assert isinstance(page.repairs, tuple) and all(isinstance(r, str) for r in page.repairs)
    for value in (page.text, page.html, page.source, page.record, page.url, page.title, page.published,
                  page.fetched, page.encoding):
        assert value is None or isinstance(value, str), page
        if value is not None:
            value.encode("utf-8")  # strict: a lone surrogate would break the Parquet writer later
    for value in (page.text, page.html, page.title):
        assert value is None or not CONTROLS.search(value), (CONTROLS.search(value), page)
    page.page_id  # noqa: B018 (hashes the fields as UTF-8)


def _records(suffix: str, data: bytes, limit: int | None) -> int | None:
    """How many items the file must give, found without the reader; None when that is not known."""
    base = suffix.removesuffix(".gz")
    if base in {".txt", ".html", ".htm"}:
        return 1
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return None  # a cut or broken gzip: the reader reports it, the count is not known
    if base in {".jsonl", ".ndjson"}:
        cap = None if limit is None else 8 * limit
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        return sum(1 for n, line in enumerate(lines)
                   if (cap is not None and len(line) > cap) or (line.removeprefix(b"\xef\xbb\xbf") if n == 0
                                                                else line).strip())
    if base == ".parquet":
        try:
            return pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
        except Exception:  # noqa: BLE001 (whatever pyarrow raises on bad bytes; the reader must not)
            return None
    return None


def product_suffixes() -> list[str]:
    """Every suffix a reader of the package handles (test-only readers, such as tests/faulty.py's, are not)."""
    return [s for s in supported_suffixes()
            if type(reader_for(Path("f" + s))).__module__.startswith("cleaners.")]


SUFFIXES = st.sampled_from(product_suffixes())


def _flipped(data: bytes, at: int, mask: int) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1:]


#: Crashes and losses the fuzzer found, kept as fixed cases (record-level ones are in tests/io/formats/).
#: One flipped bit in the first data page header: pyarrow then yields no rows at all, quietly.
PARQUET_EMPTY_PAGE = _flipped(SEEDS[".parquet"][0], 31, 1)
#: A UTF-8 BOM before a first line over the line cap (8 x 10 bytes): cut in two, later rows renumbered.
JSONL_BOM_LONG_LINE = b'\xef\xbb\xbf{"text": "' + b"x" * 100 + b'"}\n{"text": "next"}\n'
#: UTF-8 for "\u00c0\u0080 \u00c3\u00a9": ftfy reads the overlong C0 80 as NUL after control characters were removed.
FTFY_NUL = "\u00c0\u0080 caf\u00c3\u00a9".encode()
#: Found probing readers by hand (not crashes: each ended its whole file with a read_error or not_text;
#: tests/io/formats/ and tests/io/test_readers.py assert the records are read). A response without
#: WARC-Target-URI (warcio's AttributeError):
WARC_NO_URI = SEEDS[".warc"][0].replace(b"WARC-Target-URI: https://x.example/1\r\n", b"")
#: CJK text in UTF-16 behind a BOM, whose code units are dense in control bytes (taken for binary data):
UTF16_CJK = ("\u5317\u4eac\u5e02\u4eca\u5929\u53d1\u5e03\u4e86\u65b0\u7684\u4ea4\u901a" * 30).encode("utf-16")


def _parquet_unknown_zone() -> bytes:
    """A timestamp column in a time zone the tz database lacks (pytz's UnknownTimeZoneError, a KeyError)."""
    out = io.BytesIO()
    pq.write_table(pa.table({"text": [TEXT], "published": pa.array([0], pa.timestamp("ms", "Mars/Olympus"))}), out)
    return out.getvalue()


@FUZZ
@given(suffix=SUFFIXES, data=st.binary(max_size=4096), limit=LIMITS)
@example(suffix=".txt", data=b"\xff\xfe\x00", limit=None)  # a UTF-16 BOM and half a code unit
@example(suffix=".jsonl", data=b'{"text": "\\ud800"}', limit=None)
@example(suffix=".jsonl", data=b'{"text": "x", "id": "\\udfff", "title": "\\ud800"}', limit=None)
@example(suffix=".parquet.gz", data=b"\x1f\x8b", limit=None)
def test_random_bytes_never_crash_a_reader(tmp_path: Path, suffix: str, data: bytes, limit: int | None) -> None:
    check(tmp_path, suffix, data, limit)


@settings(FUZZ, phases=[Phase.explicit])  # only these: a failing one must not stop the fuzzing above
@given(suffix=SUFFIXES, data=st.binary(), limit=LIMITS)
@example(suffix=".parquet", data=PARQUET_EMPTY_PAGE, limit=None)
@example(suffix=".html", data=b'<meta charset="hex"><p>caf\xe9</p>', limit=None)
@example(suffix=".jsonl", data=JSONL_BOM_LONG_LINE, limit=10)
@example(suffix=".txt", data=FTFY_NUL, limit=None)
@example(suffix=".warc", data=WARC_NO_URI, limit=None)
@example(suffix=".warc", data=b" " * 1_700 + SEEDS[".warc"][0], limit=None)  # read as ARC: no random record ids
@example(suffix=".txt", data=UTF16_CJK, limit=None)
@example(suffix=".txt", data=TEXT.encode("utf-32"), limit=None)
@example(suffix=".parquet", data=_parquet_unknown_zone(), limit=None)
@example(suffix=".jsonl", data=b'{"title": "\\u00c0\\u0080 x", "text": "\\u00c0\\u0080 caf\\u00c3\\u00a9"}', limit=None)
def test_cases_the_fuzzer_found(tmp_path: Path, suffix: str, data: bytes, limit: int | None) -> None:
    check(tmp_path, suffix, data, limit)


@FUZZ
@given(data=st.data(), limit=LIMITS)
def test_damaged_files_never_crash_a_reader(tmp_path: Path, data: st.DataObject, limit: int | None) -> None:
    suffix = data.draw(SUFFIXES, label="suffix")
    check(tmp_path, suffix, data.draw(mutated(_seed(suffix)[0]), label="bytes"), limit)


@FUZZ
@given(data=st.data(), limit=LIMITS)
def test_text_in_any_encoding_never_crashes_a_reader(tmp_path: Path, data: st.DataObject, limit: int | None) -> None:
    suffix = data.draw(SUFFIXES, label="suffix")
    check(tmp_path, suffix, data.draw(text_files(suffix), label="bytes"), limit)


def test_every_seed_reads_cleanly(tmp_path: Path) -> None:
    """The undamaged seeds give all their pages: the mutations above start from files the readers accept."""
    for suffix in product_suffixes():
        data, pages = _seed(suffix)
        items = check(tmp_path, suffix, data)
        assert len(items) == pages and all(isinstance(i, Page) for i in items), (suffix, items)
