"""Publishing an output as Delta Lake tables: versions per publish, time travel, exact plain-Parquet reads,
every reader the README names, a real S3-compatible server on loopback."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from cleaners.pipeline import run as pipeline_run
from cleaners.store.delta import RUN_KEY, PublishError, publish
from tests.conftest import ROOT
from tests.s3server import s3_server
from tests.test_incremental import STORIES, write_inbox

deltalake = pytest.importorskip("deltalake")


def run(*args: Any, **kwargs: Any) -> Any:
    """Publishing mirrors an output of the snapshot layout (one of tables is Delta already)."""
    return pipeline_run(*args, layout="snapshots", **kwargs)
DeltaTable = deltalake.DeltaTable


def key(row: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in row.items()))


def local_rows(out: Path, name: str) -> list[tuple]:
    """The output's own rows, with their ``run`` partition as a string (what the table holds)."""
    table = ds.dataset(out / name, format="parquet", partitioning=ds.partitioning(flavor="hive")).to_table()
    return sorted(key({**r, "run": str(r["run"])}) for r in table.to_pylist())


def delta_rows(uri: str, version: int | None = None) -> list[tuple]:
    return sorted(key(r) for r in DeltaTable(uri, version=version).to_pyarrow_table().to_pylist())


def plain_rows(folder: Path) -> list[tuple]:
    """What a reader that knows nothing of Delta sees: every Parquet file of the folder (``_delta_log`` skipped)."""
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    return sorted(key({**r, "run": str(r["run"])}) for r in table.to_pylist())


def test_each_publish_is_a_version_that_stays_readable_and_plain_readers_see_the_current_rows(tmp_path: Path) -> None:
    inbox, out, lake = tmp_path / "inbox", tmp_path / "out", tmp_path / "lake"
    write_inbox(inbox, ["harbour"])
    first = run([inbox], out)
    tables = {t.dataset: t for t in publish(out, str(lake))}
    assert set(tables) == {"articles", "duplicates", "rejected", "removed"}
    assert all(t.version == 0 and t.committed for t in tables.values())
    v0 = delta_rows(str(lake / "articles"))
    assert v0 == local_rows(out, "articles") and len(v0) == 1
    assert DeltaTable(str(lake / "articles")).history(1)[0]["newsclean.run_id"] == first.run_id

    assert not any(t.committed for t in publish(out, str(lake)))  # nothing new: no version

    write_inbox(inbox, ["orchard", "bridge"])
    second = run([inbox], out)
    articles = {t.dataset: t for t in publish(out, str(lake))}["articles"]
    assert articles.version == 1 and articles.runs_written == [second.run_id] and articles.files_vacuumed == 0
    assert delta_rows(str(lake / "articles")) == local_rows(out, "articles") == plain_rows(lake / "articles")
    assert delta_rows(str(lake / "articles"), version=0) == v0  # time travel to the first publish
    for name in ("duplicates", "rejected", "removed"):
        assert delta_rows(str(lake / name)) == local_rows(out, name) == plain_rows(lake / name), name
    # DuckDB and Polars as plain readers, with the partition glob the README gives
    import duckdb
    import polars as pl
    glob = f"{lake}/removed/run=*/*.parquet"
    count = len(local_rows(out, "removed"))
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)").fetchall() \
        == [(count,)]
    assert pl.scan_parquet(glob, hive_partitioning=True).select(pl.len()).collect().item() == count


def test_a_full_rebuild_replaces_every_run_and_removed_files_go_unless_kept(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], out)
    for lake, keep in ((tmp_path / "lake", 0), (tmp_path / "kept", 24)):
        publish(out, str(lake), keep)
    (inbox / "orchard.txt").unlink()
    rebuilt = run([inbox], out, full_rebuild=True)
    for lake, keep in ((tmp_path / "lake", 0), (tmp_path / "kept", 24)):
        articles = {t.dataset: t for t in publish(out, str(lake), keep)}["articles"]
        assert articles.runs_written == [rebuilt.run_id] and len(articles.runs_removed) == 1
        assert delta_rows(str(lake / "articles")) == local_rows(out, "articles")
        assert len(local_rows(out, "articles")) == 1
        if keep:  # the old files stay for time travel; a plain reader sees them too until they are vacuumed
            assert len(delta_rows(str(lake / "articles"), version=0)) == 2
            assert len(plain_rows(lake / "articles")) == 3
        else:
            assert articles.files_vacuumed >= 1 and plain_rows(lake / "articles") == local_rows(out, "articles")


