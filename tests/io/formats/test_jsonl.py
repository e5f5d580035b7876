from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

from cleaners.io.readers import discover, read_file
from cleaners.model import Page, Rejection

BODY = "Headline\nA body paragraph that is long enough to stand for an article in this reader test.\n"


def _lines(*records: object) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def _read(path: Path, limit: int | None = None) -> list[Page | Rejection]:
    files, _ = discover([path])
    return [item for f in files for item in read_file(f, limit)]


def test_records_give_pages_with_their_fields_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(_lines(
        {"id": "a-1", "text": BODY, "url": "https://example.org/a", "title": "Given title",
         "published": "2024-05-06T10:00:00+02:00"},
        {"html": "<html><body><p>Hello</p></body></html>", "text": "ignored when html is given"},
        {"id": 17, "text": BODY},
    )))
    pages = _read(path)
    assert [p.record for p in pages] == ["a-1", "1", "17"]  # id field, else the 0-based row
    assert all(isinstance(p, Page) for p in pages)
    first, second, _ = pages
    assert (first.url, first.title, first.published) == ("https://example.org/a", "Given title",
                                                         "2024-05-06T10:00:00+02:00")
    assert second.html is not None and second.text == ""
    assert len({p.page_id for p in pages}) == 3


def test_bad_lines_are_rejected_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_lines({"text": BODY}, b"{not json", [1, 2], {"id": "x", "title": "no body"},
                            {"text": "   "}, b"", {"text": BODY + "second"}))
    got = _read(path)
    assert [(type(g).__name__, g.record, getattr(g, "reason", None)) for g in got] == [
        ("Page", "0", None), ("Rejection", "1", "not_json"), ("Rejection", "2", "not_json"),
        ("Rejection", "x", "no_text"), ("Rejection", "4", "no_text"), ("Page", "6", None)]
    assert "line 2" in got[1].detail


def test_repeated_ids_and_records_still_get_distinct_page_ids(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_bytes(_lines({"id": "same", "text": BODY}, {"id": "same", "text": BODY}))
    pages = _read(path)
    assert pages[0].record == pages[1].record == "same"
    assert pages[0].page_id != pages[1].page_id


def test_an_oversized_line_is_skipped_without_losing_the_next(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(_lines({"text": "word " * 50_000}, {"text": BODY}, {"text": "x" * 3_000}))
    got = _read(path, limit=2_000)
    assert [getattr(g, "reason", "page") for g in got] == ["too_large", "page", "too_large"]
    assert got[1].record == "1"


def test_a_truncated_gzip_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    data = gzip.compress(_lines(*({"id": n, "text": BODY * 20 + str(n)} for n in range(200))))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    got = _read(path)
    pages = [g for g in got if isinstance(g, Page)]
    assert 0 < len(pages) < 200 and [p.record for p in pages] == [str(n) for n in range(len(pages))]
    assert isinstance(got[-1], Rejection) and got[-1].reason == "truncated"
    assert f"after {len(pages)} records" in got[-1].detail


def test_an_empty_export_is_one_no_records_row_for_the_whole_file(tmp_path: Path) -> None:
    """No record at all (no bytes, blank lines only, an empty gzip stream) used to leave no row anywhere."""
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n   \n\t\n" * 4)
    (tmp_path / "empty.jsonl.gz").write_bytes(gzip.compress(b""))
    assert _rows(_read(tmp_path / "empty.jsonl")) == [(None, "no_records", "0 records in 0 bytes")]
    assert _rows(_read(tmp_path / "blank.jsonl")) == [(None, "no_records", "12 lines, all blank (28 bytes)")]
    size = (tmp_path / "empty.jsonl.gz").stat().st_size
    assert _rows(_read(tmp_path / "empty.jsonl.gz")) == [
        (None, "no_records", f"0 records in 0 bytes (gunzipped from {size} bytes)")]


def test_a_file_with_records_or_bad_lines_has_no_file_row(tmp_path: Path) -> None:
    """Only a file that yields nothing gets the row: a bad line is already a row of its own."""
    (tmp_path / "one.jsonl").write_bytes(b"\n\n" + _lines({"text": BODY}))
    (tmp_path / "bad.jsonl").write_bytes(b"\n{not json\n\n")
    assert [type(i) for i in _read(tmp_path / "one.jsonl")] == [Page]
    assert [r[:2] for r in _rows(_read(tmp_path / "bad.jsonl"))] == [("1", "not_json")]


def _rows(items: list[Page | Rejection]) -> list[tuple[str | None, str, str]]:
    """(record, reason, detail) of each item; a page shows as ("page", "", "")."""
    return [(i.record, i.reason, i.detail) if isinstance(i, Rejection) else ("page", "", "") for i in items]


def test_a_gzipped_bomb_of_blank_lines_ends_at_once_with_one_row(tmp_path: Path) -> None:
    """Issue 17, case 9: a 1 MB .jsonl.gz holding 1 GiB of newlines took 657 s and left no row. Its shape,
    small: past 16x max_page_bytes of gunzipped blank lines without a record, the file stops with a row."""
    path = tmp_path / "newlines.jsonl.gz"
    path.write_bytes(gzip.compress(_lines({"text": BODY}) + b"\n" * 4_000_000 + _lines({"text": BODY + "after"})))
    start = time.perf_counter()
    got = _read(path, limit=1_000)
    assert time.perf_counter() - start < 2
    assert [(type(g).__name__, g.record) for g in got] == [("Page", "0"), ("Rejection", None)]
    assert got[1].reason == "too_large" and "16000 gunzipped bytes" in got[1].detail
    assert "decompression bomb" in got[1].detail and got[1].provisional  # a higher limit reads it again


def test_blank_lines_are_skipped_in_blocks_not_one_at_a_time(tmp_path: Path) -> None:
    """Within the budget (or in a plain file, which has none) a long run of blank lines costs seconds at most:
    32 million of them took over 20 s one readline each."""
    path = tmp_path / "gaps.jsonl.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf\n" + b"\n \t\r\n" * 8_000_000 + _lines({"id": "late", "text": BODY})))
    start = time.perf_counter()
    got = _read(path, limit=5_000_000)
    assert time.perf_counter() - start < 3
    assert [(g.record, getattr(g, "reason", "page")) for g in got] == [("late", "page")]
    (tmp_path / "blank.jsonl").write_bytes(b"\xef\xbb\xbf" + b"\n" * 3_000_000)
    assert _rows(_read(tmp_path / "blank.jsonl", limit=1_000)) == [
        (None, "no_records", "3000000 lines, all blank (3000003 bytes)")]  # a plain file has no budget


