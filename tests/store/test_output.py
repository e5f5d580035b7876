"""An output kept as Delta tables (cleaners.store.output): in a folder and in a real S3-compatible server on
loopback, the same rows as the snapshot layout, one version per run, time travel, runs killed during their
commit, and what is refused."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from cleaners.config import CleanConfig
from cleaners.io.writer import OutputError
from cleaners.pipeline import run
from cleaners.store.output import TableWriter
from cleaners.store.state import RUN_KEY, committed_state
from tests.conftest import ROOT
from tests.s3server import s3_server
from tests.test_incremental import STORIES, write_inbox

deltalake = pytest.importorskip("deltalake")
DeltaTable = deltalake.DeltaTable

NAMES = ("articles", "duplicates", "rejected", "removed")
TABLES = (*NAMES, "_index", "_ledger")
#: What differs between two runs of the same input by design: the run ids.
RUN_COLUMNS = {"run", "run_id"}


def comparable(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({k: v for k, v in r.items() if k not in RUN_COLUMNS}, sort_keys=True, default=str)
                  for r in rows)


def delta(root: str | Path, name: str, version: int | None = None) -> list[str]:
    return comparable(DeltaTable(f"{root}/{name}", version=version).to_pyarrow_table().to_pylist())


def snapshot(out: Path, name: str) -> list[str]:
    return comparable(ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist())


def plain(root: Path, name: str) -> list[str]:
    """A reader that knows nothing of Delta: every Parquet file of the folder (``_delta_log`` is skipped)."""
    return snapshot(root, name)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A loopback S3 server with the buckets ``crawl`` and ``lake``; s3fs and delta-rs pointed at it."""
    import fsspec

    with s3_server() as env:
        for name, value in {**env, "AWS_ALLOW_HTTP": "true", "AWS_REGION": env["AWS_DEFAULT_REGION"]}.items():
            monkeypatch.setenv(name, value)
        fs = fsspec.filesystem("s3")
        fs.mkdir("crawl")
        fs.mkdir("lake")
        yield fs


def test_a_run_into_s3_keeps_the_rows_of_a_local_run_and_the_next_adds_only_new_content(
        tmp_path: Path, s3: Any) -> None:
    inbox, local = tmp_path / "inbox", tmp_path / "local"
    write_inbox(inbox, ["harbour", "orchard"])
    (inbox / "copy.txt").write_text(STORIES["harbour"], encoding="utf-8")  # a duplicate
    (inbox / "notes.docx").write_bytes(b"PK\x03\x04")  # a rejected row
    s3.put(str(inbox), "crawl/inbox", recursive=True)
    first_local = run([inbox], local)
    first = run(["s3://crawl/inbox"], "s3://lake/news")
    assert first.outcome.ok and first.committed and first.output == "s3://lake/news"
    assert first.counts.articles_kept == first_local.counts.articles_kept == 2
    for name in NAMES:
        assert delta("s3://lake/news", name) == snapshot(local, name), name
    state = committed_state("s3://lake/news")
    assert state is not None and state.run_id == first.run_id
    assert {name: state.version(name) for name in TABLES} == dict.fromkeys(TABLES, 0)
    assert json.loads(s3.cat(f"lake/news/runs/{first.run_id}.json"))["run_id"] == first.run_id
    assert first.report == f"s3://lake/news/runs/{first.run_id}.html"
    assert b"Harbour ferry" in s3.cat(f"lake/news/runs/{first.run_id}.html")  # the run report, read from S3
    assert not s3.exists("lake/news/.staging") or s3.ls("lake/news/.staging") == []

    write_inbox(inbox, ["bridge"])
    s3.put(str(inbox / "bridge.txt"), "crawl/inbox/bridge.txt")
    run([inbox], local)
    second = run(["s3://crawl/inbox"], "s3://lake/news")
    assert second.counts.articles_kept == 1 and second.incremental.files_already_processed == 3
    assert second.incremental.rejections_already_recorded == 1
    assert second.incremental.builds_on == first.run_id and second.incremental.earlier_runs == 1
    for name in NAMES:
        assert delta("s3://lake/news", name) == snapshot(local, name), name
    articles = DeltaTable("s3://lake/news/articles")
    assert articles.version() == 1 and articles.history(1)[0][RUN_KEY] == second.run_id
    assert articles.history(1)[0]["operation"] == "WRITE"  # an append: no earlier row rewritten
    assert len(delta("s3://lake/news", "articles", version=0)) == 2  # time travel: the first run's rows
    table = ds.dataset("lake/news/articles", format="parquet", partitioning="hive", filesystem=s3).to_table()
    assert table.num_rows == 3  # a plain reader of the objects sees exactly the current rows

    third = run(["s3://crawl/inbox"], "s3://lake/news")  # nothing new: no commit, no version
    assert not third.committed and DeltaTable("s3://lake/news/articles").version() == 1

    s3.put(str(inbox / "harbour.txt"), "lake/drop/harbour.txt")  # an INPUT that holds the output
    s3.pipe("lake/news/incoming/copy.txt",  # and a folder of the user's inside it: an edited copy
            (STORIES["harbour"] + "The ferry operator confirmed the timetable on Wednesday.\n").encode())
    fourth = run(["s3://lake"], "s3://lake/news")
    own = sorted(r["source"] for r in DeltaTable("s3://lake/news/rejected").to_pyarrow_table().to_pylist()
                 if r["reason"] == "own_output")  # one row per entry of the tool's, as for a local output
    assert own == [f"news/{name}" for name in ("_index", "_ledger", "articles", "duplicates", "rejected",
                                               "removed", "runs")]
    assert fourth.counts.input_files == 2 and fourth.incremental.files_already_processed == 1
    assert fourth.counts.duplicates == 1  # news/incoming/copy.txt was read: a copy of an earlier article
    fifth = run(["s3://lake"], "s3a://lake/news/")  # the same store by another name, with a trailing "/"
    assert fifth.counts.input_files == 2 and not fifth.committed and fifth.output == "s3a://lake/news"


