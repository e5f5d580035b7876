from __future__ import annotations

import gzip
from pathlib import Path

from cleaners.io.readers import discover, read_file
from cleaners.model import Page, Rejection

HTML = "<html><head><meta charset='windows-1252'><title>T</title></head><body><p>Caf\xe9 cr\xe8me</p></body></html>"


def _read(tmp_path: Path, limit: int | None = None) -> dict[str, Page | Rejection]:
    files, _ = discover([tmp_path])
    return {f.source: item for f in files for item in read_file(f, limit)}


def test_html_is_decoded_by_its_declared_charset_plain_and_gzipped(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(HTML.encode("windows-1252"))
    (tmp_path / "b.htm.gz").write_bytes(gzip.compress(HTML.encode("windows-1252")))
    got = _read(tmp_path)
    assert all(isinstance(p, Page) and "Café crème" in p.html and p.text == "" for p in got.values())
    assert got["a.html"].content_sha == got["b.htm.gz"].content_sha


def test_binary_saved_as_html_is_not_html_and_tagless_text_is_cleaned_as_text(tmp_path: Path) -> None:
    (tmp_path / "logo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (tmp_path / "report.pdf.html").write_bytes(b"%PDF-1.7\n1 0 obj")
    (tmp_path / "flat.html").write_text("Headline\nA paragraph of flattened text saved with the wrong name.\n")
    got = _read(tmp_path)
    assert (got["logo.html"].reason, got["report.pdf.html"].reason) == ("not_html", "not_html")
    assert "PNG" in got["logo.html"].detail
    assert isinstance(got["flat.html"], Page) and got["flat.html"].html is None
    assert got["flat.html"].text.startswith("Headline")


def test_a_page_over_the_size_limit_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    (tmp_path / "big.html").write_text("<p>" + "word " * 5000 + "</p>")
    (tmp_path / "small.html").write_text("<p>small page</p>")
    got = _read(tmp_path, limit=10_000)
    assert got["big.html"].reason == "too_large" and "max_page_bytes" in got["big.html"].detail
    assert isinstance(got["small.html"], Page)


def test_an_empty_html_file_is_still_a_page(tmp_path: Path) -> None:
    """One page per file, empty or not: the pipeline rejects it as empty_after_cleaning, not no_records."""
    (tmp_path / "empty.html").write_bytes(b"")
    got = _read(tmp_path)
    assert isinstance(got["empty.html"], Page) and got["empty.html"].text == "" and got["empty.html"].html is None
