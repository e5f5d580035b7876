"""The schemas explain themselves: descriptions and a version in every file, the README saying the same,
``fetched`` a timestamp that never fails a row, and older layouts brought to the current one."""
from __future__ import annotations

import io
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.config import CleanConfig
from cleaners.io.dataset import current_snapshot, read_manifest, snapshot_files
from cleaners.io.schema import (
    ARTICLES,
    DATASET_KEY,
    DATASETS,
    DESCRIPTION_KEY,
    DUPLICATES,
    INTERNAL,
    REJECTED,
    SCHEMA_VERSION,
    VERSION_KEY,
    SchemaMismatch,
    article_row,
    column_rows,
    conform_table,
    parse_fetched,
    schema_version,
)
from cleaners.io.writer import SnapshotWriter
from cleaners.model import Article
from cleaners.pipeline import run
from tests.badinput import story
from tests.conftest import ROOT, SEEDS

ALL = {**DATASETS, **INTERNAL}
#: WARC-Dates of the test crawl: plain, with a fraction past microseconds, with an offset, and one that is not a date.
DATES = {"https://a.example/one": "2024-05-01T12:34:56Z", "https://a.example/two": "2024-05-02T08:00:00.123456789Z",
         "https://a.example/three": "2024-05-03T10:00:00+02:00", "https://a.example/four": "yesterday at noon"}


def test_every_field_has_a_description_and_every_schema_its_name_and_version() -> None:
    assert SCHEMA_VERSION == 2
    for name, schema in ALL.items():
        assert schema.metadata == {VERSION_KEY.encode(): b"2", DATASET_KEY.encode(): name.encode()}, name
        assert schema_version(schema) == 2
        for field in schema:
            description = (field.metadata or {}).get(DESCRIPTION_KEY.encode(), b"").decode()
            assert len(description) > 5 and "`" not in description and "](" not in description, (name, field.name)
    assert schema_version(pa.schema([pa.field("x", pa.string())])) == 1  # a file before versions
    assert ARTICLES.field("fetched").type == DUPLICATES.field("fetched").type == pa.timestamp("us", tz="UTC")


# ---------------------------------------------------------------------- the README's column tables
def _normalised(text: str) -> str:
    """A README cell as plain text: links to their text, no code backticks, one space between words."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text).replace("`", "")
    return " ".join(text.replace("\\|", "|").split())


def readme_tables() -> dict[str, list[tuple[str, str, str]]]:
    """(column, type, meaning) rows of each table in README "Columns", by the dataset named before it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Columns"):readme.index("### Reading the dataset")]
    tables: dict[str, list[tuple[str, str, str]]] = {}
    current = None
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            assert len(cells) == 3 and current is not None, line
            assert re.fullmatch(r"`\w+`", cells[0]), f"one column per row: {cells[0]}"
            tables.setdefault(current, []).append((cells[0].strip("`"), cells[1], cells[2]))
        elif line.rstrip().endswith(":") and (named := re.findall(r"`(_?[a-z]+)`", line)):
            current = named[0]
    return tables


def test_the_readme_column_tables_say_what_the_schemas_say() -> None:
    tables = readme_tables()
    # one table for articles and duplicates ("which add the last three"), one for every other dataset
    assert set(tables) == {"articles", "rejected", "removed", "_index", "_ledger"}
    expected = {"articles": DUPLICATES, **{n: s for n, s in ALL.items() if n not in ("articles", "duplicates")}}
    for name, schema in expected.items():
        rows = tables[name]
        assert [r[0] for r in rows] == schema.names, name
        for (column, type_, meaning), (_, want_type, description) in zip(rows, column_rows(schema)):
            assert type_ == want_type, (name, column)
            assert _normalised(meaning) == _normalised(description), (name, column)
    assert DUPLICATES.names[:len(ARTICLES)] == ARTICLES.names and len(DUPLICATES) == len(ARTICLES) + 3


