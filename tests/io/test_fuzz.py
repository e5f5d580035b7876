"""Random and mutated bytes through every reader: never an exception, only pages and rejections that can be written.

Every suffix the registry knows is fuzzed, gzipped or not, so a new reader
is covered without touching this file. Seeds are valid files of each format
made here; mutations flip, insert and delete bytes, cut the file, gzip and
cut it, inject NUL runs and overlong lines. Examples are derandomized so CI
sees the same cases every run.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.io.readers import InputFile, read_file, reader_for, supported_suffixes
from cleaners.io.schema import REJECTED, rejected_row, to_table
from cleaners.model import Page, Rejection
from cleaners.reasons import REJECTIONS

FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_COUNTER = itertools.count()
TEXT = "Harbour caf\u00e9 reopens after the storm.\n\nThe council said repairs took \u20ac2 million. \U0001F30A\n"
HTML = ('<html><head><meta charset="utf-8"><title>Harbour</title></head><body><article><h1>Harbour</h1>'
        f'<p>{TEXT}</p><p>Residents welcomed the news on Monday.</p></article></body></html>')


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"id": ["a", "b"], "text": [TEXT, None], "html": [None, HTML],
                             "url": ["https://x.example/a", None]}), out)
    return out.getvalue()


def _warc() -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for n, body in enumerate([HTML.encode(), "<p>caf\u00e9</p>".encode("latin-1")]):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=iso-8859-1")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://x.example/{n}", "response",
                                                      payload=io.BytesIO(body), http_headers=http))
    return out.getvalue()


SEEDS: dict[str, bytes] = {
    ".txt": TEXT.encode(), ".html": HTML.encode(), ".htm": HTML.encode("utf-16"),
    ".jsonl": b"\n".join(json.dumps(r).encode() for r in [{"id": 1, "text": TEXT}, {"html": HTML},
                                                           {"text": "\ud800 x", "title": "t\udfff"}]),
    ".ndjson": json.dumps({"text": TEXT, "published": "2024-03-05"}).encode(),
    ".parquet": _parquet(), ".warc": _warc(),
}


def _seed(suffix: str) -> bytes:
    base = suffix.removesuffix(".gz")
    data = SEEDS.get(base, TEXT.encode())  # a reader added later is fuzzed from text until given a seed
    return gzip.compress(data) if suffix.endswith(".gz") else data


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
            data[at:at] = b"x" * 70_000
        else:
            zipped = gzip.compress(bytes(data))
            data = bytearray(zipped[: draw(st.integers(0, len(zipped)))])
    return bytes(data)


def check(suffix: str, data: bytes, limit: int | None = 50_000) -> list[Page | Rejection]:
    """Read ``data`` as a file named ``*suffix``; every item must be a page or a rejection a writer takes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{next(_COUNTER)}{suffix}"
        path.write_bytes(data)
        items = list(read_file(InputFile(path, path.name, len(data)), limit))
    for item in items:
        assert isinstance(item, (Page, Rejection)), item
        if isinstance(item, Page):
            assert isinstance(item.text, str) and (item.html is None or isinstance(item.html, str))
            for value in (item.text, item.html, item.source, item.record, item.url, item.title, item.published,
                          item.fetched):
                if value is not None:
                    value.encode("utf-8")  # strict: a lone surrogate would break the Parquet writer later
        else:
            assert item.reason in REJECTIONS and item.detail, item
            to_table([rejected_row(item, "run")], REJECTED)
    return items


def product_suffixes() -> list[str]:
    """Every suffix a reader of the package handles (test-only readers, such as tests/faulty.py's, are not)."""
    return [s for s in supported_suffixes()
            if type(reader_for(Path("f" + s))).__module__.startswith("cleaners.")]


SUFFIXES = st.sampled_from(product_suffixes())


@FUZZ
@given(SUFFIXES, st.binary(max_size=4096))
@example(".txt", b"\xff\xfe\x00")  # a UTF-16 BOM and half a code unit
@example(".jsonl", b'{"text": "\\ud800"}')
@example(".parquet.gz", b"\x1f\x8b")
def test_random_bytes_never_crash_a_reader(suffix: str, data: bytes) -> None:
    check(suffix, data)


@FUZZ
@given(st.data())
def test_damaged_files_never_crash_a_reader(data: st.DataObject) -> None:
    suffix = data.draw(SUFFIXES)
    check(suffix, data.draw(mutated(_seed(suffix))))


def test_every_seed_reads_cleanly() -> None:
    """The undamaged seeds give pages: the mutations above start from files the readers accept."""
    for suffix in product_suffixes():
        items = check(suffix, _seed(suffix))
        assert any(isinstance(i, Page) for i in items), (suffix, items)
