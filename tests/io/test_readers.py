from __future__ import annotations

import gzip
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from cleaners.io import readers
from cleaners.io.readers import (
    InputFile,
    _drop_identical_copies,
    discover,
    find_input,
    read_file,
    source_base,
)
from cleaners.model import Page, Rejection

TEXT = "Headline here\nA body line that is long enough to be an article body for the reader test.\n"


def test_discover_walks_directories_names_sources_and_rejects_unknown_formats(tmp_path: Path) -> None:
    (tmp_path / "feed" / "day1").mkdir(parents=True)
    (tmp_path / "feed" / "day1" / "b.txt").write_text(TEXT)
    (tmp_path / "feed" / "a.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    (tmp_path / "feed" / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "feed" / ".hidden.txt").write_text(TEXT)

    files, rejected = discover([tmp_path / "feed"])  # one INPUT: relative to it (CONTRACT.md)
    assert [f.source for f in files] == ["a.txt.gz", "day1/b.txt"]
    assert {(r.source, r.reason) for r in rejected} == {("notes.docx", "unsupported_format"),
                                                         (".hidden.txt", "hidden_file")}


def test_several_inputs_are_named_from_their_deepest_common_folder(tmp_path: Path) -> None:
    """Several INPUTs: sources relative to the folder that holds them all, so they stay apart; rejections
    from inside a folder carry the same prefix; a missing INPUT keeps the path as given."""
    (tmp_path / "feed" / "day1").mkdir(parents=True)
    (tmp_path / "feed" / "day1" / "b.txt").write_text(TEXT)
    (tmp_path / "feed" / "a.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    (tmp_path / "feed" / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "feed" / ".hidden.txt").write_text(TEXT)
    single = tmp_path / "single.txt"
    single.write_text(TEXT)

    files, rejected = discover([tmp_path / "feed", single, tmp_path / "missing"])
    assert source_base([tmp_path / "feed", single, tmp_path / "missing"]) == tmp_path
    assert [f.source for f in files] == ["feed/a.txt.gz", "feed/day1/b.txt", "single.txt"]
    assert {(r.source, r.reason) for r in rejected} == {
        ("feed/notes.docx", "unsupported_format"), (str(tmp_path / "missing"), "not_found"),
        ("feed/.hidden.txt", "hidden_file")}


def test_two_input_folders_with_the_same_file_names_give_distinct_sources(tmp_path: Path) -> None:
    """The bug: ``a/page.txt`` and ``b/page.txt`` were both ``page.txt``, and records in two exports of one
    name got one article_id. Identical bytes in two folders are two files now, not one ``duplicate_input``."""
    for folder, text in (("a", TEXT), ("b", TEXT), ("c", TEXT + "changed")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "page.txt").write_text(text)
    files, rejected = discover([tmp_path / "a", tmp_path / "b", tmp_path / "c"])
    assert [f.source for f in files] == ["a/page.txt", "b/page.txt", "c/page.txt"]
    assert rejected == []
    # files given one by one, from two folders: the same rule
    files, _ = discover([tmp_path / "b" / "page.txt", tmp_path / "a" / "page.txt"])
    assert [f.source for f in files] == ["a/page.txt", "b/page.txt"]


def test_day_folders_of_one_export_name_are_told_apart_and_paths_are_absolute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for day in ("day1", "day2"):
        (tmp_path / "inbox" / day).mkdir(parents=True)
        (tmp_path / "inbox" / day / "export.jsonl").write_text('{"text": "x"}\n')
    monkeypatch.chdir(tmp_path / "inbox")
    files, _ = discover(["day1", "day2"])  # relative, as typed on the command line
    assert [f.source for f in files] == ["day1/export.jsonl", "day2/export.jsonl"]
    assert all(f.path.is_absolute() and f.path.is_file() for f in files)
    one, _ = discover(["day1"])  # one INPUT: as before
    assert [f.source for f in one] == ["export.jsonl"] and one[0].path.is_absolute()
    named, _ = discover(["day1/export.jsonl"])
    assert [f.source for f in named] == ["export.jsonl"] and named[0].path == tmp_path / "inbox/day1/export.jsonl"
    monkeypatch.chdir(tmp_path)  # another working directory, as a Dask worker has: the paths still hold
    assert all(f.path.is_file() for f in files)


def test_one_input_given_twice_or_a_file_inside_a_given_folder_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "x.txt").write_text(TEXT)
    (tmp_path / "in" / "y.txt").write_text(TEXT + "y")
    files, rejected = discover([tmp_path / "in", tmp_path / "in"])
    assert [f.source for f in files] == ["sub/x.txt", "y.txt"] and rejected == []  # still one INPUT
    files, rejected = discover([tmp_path / "in", tmp_path / "in" / "sub" / "x.txt"])
    assert [f.source for f in files] == ["sub/x.txt", "y.txt"] and rejected == []


def test_every_source_leads_back_to_its_file(tmp_path: Path) -> None:
    for rel in ("a/x.txt", "a/deep/y.txt", "b/x.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(TEXT + rel)
    for inputs in ([tmp_path / "a"], [tmp_path / "a" / "x.txt"], [tmp_path / "a", tmp_path / "b" / "x.txt"],
                   [tmp_path / "a" / "deep", tmp_path / "b"]):
        files, _ = discover(inputs)
        assert files and all(find_input(inputs, f.source) == f.path for f in files), inputs
    assert find_input([tmp_path / "a", tmp_path / "b"], "c/x.txt") is None


def test_identical_copies_under_one_source_name_are_read_once(tmp_path: Path) -> None:
    """The guard for names that still meet: one name, the same bytes, read once; other bytes, kept."""
    for folder, text in (("x", TEXT), ("y", TEXT), ("z", TEXT + "changed")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(text)
    files = [InputFile(tmp_path / f / "a.txt", "a.txt", 1) for f in ("x", "y", "z")]
    rejected: list[Rejection] = []
    kept = _drop_identical_copies(files, rejected)
    assert [f.path.parent.name for f in kept] == ["x", "z"]  # different bytes: a different page
    assert [(r.source, r.reason) for r in rejected] == [("a.txt", "duplicate_input")]


def test_many_files_are_checked_for_copies_in_linear_time(tmp_path: Path) -> None:
    """``names.count`` per file made 100,000 inputs take 167 s; a Counter takes milliseconds."""
    files = [InputFile(tmp_path / f"{n}.txt", f"{n}.txt", 1) for n in range(50_000)]
    start = time.perf_counter()
    assert _drop_identical_copies(files, []) == files
    assert time.perf_counter() - start < 2.0


def test_input_order_does_not_change_discovery(tmp_path: Path) -> None:
    for name in ("c.txt", "a.txt", "b.txt"):
        (tmp_path / name).write_text(TEXT)
    paths = [tmp_path / n for n in ("c.txt", "a.txt", "b.txt")]
    assert discover(paths)[0] == discover(list(reversed(paths)))[0]


def test_text_and_gzipped_text_read_to_the_same_page(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text(TEXT)
    (tmp_path / "q.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    files, _ = discover([tmp_path])
    pages = [item for f in files for item in read_file(f)]
    assert all(isinstance(p, Page) for p in pages)
    assert pages[0].text == pages[1].text == TEXT
    assert pages[0].content_sha == pages[1].content_sha  # ids follow content, not compression
    assert pages[0].record is None


def test_legacy_encodings_are_decoded_and_named(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Le caf\xe9 cr\xe8me, d\xe9j\xe0 servi \xe0 l'h\xf4tel.".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("Plain words in UTF-16 without a mark.".encode("utf-16-le"))
    files, _ = discover([tmp_path])
    pages = {f.source: next(iter(read_file(f))) for f in files}
    assert pages["latin1.txt"].text == "Le caf\xe9 cr\xe8me, d\xe9j\xe0 servi \xe0 l'h\xf4tel."
    assert pages["latin1.txt"].encoding == "cp1252"
    assert pages["utf16.txt"].text == "Plain words in UTF-16 without a mark."
    assert pages["utf16.txt"].encoding == "utf-16-le"


def test_utf16_and_utf32_behind_a_byte_order_mark_are_text_not_binary(tmp_path: Path) -> None:
    """Their code units are dense in control bytes (CJK in UTF-16, anything in UTF-32): the binary sniff
    took them for binary data and rejected them as not_text."""
    chinese = "\u5317\u4eac\u5e02\u4eca\u5929\u53d1\u5e03\u4e86\u65b0\u7684\u4ea4\u901a\u3002" * 20
    (tmp_path / "zh16.txt").write_bytes(chinese.encode("utf-16"))
    (tmp_path / "zh32.txt").write_bytes(chinese.encode("utf-32"))
    (tmp_path / "en32.html").write_bytes(f"<p>{TEXT}</p>".encode("utf-32"))
    (tmp_path / "nul16.txt").write_bytes(b"\xff\xfe" + bytes(4000))  # a mark, then nothing but NULs: binary
    files, _ = discover([tmp_path])
    got = {f.source: next(iter(read_file(f))) for f in files}
    assert got["zh16.txt"].text == got["zh32.txt"].text == chinese
    assert TEXT.strip() in got["en32.html"].html
    assert got["nul16.txt"].reason == "not_text"


def test_bad_files_become_rejections_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "truncated.txt.gz").write_bytes(gzip.compress(TEXT.encode() * 50)[:40])
    files, _ = discover([tmp_path])
    got = {f.source: next(iter(read_file(f))) for f in files}
    assert all(isinstance(r, Rejection) for r in got.values())
    assert {s: r.reason for s, r in got.items()} == {
        "binary.txt": "not_text", "truncated.txt.gz": "truncated"}
    assert all(r.detail for r in got.values())


class _Silent:
    """A reader that finds nothing and says nothing, or fails before its first record."""

    suffixes = (".nothing",)

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]:
        if self.fail is not None:
            raise self.fail
        yield from ()


def test_a_file_that_yields_nothing_is_one_no_records_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Conservation for files: a reader that ends without an item leaves one file-level row, whatever the
    format; a reader that fails before its first record leaves its failure's row only."""
    path = tmp_path / "f.nothing"
    path.write_bytes(b"abc")
    monkeypatch.setitem(readers._READERS, ".nothing", _Silent())
    items = list(read_file(InputFile(path, "f.nothing", 3)))
    assert [(i.source, i.record, i.reason, i.detail) for i in items if isinstance(i, Rejection)] == [
        ("f.nothing", None, "no_records", "no record in 3 bytes")] and len(items) == 1
    monkeypatch.setitem(readers._READERS, ".nothing", _Silent(EOFError("cut")))
    assert [i.reason for i in read_file(InputFile(path, "f.nothing", 3)) if isinstance(i, Rejection)] == [
        "truncated"]


def test_an_empty_text_file_is_still_a_page(tmp_path: Path) -> None:
    """A .txt file is one page, empty or not: it ends as empty_after_cleaning, never as no_records."""
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "empty.txt.gz").write_bytes(gzip.compress(b""))
    files, _ = discover([tmp_path])
    items = [item for f in files for item in read_file(f)]
    assert len(items) == 2 and all(isinstance(i, Page) and i.text == "" for i in items)


def test_two_days_of_one_export_name_give_distinct_article_ids(tmp_path: Path) -> None:
    """``python -m flows.clean day1 day2``: a record both exports hold (same id, text and row) gave two
    articles one ``article_id``, since ids hash the source; now each day's copy has its own."""
    from cleaners.pipeline import run  # the whole run: ids are made by the cleaning stage

    body = ("The harbour ferry will keep running through the winter for the first time in its long history, "
            "the port authority said on Tuesday after a campaign by island residents.")
    for day, extra in (("day1", "orchard"), ("day2", "bridge")):
        (tmp_path / day).mkdir()
        records = [{"id": "a", "text": f"Ferry news\n{body}"},
                   {"id": "b", "text": f"Other {extra} news\n{body.replace('harbour ferry', extra)} {extra}."}]
        (tmp_path / day / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    run([tmp_path / "day1", tmp_path / "day2"], tmp_path / "out")
    rows = [r for name in ("articles", "duplicates")
            for r in ds.dataset(tmp_path / "out" / name, partitioning="hive").to_table().to_pylist()]
    assert {(r["source"], r["record"]) for r in rows} >= {("day1/export.jsonl", "a"), ("day2/export.jsonl", "a")}
    assert len({r["article_id"] for r in rows}) == len(rows)


# ---------------------------------------------------------------------- links, devices, pipes (issue 17, 7 and 8)
def _links_inbox(tmp_path: Path) -> Path:
    """An inbox of every kind of path that is not a plain file, beside one real page."""
    inbox, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    (inbox / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text(TEXT + "outside")
    (inbox / "page.txt").write_text(TEXT)
    (inbox / "broken.txt").symlink_to(tmp_path / "missing.txt")
    (inbox / "loop1.txt").symlink_to(inbox / "loop2.txt")
    (inbox / "loop2.txt").symlink_to(inbox / "loop1.txt")
    os.mkfifo(inbox / "pipe.jsonl")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    (inbox / "random.jsonl").symlink_to("/dev/urandom")
    (inbox / "passwd.txt").symlink_to(elsewhere / "secret.txt")  # /etc/passwd, in a test's own folder
    (inbox / "linked").symlink_to(elsewhere)
    (inbox / "sub" / "again.txt").symlink_to(inbox / "page.txt")  # inside INPUT: followed
    return inbox


def test_links_out_of_input_devices_pipes_and_broken_links_are_rows_not_reads(tmp_path: Path) -> None:
    """Issue 17, cases 7 and 8: a broken link, a loop, a FIFO and links to /dev/zero and /dev/urandom left no
    row at all; a link out of INPUT was followed (/etc/passwd became an article)."""
    inbox = _links_inbox(tmp_path)
    start = time.perf_counter()
    files, rejected = discover([inbox])
    assert [f.source for f in files] == ["page.txt", "sub/again.txt"]
    assert {(r.source, r.reason) for r in rejected} == {
        ("broken.txt", "broken_link"), ("loop1.txt", "broken_link"), ("loop2.txt", "broken_link"),
        ("pipe.jsonl", "not_regular_file"), ("zero.txt", "not_regular_file"), ("random.jsonl", "not_regular_file"),
        ("passwd.txt", "outside_input"), ("linked", "outside_input")}
    detail = {r.source: r.detail for r in rejected}
    assert "/dev/zero" in detail["zero.txt"] and "FIFO" in detail["pipe.jsonl"] and "loop" in detail["loop1.txt"]
    assert str(tmp_path / "elsewhere" / "secret.txt") in detail["passwd.txt"] and "--follow-links" in detail["passwd.txt"]
    # following links: out of INPUT too, but never a device or a pipe
    files, rejected = discover([inbox], follow_links=True)
    assert [f.source for f in files] == ["linked/secret.txt", "page.txt", "passwd.txt", "sub/again.txt"]
    assert {r.reason for r in rejected} == {"broken_link", "not_regular_file"}
    # given as INPUT: a link is the user's choice; a pipe or a device still is not read
    files, rejected = discover([inbox / "passwd.txt", inbox / "pipe.jsonl", inbox / "zero.txt"])
    assert [f.source for f in files] == ["passwd.txt"]
    assert sorted((r.source, r.reason) for r in rejected) == [("pipe.jsonl", "not_regular_file"),
                                                              ("zero.txt", "not_regular_file")]
    assert time.perf_counter() - start < 5  # nothing waited on the pipe or read the devices


def test_a_path_that_became_a_pipe_after_discovery_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    pipe = tmp_path / "late.jsonl"
    os.mkfifo(pipe)

    def unblock() -> None:  # a reader that opened the pipe would wait for a writer for ever: end it, and fail
        fd = os.open(pipe, os.O_WRONLY)  # waits for a reader; none ever comes when the pipe is refused
        try:
            os.write(fd, b'{"text": "came through the pipe"}\n')
        except BrokenPipeError:  # the test's own reader below, gone already
            pass
        finally:
            os.close(fd)

    writer = threading.Thread(target=unblock, daemon=True)
    writer.start()
    start = time.perf_counter()
    items = list(read_file(InputFile(pipe, "late.jsonl", 0)))
    assert [(i.reason, "not a regular file" in i.detail) for i in items] == [("unreadable", True)]
    assert time.perf_counter() - start < 2
    os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))  # let the writer thread finish
    writer.join(5)


def test_a_run_over_links_and_devices_places_every_path(tmp_path: Path) -> None:
    """Through the pipeline: one row for every path that is not read, the page read (twice: two names)."""
    from cleaners.config import CleanConfig
    from cleaners.pipeline import run

    inbox = _links_inbox(tmp_path)
    summary = run([inbox], tmp_path / "out")
    assert summary.rejected_by_reason == {"broken_link": 3, "not_regular_file": 3, "outside_input": 2}
    assert summary.counts.pages == 2
    again = run([inbox], tmp_path / "out2", CleanConfig(follow_links="all"))
    assert again.rejected_by_reason == {"broken_link": 3, "not_regular_file": 3} and again.counts.pages == 4


def test_two_days_with_equal_first_rows_give_no_self_duplicates(tmp_path: Path) -> None:
    """Issue 17, case 4: ``python -m flows.clean day1 day2``, both holding ``export.jsonl`` whose first rows are
    equal, gave ``duplicates`` rows whose article_id was their own duplicate_of and an ``articles`` id."""
    from cleaners.pipeline import run

    first = [{"id": "a", "text": f"Ferry news\n{TEXT * 3}"}, {"id": "b", "text": f"Orchard news\n{TEXT * 2} orchard"}]
    for day, extra in (("day1", "winter"), ("day2", "summer")):
        (tmp_path / day).mkdir()
        rows = [*first, {"id": "c", "text": f"Bridge news in {extra}\n{TEXT} {extra} " * 2}]
        (tmp_path / day / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run([tmp_path / "day1", tmp_path / "day2"], tmp_path / "out")
    articles, duplicates = (ds.dataset(tmp_path / "out" / name, partitioning="hive").to_table().to_pylist()
                            for name in ("articles", "duplicates"))
    kept = {r["article_id"] for r in articles}
    assert duplicates, "the day2 copies of the equal rows are duplicates of day1's"
    assert all(d["article_id"] != d["duplicate_of"] and d["article_id"] not in kept and d["duplicate_of"] in kept
               for d in duplicates)
    assert len({r["article_id"] for r in articles + duplicates}) == len(articles) + len(duplicates)