def test_the_readme_check_fails_on_a_wrong_type_or_meaning() -> None:
    """The comparison can fail: what the old README said about ``fetched`` no longer passes."""
    fetched = next(r for r in column_rows(ARTICLES) if r[0] == "fetched")
    assert fetched[1] != "string, null"
    assert _normalised("WARC-Date (ISO 8601) for pages from WARC files") != _normalised(fetched[2])
    assert _normalised("a code from [the table](#x) in `rejected`") == "a code from the table in rejected"


# ---------------------------------------------------------------------- fetched
@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-05-01T12:34:56Z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc)),
    ("2024-05-01T12:34:56.123456789Z", datetime(2024, 5, 1, 12, 34, 56, 123456, tzinfo=timezone.utc)),
    ("2024-05-01T12:34:56.5z", datetime(2024, 5, 1, 12, 34, 56, 500000, tzinfo=timezone.utc)),
    ("2024-05-01T12:34:56+02:00", datetime(2024, 5, 1, 10, 34, 56, tzinfo=timezone.utc)),
    ("2024-05-01T12:34:56-0130", datetime(2024, 5, 1, 14, 4, 56, tzinfo=timezone.utc)),
    ("2024-05-01T12:34Z", datetime(2024, 5, 1, 12, 34, tzinfo=timezone.utc)),
    ("2024-05-01T12:34:56", datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc)),  # no zone: UTC, as WARC says
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=timezone.utc)),
    ("20240501123456", datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc)),  # ARC files' dates
    (" 2024-05-01T12:34:56Z\n", datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc)),
])
def test_warc_dates_parse_to_utc(raw: str, expected: datetime) -> None:
    assert parse_fetched(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "yesterday", "2024-13-01T00:00:00Z", "2024-05-01T25:00:00Z",
                                 "2024-05-01T12:00:60Z", "0001-01-01T00:00:00+01:00", "2024-05-01T12:00:00+99:00",
                                 "9999-12-31T23:59:59-01:00", "2024-05-01T12:00:00Zjunk", "1e9"])
def test_a_warc_date_that_does_not_parse_is_null_never_an_exception(raw: str | None) -> None:
    assert parse_fetched(raw) is None


def test_article_rows_carry_fetched_as_a_timestamp_and_the_page_keeps_its_string() -> None:
    article = Article(page_id="p", source="crawl.warc", record="r", segment="main", position=0, title="T",
                      text="Some words here.", fetched="2024-05-01T12:34:56.5Z")
    bad = Article(page_id="q", source="crawl.warc", record="s", segment="main", position=0, title="T",
                  text="Other words here.", fetched="not a date")
    table = pa.Table.from_pylist([article_row(article, "run"), article_row(bad, "run")], schema=ARTICLES)
    assert table.column("fetched").to_pylist() == [datetime(2024, 5, 1, 12, 34, 56, 500000, tzinfo=timezone.utc),
                                                   None]
    assert article.fetched == "2024-05-01T12:34:56.5Z"  # the raw value stays where the ledger's keys hash it


# ---------------------------------------------------------------------- older layouts
def version_1(schema: pa.Schema) -> pa.Schema:
    """The schema as version 1 wrote it: no metadata, ``fetched`` a string."""
    return pa.schema([pa.field(f.name, pa.string() if f.name == "fetched" else f.type, f.nullable) for f in schema])


def test_a_version_1_table_is_brought_to_the_current_schema() -> None:
    rows = [{"article_id": "a", "source": "s", "segment": "main", "position": 0, "text": "t", "cluster_id": "a",
             "page_id": "p", "n_words": 1, "run_id": "r", "fetched": raw}
            for raw in ("2024-05-01T12:34:56Z", "garbage", None)]
    old = pa.Table.from_pylist(rows, schema=version_1(ARTICLES))
    new = conform_table(old, ARTICLES)
    assert new.schema.equals(ARTICLES, check_metadata=True)
    assert new.column("fetched").to_pylist() == [datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc), None, None]
    assert new.drop_columns(["fetched"]).equals(old.drop_columns(["fetched"]))
    with pytest.raises(SchemaMismatch, match="surprise"):
        conform_table(old.append_column("surprise", pa.array([1, 2, 3])), ARTICLES)  # never dropped quietly
    with pytest.raises(SchemaMismatch, match="article_id"):
        conform_table(old.drop_columns(["article_id"]), ARTICLES)
    assert conform_table(new, ARTICLES) is new


