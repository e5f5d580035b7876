from __future__ import annotations

import gzip
from pathlib import Path

from cleaners.io.readers import discover, read_file
from cleaners.model import Page, Rejection

TEXT = "Headline here\nA body line that is long enough to be an article body for the reader test.\n"


def test_discover_walks_directories_names_sources_and_rejects_unknown_formats(tmp_path: Path) -> None:
    (tmp_path / "feed" / "day1").mkdir(parents=True)
    (tmp_path / "feed" / "day1" / "b.txt").write_text(TEXT)
    (tmp_path / "feed" / "a.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    (tmp_path / "feed" / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "feed" / ".hidden.txt").write_text(TEXT)
    single = tmp_path / "single.txt"
    single.write_text(TEXT)

    files, rejected = discover([tmp_path / "feed", single, tmp_path / "missing"])
    assert [f.source for f in files] == ["a.txt.gz", "day1/b.txt", "single.txt"]
    assert {(r.source, r.reason) for r in rejected} == {
        ("notes.docx", "unsupported_format"), (str(tmp_path / "missing"), "not_found"),
        (".hidden.txt", "hidden_file")}


def test_symlinked_folders_are_read_once_and_hidden_folders_are_reported(tmp_path: Path) -> None:
    (tmp_path / "in" / "real").mkdir(parents=True)
    (tmp_path / "in" / "real" / "a.txt").write_text(TEXT)
    (tmp_path / "in" / ".git").mkdir()
    (tmp_path / "in" / ".git" / "x.txt").write_text(TEXT)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.txt").write_text(TEXT + "b")
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "in" / "real" / "loop").symlink_to(tmp_path / "in" / "real")
    files, rejected = discover([tmp_path / "in"])
    assert [f.source for f in files] == ["linked/b.txt", "real/a.txt"]
    assert {(r.source, r.reason) for r in rejected} == {
        (".git", "hidden_directory"), ("real/loop", "duplicate_input")}


def test_identical_copies_under_one_source_name_are_read_once(tmp_path: Path) -> None:
    for folder, text in (("x", TEXT), ("y", TEXT), ("z", TEXT + "changed")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(text)
    files, rejected = discover([tmp_path / "x", tmp_path / "y", tmp_path / "z"])
    assert [f.path.parent.name for f in files] == ["x", "z"]  # different bytes: a different page
    assert [(r.source, r.reason) for r in rejected] == [("a.txt", "duplicate_input")]


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