def test_a_folder_of_tables_is_chosen_once_and_kept(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    first = run([inbox], out, layout="delta")
    assert first.committed and (out / "_ledger" / "_delta_log").is_dir() and not (out / ".snapshots").exists()
    schema = DeltaTable(str(out / "articles")).schema().to_arrow()  # the columns, described, in the log
    described = {f.name: (f.metadata or {}).get(b"description", b"").decode() for f in schema}
    assert described["text"].startswith("the clean body") and all(v for k, v in described.items() if k != "run")
    write_inbox(inbox, ["orchard"])
    second = run([inbox], out)  # auto: the folder holds tables
    assert second.counts.articles_kept == 1 and DeltaTable(str(out / "articles")).version() == 1
    for name in TABLES:
        assert delta(out, name) == plain(out, name), name
    with pytest.raises(OutputError, match="--layout delta"):
        run([inbox], out, layout="snapshots")
    article = DeltaTable(str(out / "articles")).to_pyarrow_table().to_pylist()[0]
    done = subprocess.run([sys.executable, "-m", "flows.report", str(out), "--doc", article["article_id"]],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert article["title"] in (out / "runs" / f"doc-{article['article_id']}.html").read_text(encoding="utf-8")
    rebuilt = run([inbox], out, full_rebuild=True)
    assert rebuilt.committed and len(delta(out, "articles")) == 2 and plain(out, "articles") == delta(out, "articles")
    history = DeltaTable(str(out / "articles")).history()
    assert next(h for h in history if RUN_KEY in h)[RUN_KEY] == rebuilt.run_id  # vacuums follow the rebuild
    assert next(h for h in history if RUN_KEY in h)["operationParameters"]["mode"] == "Overwrite"
    with pytest.raises(Exception, match="(?i)not found|no such file"):  # vacuumed at once: plain readers exact
        DeltaTable(str(out / "articles"), version=0).to_pyarrow_table()
    kept = run([inbox], out, CleanConfig(keep_removed_hours=24), full_rebuild=True)
    assert kept.committed and len(delta(out, "articles", version=rebuilt_version(out))) == 2
    assert len(plain(out, "articles")) == 4  # the replaced run's files stay a day, for pinned Delta readers


def rebuilt_version(out: Path) -> int:
    """The version the last rebuild but one made (the commit before the last data commit)."""
    writes = [h["version"] for h in DeltaTable(str(out / "articles")).history() if RUN_KEY in h]
    return int(writes[1])


def test_what_a_table_output_cannot_take_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_inbox(inbox, ["harbour"])
    with pytest.raises(OutputError, match="not memory://"):
        run([inbox], "memory://lake/news")
    with pytest.raises(OutputError, match="password|user"):
        run([inbox], "s3://me:secret@lake/news")
    with pytest.raises(OutputError, match="publishing mirrors an output of the snapshot layout"):
        run([inbox], "s3://lake/news", publish_to=str(tmp_path / "pub"))
    foreign = tmp_path / "foreign"
    (foreign / "articles").mkdir(parents=True)
    (foreign / "articles" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not written by this tool"):
        run([inbox], foreign, layout="delta")
    assert (foreign / "articles" / "notes.txt").read_text() == "mine"


def test_a_run_killed_during_its_commit_leaves_each_table_as_before_or_after_and_the_next_run_completes(
        tmp_path: Path) -> None:
    """kill -9 as soon as the commit has added its k-th file to the tables (data files, log entries): every
    table reads as before or as after the run, the ledger's manifest pins a consistent state, and the next
    run leaves every table as an uninterrupted run does, for Delta and plain readers alike."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    feed = [{"id": n, "text": f"{t}\nUpdate {n}: the council will publish its response next week.\n"}
            for n, t in enumerate(list(STORIES.values()) * 300)]
    (inbox / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in feed[:120]))
    run([inbox], out, layout="delta")
    pristine = tmp_path / "pristine"
    shutil.copytree(out, pristine)
    before = {name: delta(out, name) for name in TABLES}
    fresh = [{"id": f"new{n}", "text": "\n".join(" ".join(reversed(line.split())) for line in t.splitlines())}
             for n, t in enumerate(STORIES.values())]  # other shingles: new articles
    (inbox / "more.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*feed[120:240], *fresh]) + "{not json\n")
    run([inbox], out)
    after = {name: delta(out, name) for name in TABLES}
    assert all(after[name] != before[name] for name in TABLES)

    def table_files() -> int:
        return sum(1 for name in TABLES for p in (out / name).rglob("*") if p.is_file())

    base = sum(1 for name in TABLES for p in (pristine / name).rglob("*") if p.is_file())
    killed = 0
    for k in (1, 4, 6, 8, 10, 12):  # spread over the six tables' commits (a data file and a log entry each)
        shutil.rmtree(out)
        shutil.copytree(pristine, out)
        proc = subprocess.Popen([sys.executable, "-m", "flows.clean", "--no-prefect", "--no-progress", "--workers",
                                 "1", str(inbox), "-o", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while proc.poll() is None and table_files() < base + k:
            time.sleep(0.001)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        for name in TABLES:
            assert delta(out, name) in (before[name], after[name]), (k, name)
        state = committed_state(str(out))
        assert state is not None
        pinned = {name: delta(out, name, state.version(name)) for name in TABLES}
        assert pinned in (before, after), k
        for attempt in ("a", "b"):  # runs that open and stop: the first restores, the second finds nothing to
            TableWriter(out, f"20261207T000000Z-00000{attempt}").open().close()
        for name in TABLES:
            assert delta(out, name) == pinned[name], (k, name)
            restores = [h for h in DeltaTable(str(out / name)).history() if h["operation"] == "RESTORE"]
            assert len(restores) <= 1, (k, name)
        resumed = run([inbox], out)
        assert resumed.outcome.ok, resumed.outcome.cause
        for name in TABLES:
            assert delta(out, name) == after[name] == plain(out, name), (k, name)
    assert killed >= 4  # the last points may come after the run's end


def test_a_run_into_s3_killed_during_its_commit_leaves_each_table_as_before_or_after_and_the_next_run_completes(
        tmp_path: Path, s3: Any) -> None:
    """The kill test above, in the loopback S3 server: the killed run's lease outlives it (an object store
    has no lock the kernel releases), so the test ages it as :data:`LEASE_SECONDS` would; the next run
    takes the output over, restores what the dead run committed and completes."""
    from cleaners.store.output import STAGE_MARK

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    feed = [{"id": n, "text": f"{t}\nUpdate {n}: the council will publish its response next week.\n"}
            for n, t in enumerate(list(STORIES.values()) * 20)]
    (inbox / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in feed[:40]))
    run([inbox], "s3://lake/pristine")
    before = {name: delta("s3://lake/pristine", name) for name in TABLES}
    fresh = [{"id": f"new{n}", "text": "\n".join(" ".join(reversed(line.split())) for line in t.splitlines())}
             for n, t in enumerate(STORIES.values())]  # other shingles: new articles
    (inbox / "more.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*feed[40:], *fresh]) + "{not json\n")
    s3.copy("lake/pristine", "lake/reference", recursive=True)
    run([inbox], "s3://lake/reference")
    after = {name: delta("s3://lake/reference", name) for name in TABLES}
    assert all(after[name] != before[name] for name in TABLES)

    def table_files() -> int:
        return sum(1 for p in s3.find("lake/news", refresh=True) if p.split("/")[2] in TABLES)

    base = sum(1 for p in s3.find("lake/pristine") if p.split("/")[2] in TABLES)
    s3.copy("lake/pristine", "lake/news", recursive=True)
    proc = subprocess.Popen([sys.executable, "-m", "flows.clean", "--no-prefect", "--no-progress", "--workers",
                             "1", str(inbox), "-o", "s3://lake/news"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None and table_files() < base + 6:  # 3 tables committed (a data file, a log entry each)
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before the kill"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for name in TABLES:
        assert delta("s3://lake/news", name) in (before[name], after[name]), name
    state = committed_state("s3://lake/news")
    assert state is not None
    pinned = {name: delta("s3://lake/news", name, state.version(name)) for name in TABLES}
    assert pinned == before and delta("s3://lake/news", "articles") == after["articles"]  # killed between tables
    with pytest.raises(OutputError, match="another run .* is writing"):  # its lease outlives it ...
        run([inbox], "s3://lake/news")
    for mark in s3.glob(f"lake/news/.staging/*/{STAGE_MARK}"):  # ... until it is LEASE_SECONDS old
        s3.pipe(mark, json.dumps({"renewed": time.time() - 600}).encode())
    resumed = run([inbox], "s3://lake/news")
    assert resumed.outcome.ok, resumed.outcome.cause
    for name in TABLES:
        assert delta("s3://lake/news", name) == after[name], name
    assert s3.find("lake/news/.staging") == []


def test_the_readmes_table_example_runs_and_prints_what_it_says(tmp_path: Path, seeds_dir: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The output as Delta Lake tables"):readme.index("### Publishing as Delta")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    summary = run([seeds_dir], tmp_path / "data" / "tables", layout="delta")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (table example)", "exec"), {})  # noqa: S102 (the README's own code)
    printed = capsys.readouterr().out
    assert f"run {summary.run_id} versions" in printed and "'articles': 0" in printed
    assert f"{summary.counts.articles_kept} articles, {summary.counts.duplicates} duplicates" in printed
    assert "listing" in printed and "[(5,)]" in printed  # Polars by segment; DuckDB: the 5 seed files
    assert f"{summary.counts.articles_kept} rows for a plain Parquet reader" in printed


def test_a_snapshot_output_moves_into_tables_with_its_state_and_runs_continue_there(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``flows.migrate`` into a new output, and the first run into the old output (which moves it in place,
    also when an earlier move was interrupted at any step): the state moves with the rows."""
    import cleaners.store.migrate as moving
    from cleaners.io.dataset import current_snapshot, current_state
    from flows.migrate import main as migrate_main

    inbox, snap, tables, old = tmp_path / "inbox", tmp_path / "snap", tmp_path / "tables", tmp_path / "old"
    write_inbox(inbox, ["harbour"])
    run([inbox], snap, layout="snapshots")
    write_inbox(inbox, ["orchard"])
    (inbox / "notes.docx").write_bytes(b"PK\x03\x04")
    second = run([inbox], snap, layout="snapshots")
    shutil.copytree(snap, old, symlinks=True)  # as it was, for the moves in place below
    assert migrate_main([str(snap), str(tables)]) == 0
    assert f"migrated 2 runs (latest {second.run_id})" in capsys.readouterr().out
    for name in TABLES:
        assert delta(tables, name) == snapshot(current_snapshot(snap), name), name
    assert sorted(p.name for p in (tables / "runs").iterdir()) == sorted(p.name for p in (snap / "runs").iterdir())
    assert migrate_main([str(snap), str(tables)]) == 2  # never into a location that holds anything
    assert "not empty" in capsys.readouterr().err

    write_inbox(inbox, ["bridge"])
    moved = run([inbox], tables)  # the state moved with the rows: only the new file is taken
    kept = run([inbox], snap, layout="snapshots")
    assert moved.counts.articles_kept == kept.counts.articles_kept == 1
    assert moved.incremental.files_already_processed == kept.incremental.files_already_processed == 2
    assert moved.incremental.earlier_runs == 2
    expected = {name: snapshot(current_snapshot(snap), name) for name in TABLES}
    for name in TABLES:
        assert delta(tables, name) == expected[name], name

    real_rename, real_vacuum, real_drop = os.rename, moving._vacuum, moving._drop_snapshots
    # a move that stopped at each of its steps first; "undoing": then the next run stopped while undoing it
    for fail_at in (None, "writing", *TABLES, "dropping", "undoing"):
        here = tmp_path / f"in-place-{fail_at}"
        shutil.copytree(old, here, symlinks=True)
        if fail_at is not None:
            def rename(src: Any, dst: Any, *, at: str = fail_at) -> None:
                switching = Path(src).parent.name == moving.MIGRATING
                if switching and Path(src).name == (at if at != "undoing" else "_index") or \
                        not switching and at == "undoing" and Path(src).name == "duplicates":
                    raise OSError("killed")
                real_rename(src, dst)

            def vacuum(table: Any, hours: int, *, at: str = fail_at) -> None:
                if at == "writing" and table.table_uri.rstrip("/").endswith("removed"):
                    raise OSError("killed")
                real_vacuum(table, hours)

            def drop(root: Path, *, at: str = fail_at) -> None:
                if at == "dropping":
                    (root / "manifest.json").unlink()
                    raise OSError("killed")
                real_drop(root)

            with monkeypatch.context() as patched:
                patched.setattr(os, "rename", rename)
                patched.setattr(moving, "_vacuum", vacuum)
                patched.setattr(moving, "_drop_snapshots", drop)
                with pytest.raises(OutputError, match="killed"):
                    run([inbox], here)
                if fail_at == "undoing":
                    assert (here / "duplicates" / "_delta_log").is_dir()
                    with pytest.raises(OutputError, match="killed"):
                        run([inbox], here)
                    assert not (here / "articles" / "_delta_log").exists()  # back in .migrating
            assert (here / ".snapshots").is_dir()
            if fail_at != "dropping":  # before the switch readers read the snapshots, and only a run moves on
                assert snapshot(current_state(here), "articles") == snapshot(current_snapshot(old), "articles")
                with pytest.raises(OutputError, match="interrupted; run without --layout snapshots"):
                    run([inbox], here, layout="snapshots")
        in_place = run([inbox], here)  # auto: the output moves into tables, then the run goes on there
        assert in_place.committed and in_place.counts.articles_kept == 1, fail_at
        assert in_place.incremental.files_already_processed == 2 and in_place.incremental.earlier_runs == 2
        if fail_at != "dropping":
            assert "moved from the snapshot layout into Delta tables before this run (2 runs" in \
                str(in_place.incremental.note)
        assert sorted(p.name for p in here.iterdir()) == sorted([".lock", "runs", *TABLES]), fail_at
        for name in TABLES:
            assert delta(here, name) == expected[name] == plain(here, name), (fail_at, name)

    def refused(change: Callable[[Path], None], match: str) -> Path:
        """A copy of the old output, changed: the move refuses it and leaves everything as it was."""
        here = tmp_path / f"refused-{len(list(tmp_path.glob('refused-*')))}"
        shutil.copytree(old, here, symlinks=True)
        change(here)
        listing = sorted(str(p.relative_to(here)) for p in here.rglob("*"))
        with pytest.raises(OutputError, match=match):
            run([inbox], here)
        assert sorted(str(p.relative_to(here)) for p in here.rglob("*")) == listing
        return here

    def manifest_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
        def change(here: Path) -> None:
            path = current_snapshot(here) / "_manifest.json"
            manifest = json.loads(path.read_text())
            edit(manifest)
            path.write_text(json.dumps(manifest))
        return change

    def own_folder(name: str) -> Callable[[Path], None]:
        return lambda h: ((h / name).mkdir(), (h / name / "notes.txt").write_text("mine"))

    refused(own_folder(".snapshots/mine"), r"entries this tool did not make \(mine\)")
    mine = refused(own_folder(".migrating"), ".migrating was not written by this tool")
    assert run([inbox], mine, layout="snapshots").committed  # no move of the tool's was interrupted there
    refused(lambda h: (h / "_index").mkdir(), "_index was not written by this tool")
    refused(manifest_edit(lambda m: m.update(schema_version=99)), "schema version 99, newer than")
    refused(lambda h: (current_snapshot(h) / "_manifest.json").unlink(), "run once with --layout snapshots")
    here = tmp_path / "in-place-None"  # moved: what the user keeps beside its tables is none of the tool's
    for change in (own_folder(".snapshots"), own_folder(".snapshots/backup"), own_folder(".migrating")):
        change(here)
    again = run([inbox], here)
    assert not again.committed and again.incremental.note is None
    assert [p.read_text() for p in sorted(here.glob("**/notes.txt"))] == ["mine"] * 3


def test_a_commit_that_fails_part_way_restores_the_tables_it_had_committed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import deltalake as dl

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    run([inbox], out, layout="delta")
    before = {name: delta(out, name) for name in TABLES}
    write_inbox(inbox, ["orchard"])
    real = dl.write_deltalake
    written: list[str] = []

    def failing(uri: Any, *args: Any, **kwargs: Any) -> Any:
        written.append(str(uri))
        if str(uri).endswith("/removed"):
            raise OSError("the store went away")
        return real(uri, *args, **kwargs)

    monkeypatch.setattr(dl, "write_deltalake", failing)
    with pytest.raises(OutputError, match="the store went away.*every table it had committed was restored"):
        run([inbox], out)
    assert [w.rsplit("/", 1)[-1] for w in written] == ["articles", "removed"]  # tables with nothing new: no commit
    for name in TABLES:
        assert delta(out, name) == before[name] == plain(out, name), name
    monkeypatch.setattr(dl, "write_deltalake", real)
    again = run([inbox], out)
    assert again.committed and again.counts.articles_kept == 1 and len(delta(out, "articles")) == 2


def test_one_run_at_a_time_a_folder_by_its_lock_an_object_store_by_a_renewed_lease(
        tmp_path: Path, s3: Any) -> None:
    inbox = tmp_path / "inbox"
    write_inbox(inbox, ["harbour"])
    for out in (str(tmp_path / "out"), "s3://lake/news"):
        with TableWriter(out, "20261207T000000Z-aaaaaa", full_rebuild=False):  # a run in progress
            with pytest.raises(OutputError, match="another run"):
                run([inbox], out, layout="delta")
        assert run([inbox], out, layout="delta").committed  # it ended: the next run goes ahead
    # a run that died on an object store: its lease is not renewed, and after LEASE_SECONDS it is taken
    s3.pipe("lake/news/.staging/20261207T000000Z-bbbbbb/.newsclean-stage",
            json.dumps({"run_id": "20261207T000000Z-bbbbbb", "renewed": time.time() - 3600}).encode())
    s3.pipe("lake/news/.staging/20261207T000000Z-bbbbbb/snapshot/articles/run=x/part-1.parquet", b"PAR1")
    write_inbox(inbox, ["orchard"])
    assert run([inbox], "s3://lake/news").counts.articles_kept == 1
    assert not s3.exists("lake/news/.staging/20261207T000000Z-bbbbbb")  # the dead run's folder is gone