def test_a_line_over_the_limit_in_a_gzip_bomb_stops_the_file(tmp_path: Path) -> None:
    """One line without an end, unpacking past the budget: the file stops there, with one row."""
    path = tmp_path / "one-line.jsonl.gz"
    path.write_bytes(gzip.compress(_lines({"text": BODY}) + b'{"text": "' + b"x" * 3_000_000))
    got = _read(path, limit=1_000)
    assert [(type(g).__name__, getattr(g, "reason", None)) for g in got] == [("Page", None), ("Rejection", "too_large")]
    assert got[1].record is None and "line 2 runs over 16000 gunzipped bytes" in got[1].detail


def test_a_half_written_last_line_is_a_provisional_row(tmp_path: Path) -> None:
    """The writer died mid-line: the row says so, and is provisional (a later run that finds the line completed
    replaces it: tests/test_incremental.py); a bad line with its line end is not."""
    path = tmp_path / "half.jsonl"
    path.write_bytes(_lines({"text": BODY}, b"{not json") + b'{"id": "c", "text": "Half a')
    got = _read(path)
    assert [(g.record, g.reason, g.provisional) for g in got if isinstance(g, Rejection)] == [
        ("1", "not_json", False), ("2", "not_json", True)]
    assert "the file ends inside this line" in got[2].detail


def test_finding_records_gives_the_pages_reading_gives_and_no_others(tmp_path: Path) -> None:
    """What the run report looks up: pages by record (an ``id`` field, else the row), each equal to the page
    a run read, past broken and blank lines; the other records are not made into pages."""
    from cleaners.io.readers import find_records

    path = tmp_path / "export.jsonl"
    path.write_bytes(_lines({"id": "a-1", "text": BODY}, b"{not json", {"text": BODY + "second"}, b"   ",
                            {"id": 17, "text": BODY + "third", "url": "https://example.org/c"}, [1, 2],
                            {"id": "z", "text": BODY + "last"}))
    files, _ = discover([path])
    everything = {item.record: item for item in read_file(files[0]) if isinstance(item, Page)}
    assert set(everything) == {"a-1", "2", "17", "z"}
    found = list(find_records(files[0], {"2", "17", "missing"}))
    assert found == [everything["2"], everything["17"]]


def test_finding_records_in_a_file_without_a_find_reads_it_all(tmp_path: Path) -> None:
    from cleaners.io.readers import find_records

    path = tmp_path / "page.txt"
    path.write_text(BODY)
    files, _ = discover([path])
    assert list(find_records(files[0], {"nothing"})) == list(read_file(files[0]))