# ---------------------------------------------------------------------- the files a run writes
def make_crawl(path: Path) -> None:
    """A WARC of HTML article pages with the :data:`DATES` as their WARC-Date."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n, (url, date) in enumerate(DATES.items()):
            body = "".join(f"<p>{p}</p>" for p in story(f"fetched town {n}").split("\n\n"))
            html = f"<html><head><title>Page {n}</title></head><body><article>{body}</article></body></html>"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(html.encode()), http_headers=http,
                warc_headers_dict={"WARC-Date": date,
                                   "WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"}))


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run over the seeds (which collapse one duplicate), a crawl, and files that are rejected or empty."""
    root = tmp_path_factory.mktemp("schema")
    inbox = root / "inbox"
    shutil.copytree(SEEDS, inbox)
    make_crawl(inbox / "crawl.warc.gz")
    (inbox / "empty.jsonl").write_bytes(b"")
    (inbox / "notes.csv").write_text("a,b\n")
    # the snapshot layout, whose files are the tool's own (a Delta table's schema: tests/store/test_output.py)
    run([inbox], root / "out", CleanConfig.model_validate({"html_timeout": 0}), layout="snapshots")
    return root / "out"


def test_every_file_of_a_run_carries_its_schema_with_descriptions_and_version(output: Path) -> None:
    snapshot = current_snapshot(output)
    manifest = read_manifest(snapshot)
    assert manifest["schema_version"] == SCHEMA_VERSION
    for name, schema in ALL.items():
        files = snapshot_files(snapshot, name, manifest)
        assert files, name
        for path in files:
            assert pq.read_schema(path).equals(schema, check_metadata=True), path
    rows = {name: ds.dataset(output / name, format="parquet", partitioning="hive").count_rows() for name in DATASETS}
    assert rows["duplicates"] >= 1 and rows["rejected"] >= 2 and rows["removed"] > 0  # the dedup step's files too


def test_fetched_reads_as_a_timestamp_with_pyarrow_duckdb_and_polars(output: Path) -> None:
    import duckdb
    import polars as pl

    table = ds.dataset(output / "articles", format="parquet", partitioning="hive").to_table()
    assert table.schema.field("fetched").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("fetched").metadata[b"description"].startswith(b"when the page was fetched")
    by_url = {r["url"]: r["fetched"] for r in table.to_pylist() if r["source"] == "crawl.warc.gz"}
    assert by_url == {url: parse_fetched(raw) for url, raw in DATES.items()}
    assert by_url["https://a.example/four"] is None
    assert by_url["https://a.example/three"] == datetime(2024, 5, 3, 8, tzinfo=timezone.utc)
    relation = duckdb.sql(f"""SELECT max(fetched) AS latest, typeof(max(fetched)) AS type
                              FROM read_parquet('{output}/articles/*/*.parquet', hive_partitioning = true)""")
    assert relation is not None
    latest = relation.fetchall()[0]
    assert latest[0] == datetime(2024, 5, 3, 8, tzinfo=timezone.utc) and "TIME ZONE" in latest[1]
    frame = pl.scan_parquet(f"{output}/articles/**/*.parquet", hive_partitioning=True).select("fetched").collect()
    assert frame.schema["fetched"] == pl.Datetime("us", "UTC") and frame["fetched"].null_count() >= 1


def test_a_table_with_the_right_types_but_no_metadata_is_written_with_it(tmp_path: Path) -> None:
    plain = pa.Table.from_pylist([{"source": "a.txt", "record": None, "reason": "not_text", "detail": "d",
                                   "page_id": None, "run_id": "r1"}], schema=version_1(REJECTED))
    with SnapshotWriter(tmp_path, "r1") as writer:
        path = writer.area.write("rejected", plain, "0")
        assert pq.read_schema(path).equals(REJECTED, check_metadata=True)
        writer.commit({"run_id": "r1"})
