from __future__ import annotations

import gzip
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleaners.io.readers import discover, read_file
from cleaners.model import Page, Rejection
from tests.memlimit import make_in_child, run_limited

BODY = "Headline\nA body paragraph that is long enough to stand for an article in this reader test.\n"


def _read(path: Path, limit: int | None = None) -> list[Page | Rejection]:
    files, _ = discover([path])
    return [item for f in files for item in read_file(f, limit)]


def test_rows_stream_in_batches_with_typed_columns(tmp_path: Path) -> None:
    n = 600  # more than one batch
    table = pa.table({
        "id": pa.array([None if i == 3 else f"r{i}" for i in range(n)]),
        "text": pa.array([BODY + str(i) if i != 5 else None for i in range(n)]),
        "published": pa.array([datetime(2024, 1, 2, tzinfo=timezone.utc)] * n),
        "extra": pa.array(range(n)),
    })
    path = tmp_path / "rows.parquet"
    pq.write_table(table, path, row_group_size=100)
    got = _read(path)
    assert len(got) == n
    assert got[0].record == "r0" and got[3].record == "3"  # no id: the row number
    assert got[5].reason == "no_text"
    assert got[0].published.startswith("2024-01-02")
    assert got[599].text.endswith("599")


def test_html_column_gzipped_file_and_a_file_without_a_body_column(tmp_path: Path) -> None:
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"html": ["<html><body><p>Hi</p></body></html>"], "url": ["https://x.org/"]}), buf)
    (tmp_path / "pages.parquet.gz").write_bytes(gzip.compress(buf.getvalue().to_pybytes()))
    pq.write_table(pa.table({"body": ["text under another name"]}), tmp_path / "wrong.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    got = {g.source: g for g in _read(tmp_path)}
    assert got["pages.parquet.gz"].html.startswith("<html>") and got["pages.parquet.gz"].url == "https://x.org/"
    assert got["wrong.parquet"].reason == "no_text" and "body" in got["wrong.parquet"].detail
    assert got["broken.parquet"].reason == "read_error"


def test_an_oversized_value_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"text": ["x " * 5_000, BODY]}), path)
    got = _read(path, limit=2_000)
    assert got[0].reason == "too_large" and isinstance(got[1], Page)


def _plain(table: pa.Table, path: Path) -> bytes:
    pq.write_table(table, path, use_dictionary=False, write_statistics=False, compression="none")
    return path.read_bytes()


def test_one_value_python_cannot_take_costs_only_its_own_field(tmp_path: Path) -> None:
    """Found by tests/io/test_fuzz.py: one such value made the whole file a single read_error."""
    path = tmp_path / "latin1.parquet"
    french = "Le caf\u00e9 cr\u00e8me, d\u00e9j\u00e0 servi \u00e0 l'h\u00f4tel."
    data = _plain(pa.table({"text": [french, BODY], "title": [french, "ok"]}), path)
    latin1 = french.encode("latin-1").ljust(len(french.encode()))  # same length: the page stays readable
    path.write_bytes(data.replace(french.encode(), latin1))  # a writer that stored Latin-1 as "string"
    got = _read(path)
    assert [type(g) for g in got] == [Page, Page]
    assert got[0].text.startswith(french) and got[0].encoding is not None  # decoded like any bytes
    assert got[0].title.startswith("Le caf\ufffd cr\ufffdme") and got[1].title == "ok"

    pq.write_table(pa.table({"text": [BODY, BODY],
                             "published": pa.array([400_000_000_000, 1], pa.timestamp("s")),  # year 14645
                             "url": pa.array([None, 2**62 + 1], pa.timestamp("ns"))}), path)
    got = _read(path)
    assert [type(g) for g in got] == [Page, Page]
    assert got[0].published is None and got[1].published == "1970-01-01T00:00:01"


def test_rows_the_footer_counts_but_the_data_lacks_end_the_file_with_a_rejection(tmp_path: Path,
                                                                               monkeypatch) -> None:  # noqa: ANN001
    """A damaged page header makes pyarrow yield fewer rows than the footer says, without an error."""
    path = tmp_path / "short.parquet"
    pq.write_table(pa.table({"text": [BODY, BODY, BODY]}), path)
    real = pq.ParquetFile.iter_batches

    def first_row_only(self, *args, **kwargs):  # noqa: ANN001,ANN002,ANN003,ANN202
        for batch in real(self, *args, **kwargs):
            yield batch.slice(0, 1)
            return

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", first_row_only)
    got = _read(path)
    assert isinstance(got[0], Page)
    assert got[1].reason == "read_error" and got[1].record is None and "3 rows" in got[1].detail and len(got) == 2


def test_a_time_zone_python_does_not_know_is_read_as_utc(tmp_path: Path) -> None:
    """Found probing the reader with typed columns: converting the column raised pytz's UnknownTimeZoneError
    (a KeyError), which ended the whole file with a read_error."""
    path = tmp_path / "tz.parquet"
    published = pa.array([0, None], pa.timestamp("ms", "Mars/Olympus"))
    pq.write_table(pa.table({"text": [BODY, BODY], "published": published}), path)
    got = _read(path)
    assert [type(g) for g in got] == [Page, Page]
    assert got[0].published == "1970-01-01T00:00:00+00:00" and got[1].published is None