def test_rows_a_later_run_superseded_leave_the_table_too(tmp_path: Path) -> None:
    inbox, out, lake = tmp_path / "inbox", tmp_path / "out", tmp_path / "lake"
    inbox.mkdir()
    data = gzip.compress("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in STORIES.items()).encode())
    (inbox / "feed.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    first = run([inbox], out)
    publish(out, str(lake))
    assert [r for r in delta_rows(str(lake / "rejected")) if ("reason", "truncated") in r]
    (inbox / "feed.jsonl.gz").write_bytes(data)  # the download completed: its truncated row is superseded
    run([inbox], out)
    rejected = {t.dataset: t for t in publish(out, str(lake))}["rejected"]
    assert rejected.committed and first.run_id in rejected.runs_written + rejected.runs_removed
    assert delta_rows(str(lake / "rejected")) == local_rows(out, "rejected") == plain_rows(lake / "rejected") == []


def test_what_a_killed_publish_left_is_cleared_by_the_next_one(tmp_path: Path) -> None:
    """Part files no version names (a first publish killed before its log, an update killed before its
    commit) would be rows to a plain reader: the next publish deletes them and needs no hand."""
    inbox, out, lake = tmp_path / "inbox", tmp_path / "out", tmp_path / "lake"
    write_inbox(inbox, ["harbour"])
    run([inbox], out)
    stray = lake / "articles" / "run=20990101T000000Z-dead00" / "part-00000-0123abcd-0123-4567-89ab-0123456789ab-c000.snappy.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes((next((out / "articles").glob("*/*.parquet"))).read_bytes())  # a first publish's file
    publish(out, str(lake))
    assert not stray.exists() and plain_rows(lake / "articles") == local_rows(out, "articles")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(next((lake / "articles").glob("run=*/*.parquet")).read_bytes())  # an update's, uncommitted
    assert not any(t.committed for t in publish(out, str(lake)))
    assert not stray.exists() and plain_rows(lake / "articles") == local_rows(out, "articles")


def test_another_outputs_tables_are_not_replaced_unless_asked(tmp_path: Path) -> None:
    for name, story in (("a", "harbour"), ("b", "orchard")):
        write_inbox(tmp_path / f"in-{name}", [story])
        run([tmp_path / f"in-{name}"], tmp_path / f"out-{name}")
    publish(tmp_path / "out-a", str(tmp_path / "lake"))
    with pytest.raises(PublishError, match="mirrors another output") as refused:
        publish(tmp_path / "out-b", str(tmp_path / "lake"))
    assert "no table was written" in str(refused.value)
    publish(tmp_path / "out-b", str(tmp_path / "lake"), replace=True)
    assert delta_rows(str(tmp_path / "lake" / "articles")) == local_rows(tmp_path / "out-b", "articles")
    run([tmp_path / "in-b"], tmp_path / "out-b", full_rebuild=True)  # a new dataset id, the same output
    assert publish(tmp_path / "out-b", str(tmp_path / "lake"))[0].committed


def test_an_output_of_the_old_column_layout_publishes_in_the_current_one(tmp_path: Path) -> None:
    from cleaners.io.schema import schema_of
    from tests.test_incremental import downgrade

    write_inbox(tmp_path / "inbox", ["harbour", "orchard"])
    run([tmp_path / "inbox"], tmp_path / "out")
    current = local_rows(tmp_path / "out", "articles")
    downgrade(tmp_path / "out")
    publish(tmp_path / "out", str(tmp_path / "lake"))
    table = DeltaTable(str(tmp_path / "lake" / "articles")).to_pyarrow_table()
    assert table.schema.field("fetched").type == schema_of("articles").field("fetched").type
    assert delta_rows(str(tmp_path / "lake" / "articles")) == current


def test_what_cannot_be_published_is_refused_with_a_reason(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from flows.publish import main

    with pytest.raises(PublishError, match="no finished run"):
        publish(tmp_path / "nothing", str(tmp_path / "lake"))
    assert main([str(tmp_path / "nothing"), str(tmp_path / "lake")]) == 2
    assert "error: " in capsys.readouterr().err and not (tmp_path / "lake").exists()
    write_inbox(tmp_path / "inbox", ["harbour"])
    run([tmp_path / "inbox"], tmp_path / "out")
    (tmp_path / "foreign" / "articles").mkdir(parents=True)
    (tmp_path / "foreign" / "articles" / "theirs.parquet").write_bytes(b"PAR1")
    with pytest.raises(PublishError, match="no Delta table"):
        publish(tmp_path / "out", str(tmp_path / "foreign"))
    with pytest.raises(PublishError, match="password"):
        publish(tmp_path / "out", "s3://user:secret@lake/news")


def test_the_readers_the_readme_names_read_the_published_tables(tmp_path: Path) -> None:
    import duckdb
    import polars as pl

    write_inbox(tmp_path / "inbox", ["harbour", "orchard"])
    run([tmp_path / "inbox"], tmp_path / "out")
    done = subprocess.run([sys.executable, "-m", "flows.publish", str(tmp_path / "out"), str(tmp_path / "lake")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "articles    version 0" in done.stdout
    uri = str(tmp_path / "lake" / "articles")
    titles = sorted(ds.dataset(tmp_path / "out" / "articles", format="parquet").to_table().column("title").to_pylist())
    assert len(pl.read_delta(uri)) == 2 and pl.scan_delta(uri).select(pl.len()).collect().item() == 2
    dataset = DeltaTable(uri).to_pyarrow_dataset()  # noqa: F841 (DuckDB scans it by name)
    assert duckdb.sql("select count(*) from dataset").fetchall() == [(2,)]
    assert sorted(DeltaTable(uri).to_pandas()["title"]) == titles and len(titles) == 2


def test_publishing_to_s3_gives_the_same_tables_and_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fsspec

    write_inbox(tmp_path / "inbox", ["harbour"])
    run([tmp_path / "inbox"], tmp_path / "out")
    with s3_server() as env:
        for name, value in {**env, "AWS_ALLOW_HTTP": "true", "AWS_REGION": env["AWS_DEFAULT_REGION"]}.items():
            monkeypatch.setenv(name, value)
        fsspec.filesystem("s3").mkdir("lake")
        assert all(t.version == 0 for t in publish(tmp_path / "out", "s3://lake/news"))
        write_inbox(tmp_path / "inbox", ["orchard"])
        run([tmp_path / "inbox"], tmp_path / "out")
        assert {t.dataset: t.version for t in publish(tmp_path / "out", "s3://lake/news/")}["articles"] == 1
        assert delta_rows("s3://lake/news/articles") == local_rows(tmp_path / "out", "articles")
        assert len(delta_rows("s3://lake/news/articles", version=0)) == 1
        fs = fsspec.filesystem("s3")
        plain = ds.dataset("lake/news/articles", format="parquet", partitioning="hive", filesystem=fs).to_table()
        assert plain.num_rows == 2
        assert RUN_KEY in DeltaTable("s3://lake/news/articles").history(1)[0]


def test_the_readmes_delta_example_runs_and_prints_what_it_says(tmp_path: Path, seeds_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Publishing as Delta Lake tables"):readme.index("## Prefect")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    summary = run([seeds_dir], tmp_path / "data" / "clean")
    publish(tmp_path / "data" / "clean", str(tmp_path / "data" / "lake"))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (Delta example)", "exec"), {})  # noqa: S102 (the README's own code)
    printed = capsys.readouterr().out
    assert f"version 0 written by run {summary.run_id}" in printed
    assert "11 articles in version 0" in printed and "listing" in printed and "[(5,)]" in printed


def test_a_run_asked_to_publish_does_so_after_its_commit_and_a_failed_publish_fails_it(tmp_path: Path) -> None:
    inbox, out, lake = tmp_path / "inbox", tmp_path / "out", tmp_path / "lake"
    write_inbox(inbox, ["harbour"])
    first = run([inbox], out, publish_to=str(lake))
    assert first.outcome.ok and first.published is not None and first.published.error is None
    assert {t.dataset: t.version for t in first.published.tables}["articles"] == 0
    assert delta_rows(str(lake / "articles")) == local_rows(out, "articles")
    idle = run([inbox], out, publish_to=str(lake))  # nothing new: nothing committed, nothing published
    assert idle.outcome.ok and not any(t.committed for t in idle.published.tables)

    (tmp_path / "foreign" / "articles").mkdir(parents=True)
    (tmp_path / "foreign" / "articles" / "theirs.csv").write_text("a,b\n")
    write_inbox(inbox, ["orchard"])
    failed = run([inbox], out, publish_to=str(tmp_path / "foreign"))
    assert failed.committed and failed.outcome.status == "failed" and failed.outcome.exit_code == 3
    assert "publishing it to" in (failed.outcome.cause or "") and "no Delta table" in (failed.outcome.cause or "")
    assert len(local_rows(out, "articles")) == 2  # the run's rows are committed all the same
    saved = json.loads((out / "runs" / f"{failed.run_id}.json").read_text())
    assert saved["published"]["error"] and saved["outcome"]["status"] == "failed"


def test_a_run_that_could_never_publish_stops_before_it_starts(tmp_path: Path) -> None:
    from cleaners.outcome import NothingCommitted

    write_inbox(tmp_path / "inbox", ["harbour"])
    for target, why in (("s3://key:secret@lake/news", "password"), ("memory://lake", "not memory://"),
                        ("", "empty"), (str(tmp_path / "out"), "overlaps the output"),
                        (str(tmp_path / "out" / "lake"), "overlaps"), (str(tmp_path), "overlaps")):
        with pytest.raises(NothingCommitted, match=why):
            run([tmp_path / "inbox"], tmp_path / "out", publish_to=target)
    assert not (tmp_path / "out").exists()
    from cleaners.io.remote import (
        url_problem,  # Azure's URLs name the container where others have a user
    )
    assert url_problem("abfss://container@account.dfs.core.windows.net/lake") is None


def test_the_output_itself_is_never_a_publish_target(tmp_path: Path) -> None:
    """Its datasets' part files sit in run=<id>/ folders as a table's do: publishing there would delete them."""
    write_inbox(tmp_path / "inbox", ["harbour"])
    run([tmp_path / "inbox"], tmp_path / "out")
    before = local_rows(tmp_path / "out", "articles")
    with pytest.raises(PublishError, match="overlaps the output"):
        publish(tmp_path / "out", str(tmp_path / "out"))
    assert local_rows(tmp_path / "out", "articles") == before


def test_tables_published_inside_an_input_folder_are_not_read_back(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], tmp_path / "out", publish_to=str(inbox / "lake"))
    again = run([inbox], tmp_path / "out", publish_to=str(inbox / "lake"))  # the tables exist now: one row
    assert again.outcome.ok and again.counts.pages == 0 and again.rejected_by_reason == {"own_output": 1}
    assert len(local_rows(tmp_path / "out", "articles")) == 2
    assert not run([inbox], tmp_path / "out", publish_to=str(inbox / "lake")).committed  # the row once


def test_the_command_publishes_with_prefect_and_prints_where(tmp_path: Path) -> None:
    write_inbox(tmp_path / "inbox", ["harbour", "orchard"])
    done = subprocess.run([sys.executable, "-m", "flows.clean", str(tmp_path / "inbox"), "-o", str(tmp_path / "out"),
                           "--layout", "snapshots", "--publish", str(tmp_path / "lake"), "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"published: {tmp_path / 'lake'}  articles v0" in done.stdout
    assert delta_rows(str(tmp_path / "lake" / "articles")) == local_rows(tmp_path / "out", "articles")


def test_the_command_refuses_a_bad_target_before_anything_starts(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from flows.clean import main

    write_inbox(tmp_path / "inbox", ["harbour"])
    with pytest.raises(SystemExit) as stopped:
        main([str(tmp_path / "inbox"), "-o", str(tmp_path / "out"), "--publish", "memory://lake"])
    assert stopped.value.code == 2 and "--publish: memory://lake" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_publish_killed_at_any_moment_leaves_each_table_at_its_old_or_new_version(tmp_path: Path) -> None:
    """kill -9 at spread-out moments of a publish (imports, reading, writing, committing, vacuuming): every table
    then reads as before or after that publish, never a mix; the next publish makes plain readers exact."""
    import os
    import shutil
    import signal
    import time

    names = ("articles", "duplicates", "rejected", "removed")
    inbox, out, lake = tmp_path / "inbox", tmp_path / "out", tmp_path / "lake"
    inbox.mkdir()
    feed = [{"id": n, "text": f"{t}\nUpdate {n}: the council will publish its response next week.\n"}
            for n, t in enumerate(list(STORIES.values()) * 400)]
    (inbox / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in feed[:600]))
    run([inbox], out)
    publish(out, str(lake))
    before = {name: delta_rows(str(lake / name)) for name in names}
    (inbox / "more.jsonl").write_text("".join(json.dumps(r) + "\n" for r in feed[600:]) + "{not json\n")
    run([inbox], out)
    after = {name: local_rows(out, name) for name in names}
    assert all(after[n] != before[n] for n in ("duplicates", "rejected", "removed"))
    pristine = tmp_path / "lake-before"
    shutil.copytree(lake, pristine)

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "flows.publish", str(out), str(lake)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def files() -> int:
        return sum(1 for p in lake.rglob("*") if p.is_file())

    base = files()
    killed = 0
    # killed as soon as the publish has added k files (part files, log entries): points spread over its writes
    for k in range(1, 8):
        shutil.rmtree(lake)
        shutil.copytree(pristine, lake)
        proc = start()
        while proc.poll() is None and files() < base + k:
            time.sleep(0.002)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        for name in names:
            assert delta_rows(str(lake / name)) in (before[name], after[name]), (k, name)
        publish(out, str(lake))  # the next publish finishes it, and plain readers are exact again
        for name in names:
            assert delta_rows(str(lake / name)) == after[name] == plain_rows(lake / name), (k, name)
    assert killed >= 3  # the last points may come after its end
