"""A corpus of dirty inputs, made by the tests, each with the one place its records must end.

Every case is a file a real scraper or crawler leaves behind (wrong
encodings, binary blobs under page names, cut gzip, half-written JSONL,
oversized and script-only pages, deep markup, NULs, mixed line endings,
right-to-left and CJK text, emoji, exports and crawls that came out empty;
broken links, link loops, a FIFO, links to devices and out of the inbox; a WARC
record with a wrong Content-Length). :func:`make_corpus` writes them and
returns the expected outcome of every record: ``"article"`` (in
``articles/`` or ``duplicates/``) or the reason code of its one
``rejected/`` row. Texts are written here, not taken from the seeds.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

#: The record id of a file-level row (a .txt page, a truncation note, a file with no record).
FILE = None


@dataclass(frozen=True)
class Expected:
    source: str
    record: str | None
    outcome: str  # "article" or a rejection reason


def story(topic: str, n: int = 4) -> str:
    """A plain news story of ``n`` paragraphs about ``topic`` (distinct per topic, so no two collapse)."""
    rng = random.Random(topic)
    verbs = ["said", "announced", "confirmed", "warned", "argued", "reported", "noted", "insisted"]
    who = ["the mayor", "officials", "the council", "residents", "the agency", "analysts", "the minister"]
    things = ["the budget", "the new bridge", "water prices", "the school plan", "the harbour works",
              "bus routes", "the housing scheme", "flood defences", "the library", "road repairs"]
    paras = []
    for i in range(n):
        sentences = [f"{rng.choice(who).capitalize()} {rng.choice(verbs)} on {['Monday', 'Tuesday', 'Friday'][i % 3]}"
                     f" that {rng.choice(things)} for {topic} would change after {rng.randint(2, 40)} months of "
                     f"talks with {rng.choice(who)}." for _ in range(3)]
        paras.append(" ".join(sentences))
    return f"{topic.title()} plans move ahead after long talks\n\n" + "\n\n".join(paras) + "\n"


def _jsonl(rows: list[object]) -> bytes:
    """JSON lines as json.dumps writes them (ASCII, so a lone surrogate is the escape ``\\ud800``)."""
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def make_corpus(root: Path) -> list[Expected]:
    """Write the dirty corpus under ``root``; the expected outcome of every record in it."""
    root.mkdir(parents=True, exist_ok=True)
    expected: list[Expected] = []

    def page(name: str, data: bytes, outcome: str) -> None:
        (root / name).write_bytes(data)
        expected.append(Expected(name, FILE, outcome))

    # encodings
    page("clean_utf8.txt", story("harbour town").encode(), "article")
    page("windows_1252.txt", story("café société à Genève").encode("cp1252"), "article")
    page("utf16_bom.txt", story("river crossing").encode("utf-16"), "article")
    page("koi8r.txt", ("Мэр заявил в понедельник, что новый мост откроется весной после долгих переговоров с "
                       "советом города и жителями района.\n\n" * 4).encode("koi8-r"), "article")
    page("mojibake.txt", story("naïve résumé fête").encode("utf-8").decode("cp1252", "replace").encode(), "article")
    page("undecodable.txt", bytes(range(0x80, 0x100)) * 40, "decode_error")
    # binary blobs under page names
    page("image.html", b"\x89PNG\r\n\x1a\n" + bytes(random.Random(1).randrange(256) for _ in range(4000)),
         "not_html")
    page("noise.txt", bytes(random.Random(2).randrange(256) for _ in range(5000)), "not_text")
    zipped = gzip.compress(story("cut download").encode() * 20)
    page("cut_download.txt.gz", zipped[: len(zipped) // 2], "truncated")
    # control characters, line endings, scripts
    page("nul_bytes.txt", story("nul valley").replace("talks", "talks\x00").encode(), "article")
    crlf = story("mixed endings").replace("\n\n", "\r\n\r\n", 2).replace("\n\n", "\r\r", 1)
    page("mixed_line_endings.txt", crlf.encode(), "article")
    page("arabic.txt", ("قال رئيس البلدية يوم الاثنين إن الجسر الجديد سيفتح في الربيع بعد محادثات طويلة مع "
                        "المجلس والسكان في المنطقة الشمالية من المدينة.\n\n" * 4).encode(), "article")
    page("hebrew.txt", ("ראש העירייה אמר ביום שני כי הגשר החדש ייפתח באביב לאחר שיחות ארוכות עם המועצה "
                        "והתושבים באזור הצפוני של העיר.\n\n" * 4).encode(), "article")
    page("chinese.txt", ("市长周一表示，经过与市议会和居民的长期谈判，新桥将于明年春天开通，预计每天可通行两万辆汽车。\n\n"
                         * 4).encode(), "article")
    page("emoji.txt", story("emoji bay").replace(".", ". 🎉", 3).encode(), "article")
    # sizes and shapes
    page("huge.txt", (story("huge page") * 40_000).encode()[:6_000_000], "too_large")
    page("empty.txt", b"", "empty_after_cleaning")
    page("script_only.html", b"<html><head><script>" + b"var x = 1;" * 500 + b"</script></head><body>"
         b"<script>document.write('hi')</script></body></html>", "empty_after_cleaning")
    deep = "<div>" * 3000 + "<p>" + story("deep markup") + "</p>" + "</div>" * 3000
    page("deep_markup.html", f"<html><body>{deep}</body></html>".encode(), "too_deep")
    page("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "unsupported_format")

    # records: half-written JSONL, cut gzip, lone surrogates, wrong types
    rows = [{"id": "a1", "text": story("north quay")}, {"id": "a2", "text": story("south quay")},
            {"id": "a3", "text": story("east quay")}]
    half = _jsonl(rows[:2]) + json.dumps(rows[2]).encode()[:80]  # the writer died mid-line
    (root / "half_written.jsonl").write_bytes(half)
    expected += [Expected("half_written.jsonl", "a1", "article"), Expected("half_written.jsonl", "a2", "article"),
                 Expected("half_written.jsonl", "2", "not_json")]
    records = _jsonl([{"id": "b1", "text": story("west pier")}, ["not", "an", "object"],
                      {"id": "b3", "text": ""}, {"id": "b4", "html": 42},
                      {"id": "b5", "text": story("lone surrogate").replace("of talks", "of talks \ud800", 1)}])
    (root / "mixed_records.jsonl").write_bytes(records)
    expected += [Expected("mixed_records.jsonl", "b1", "article"), Expected("mixed_records.jsonl", "1", "not_json"),
                 Expected("mixed_records.jsonl", "b3", "no_text"), Expected("mixed_records.jsonl", "b4", "no_text"),
                 Expected("mixed_records.jsonl", "b5", "article")]
    many = _jsonl([{"id": f"c{i}", "text": story(f"district {i}")} for i in range(30)])
    cut = gzip.compress(many)
    (root / "cut.jsonl.gz").write_bytes(cut[: len(cut) // 2])
    # how many whole records the first half of the stream holds
    whole = gzip.GzipFile(fileobj=io.BytesIO(cut[: len(cut) // 2]))
    got = b""
    try:
        while chunk := whole.read(1024):
            got += chunk
    except EOFError:
        pass
    n_whole = got.count(b"\n")
    expected += [Expected("cut.jsonl.gz", f"c{i}", "article") for i in range(n_whole)]
    expected.append(Expected("cut.jsonl.gz", FILE, "truncated"))

    table = pa.table({"id": ["p1", "p2"], "text": [story("parquet one"), None]})
    pq.write_table(table, root / "export.parquet")
    expected += [Expected("export.parquet", "p1", "article"), Expected("export.parquet", "p2", "no_text")]
    (root / "broken.parquet").write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    expected.append(Expected("broken.parquet", FILE, "read_error"))

    # files that hold no record at all: one row for the whole file, so none vanishes without a trace
    page("empty.jsonl", b"", "no_records")
    page("blank_lines.jsonl", b"\n \n\t\n\n", "no_records")
    page("empty.jsonl.gz", gzip.compress(b""), "no_records")
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
                   root / "zero_rows.parquet")
    expected.append(Expected("zero_rows.parquet", FILE, "no_records"))
    crawl = io.BytesIO()
    writer = WARCWriter(crawl, gzip=True)
    writer.write_record(writer.create_warcinfo_record("warcinfo_only.warc.gz", {"software": "badinput"}))
    page("warcinfo_only.warc.gz", crawl.getvalue(), "no_records")

    # paths that are no regular file inside INPUT, or lead out of it: one row each, nothing read (issue 17)
    outside = root.parent / "outside-of-input.txt"
    outside.write_bytes(story("outside the inbox").encode())
    for name, target, outcome in (("broken_link.txt", root / "no-such-page.txt", "broken_link"),
                                  ("loop_a.txt", root / "loop_b.txt", "broken_link"),
                                  ("loop_b.txt", root / "loop_a.txt", "broken_link"),
                                  ("dev_zero.txt", Path("/dev/zero"), "not_regular_file"),
                                  ("dev_urandom.jsonl", Path("/dev/urandom"), "not_regular_file"),
                                  ("passwd.txt", outside, "outside_input")):
        (root / name).symlink_to(target)
        expected.append(Expected(name, FILE, outcome))
    os.mkfifo(root / "pipe.jsonl")
    expected.append(Expected("pipe.jsonl", FILE, "not_regular_file"))

    # a WARC record whose Content-Length is 300 bytes too low: that record only, the next ones are read
    members = []
    for n in range(3):
        member = io.BytesIO()
        writer = WARCWriter(member, gzip=False)
        body = "<html><body>\n" + "".join(f"<p>{p}</p>\n" for p in story(f"crawl {n}").split("\n\n")) + "</body></html>"
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(f"https://crawl.example/{n}", "response",
                                           payload=io.BytesIO(body.encode()), http_headers=http)
        writer.write_record(record)
        expected.append(Expected("wrong_length.warc", record.rec_headers.get_header("WARC-Record-ID"),
                                 "length_mismatch" if n == 1 else "article"))
        members.append(member.getvalue())
    length = re.search(rb"\r\nContent-Length: (\d+)\r\n", members[1])
    assert length is not None
    members[1] = members[1][:length.start(1)] + str(int(length.group(1)) - 300).encode() + members[1][length.end(1):]
    (root / "wrong_length.warc").write_bytes(b"".join(members))
    return expected