def test_a_parquet_file_of_zero_rows_is_one_no_records_row(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
                   tmp_path / "zero.parquet")
    (tmp_path / "zero.parquet.gz").write_bytes(gzip.compress((tmp_path / "zero.parquet").read_bytes()))
    (tmp_path / "unwritten.parquet").write_bytes(b"")  # created by the exporter, never written: empty, not broken
    for name in ("zero.parquet", "zero.parquet.gz"):
        got = _read(tmp_path / name)
        assert _rows(got) == [(None, "no_records", "0 rows in 1 row group (columns: id, text)")], name
    got = _read(tmp_path / "unwritten.parquet")
    assert _rows(got) == [(None, "no_records", "0 records in 0 bytes")]


def test_zero_rows_without_a_text_column_stay_no_text(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": pa.array([], pa.string())}), tmp_path / "ids.parquet")
    assert [r[1] for r in _rows(_read(tmp_path / "ids.parquet"))] == ["no_text"]


def _rows(items: list[Page | Rejection]) -> list[tuple[str | None, str, str]]:
    """(record, reason, detail) of each item; a page shows as ("page", "", "")."""
    return [(i.record, i.reason, i.detail) if isinstance(i, Rejection) else ("page", "", "") for i in items]


def test_a_page_declaring_charset_undefined_costs_at_most_itself(tmp_path: Path) -> None:
    """Issue 17, case 3: ``<meta charset="undefined">`` and a byte that is not UTF-8 made Python's "undefined"
    codec raise a bare UnicodeError, which ended the whole file (one read_error, 4 of 6 good pages missing)."""
    good = "<html><body><p>Good page {} of the export, with enough words to read.</p></body></html>"
    bad = '<html><head><meta charset="undefined"></head><body><p>Caf\u00e9 on the quay</p></body></html>'
    path = tmp_path / "undefined.parquet"
    data = _plain(pa.table({"html": [good.format(0), bad, *(good.format(i) for i in range(1, 5))]}), path)
    path.write_bytes(data.replace(bad.encode(), bad.encode().replace("\u00e9".encode(), b"\xe9 ")))  # Latin-1
    got = _read(path)
    assert [type(g) for g in got] == [Page] * 6
    assert "Caf\u00e9  on the quay" in got[1].html and got[1].encoding != "undefined"  # the space kept its length


def test_a_huge_cell_is_never_held_and_no_row_is_lost(tmp_path: Path) -> None:
    """Issue 17, case 15: a 1 GiB cell was read whole before too_large (4.4 GB). Here a 128 MB cell under a
    450 MB address-space limit: the rows before its page are read, that page is never decoded, and it and the
    rows after it in its row group are too_large rows (pyarrow cannot skip a page); the next row group reads."""
    path = tmp_path / "cell.parquet"
    make_in_child(f"""
        import pyarrow as pa, pyarrow.parquet as pq
        rows = ["before %d. " % i + "A sentence of the body. " * 5 for i in range(40)] + ["x" * (128 << 20)]
        rows += ["after %d. " % i + "A sentence of the body. " * 5 for i in range(40)]
        table = pa.table({{"id": [f"r{{i}}" for i in range(len(rows))], "text": rows}})
        with pq.ParquetWriter({str(path)!r}, table.schema, compression="zstd", use_dictionary=False,
                              write_batch_size=8, data_page_size=1 << 12) as out:
            out.write_table(table)
            out.write_table(pa.table({{"id": ["next"], "text": ["A later row group. " * 5]}}))
    """)
    got = run_limited(f"""
        import json
        from cleaners.io.readers import discover, read_file
        files, _ = discover([{str(path)!r}])
        print(json.dumps([[i.record, getattr(i, "reason", "page")] for i in read_file(files[0], 1_000_000)]))
    """)
    assert len(got) == 82 and [r for r, _ in got] == [f"r{i}" for i in range(81)] + ["next"]
    first_rejected = next(n for n, (_, reason) in enumerate(got) if reason != "page")
    assert 0 < first_rejected <= 40  # the rows of earlier pages are read
    assert {reason for _, reason in got[first_rejected:81]} == {"too_large"}
    assert got[81] == ["next", "page"]


def test_a_gzipped_parquet_bomb_is_not_unpacked_and_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17, case 14: a .parquet.gz was unpacked whole into TMPDIR (a 2 MB bomb wrote 2.09 GB; a kill left
    the file behind). Now it is unpacked into a file without a name, and only up to a budget."""
    plain = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"text": ["x" * 2_000] * 1_000}), plain, compression="none", use_dictionary=False)
    (tmp_path / "bomb.parquet.gz").write_bytes(gzip.compress(plain.read_bytes()))
    (tmp_path / "fine.parquet.gz").write_bytes(gzip.compress(plain.read_bytes()))
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    got = _read(tmp_path / "bomb.parquet.gz", limit=4_000)
    assert [(g.record, g.reason) for g in got] == [(None, "too_large")] and "decompression bomb" in got[0].detail
    files, _ = discover([tmp_path / "fine.parquet.gz"])
    items = read_file(files[0], 200_000)  # within its budget: read, from a file no one can see
    assert isinstance(next(items), Page) and list(spool.iterdir()) == []
    assert sum(isinstance(i, Page) for i in items) == 999
