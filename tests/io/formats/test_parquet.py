from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.io.readers import discover, read_file
from cleaners.model import Page, Rejection

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
