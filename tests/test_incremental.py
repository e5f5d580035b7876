"""Runs that build on earlier runs: only new inputs, dedup against everything kept, nothing doubled."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from cleaners.config import CleanConfig
from cleaners.io.dataset import current_snapshot, current_state, read_manifest, snapshot_files
from cleaners.store.files import read_parquet
from cleaners.io.ledger import item_key
from cleaners.io.schema import SCHEMA_VERSION, schema_of
from cleaners.model import Rejection
from cleaners.outcome import NothingCommitted
from cleaners.pipeline import run
from tests.conftest import ROOT
from tests.io.test_schema import make_crawl
from tests.io.test_writer import downgrade

DATASETS = ("articles", "duplicates", "rejected", "removed")

STORIES = {
    "harbour": """Harbour ferry to run through the winter for the first time
The harbour ferry will keep running through the winter for the first time in its forty year history, the
port authority said on Tuesday, after a campaign by island residents who lose their link to the mainland
every November.
The authority will add a heated cabin to the older of its two boats and has hired four extra crew, paid
for by a grant from the regional transport fund that was approved last month.
Island councillors said the change would let children stay at the mainland secondary school all year
instead of boarding in town from the first storm of the autumn until the spring.
""",
    "orchard": """Old orchard saved by village buying group
A village buying group has raised enough money to buy the old orchard behind the church, ending a two
year fight over plans to build twelve houses on the land.
More than three hundred households paid in, some of them a few pounds and one family a whole year of
savings, the group's treasurer said as the sale was signed on Thursday.
The trees, some of them planted before the railway came, will be pruned this winter, and the group wants
to press its first juice next autumn and sell it at the Saturday market.
""",
    "bridge": """Footbridge closed after inspectors find cracked beams
The footbridge over the river at the station has been closed after an inspection found cracks in two of
its steel beams, the county engineer said on Monday.
Walkers and cyclists face a detour of almost two kilometres through the industrial estate until a
temporary crossing is put up, which the council hopes to do within six weeks.
The bridge was built in the nineteen seventies and was last repaired eight years ago, when its deck was
replaced after years of complaints about loose boards and standing water.
""",
}


def edited(text: str) -> str:
    """A re-publication with light edits: another headline, one sentence changed, a line added."""
    lines = text.strip().splitlines()
    lines[0] = lines[0] + ", officials confirm"
    lines[1] = lines[1].replace("said on", "announced on")
    return "\n".join(lines) + "\nThis story was first published by our partners and has been updated.\n"


def write_inbox(inbox: Path, names: list[str]) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for name in names:
        (inbox / f"{name}.txt").write_text(STORIES[name], encoding="utf-8")


def rows(out: Path, name: str) -> list[dict]:
    return ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()


def comparable(out: Path, name: str) -> list[dict]:
    """Rows without what differs between runs by design (run ids)."""
    return sorted(({k: v for k, v in r.items() if k not in ("run_id", "run")} for r in rows(out, name)),
                  key=lambda r: json.dumps(r, sort_keys=True, default=str))


def state(out: Path) -> dict[str, list[dict]]:
    return {name: comparable(out, name) for name in DATASETS}


def pinned_state(out: Path) -> dict[str, list[dict]]:
    """:func:`state` as the committed manifest pins it (:func:`current_state`): what a reader of several
    datasets reads together. Plain Parquet readers of Delta tables may see a table's files before its
    commit, and one table a run ahead of another, until the next run restores them (README, "Killed runs")."""
    pinned = current_state(out)
    return {name: sorted(({k: v for k, v in row.items() if k not in ("run_id", "run")}
                          for path in snapshot_files(pinned, name) for row in read_parquet(path).to_pylist()),
                         key=lambda r: json.dumps(r, sort_keys=True, default=str))
            for name in DATASETS}


def test_a_second_run_on_the_same_inbox_adds_no_rows(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    (inbox / "notes.csv").write_text("a,b\n")  # unsupported: rejected once, not on every run
    (inbox / "feed.jsonl").write_text(json.dumps({"text": STORIES["bridge"]}) + "\n" + json.dumps({"id": 7}) + "\n")
    first = run([inbox], out)
    before = {name: len(rows(out, name)) for name in DATASETS}
    assert before["articles"] == 3 and before["rejected"] == 2
    second = run([inbox], out)
    assert {name: len(rows(out, name)) for name in DATASETS} == before
    assert second.counts.records == 0 and second.counts.articles_found == 0
    assert second.incremental.files_already_processed == 3
    assert second.incremental.rejections_already_recorded == 1
    assert first.incremental.full_rebuild and not second.incremental.full_rebuild


def test_a_near_copy_in_a_new_file_names_the_earlier_article(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], out)
    earlier = {r["title"]: r["article_id"] for r in rows(out, "articles")}
    (inbox / "syndicated-copy.txt").write_text(edited(STORIES["orchard"]), encoding="utf-8")
    summary = run([inbox], out)
    dups = rows(out, "duplicates")
    assert len(dups) == 1 and dups[0]["source"] == "syndicated-copy.txt"
    assert dups[0]["duplicate_of"] == earlier["Old orchard saved by village buying group"]
    assert dups[0]["cluster_id"] == dups[0]["duplicate_of"]
    assert dups[0]["similarity"] >= CleanConfig().kept_jaccard_floor
    assert summary.dedup["duplicates_of_earlier_runs"] == 1
    assert len(rows(out, "articles")) == 2  # the earlier articles stay, nothing added


def test_records_are_recognised_by_content_not_by_file_name_or_row(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    records = [{"id": name, "text": text} for name, text in STORIES.items()]
    (inbox / "day1.jsonl").write_text("\n".join(json.dumps(r) for r in records[:2]) + "\n")
    run([inbox], out)
    # The crawler re-exports: a new name, newest first, yesterday's records included.
    (inbox / "day1.jsonl").unlink()
    (inbox / "day2.jsonl").write_text("\n".join(json.dumps(r) for r in reversed(records)) + "\n")
    summary = run([inbox], out)
    assert summary.counts.records == 1 and summary.incremental.records_already_processed == 2
    assert sorted(r["title"] for r in rows(out, "articles")) == sorted(t.splitlines()[0] for t in STORIES.values())
    assert rows(out, "duplicates") == []


def test_a_renamed_file_is_skipped_without_being_read(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    run([inbox], out)
    (inbox / "harbour.txt").rename(inbox / "harbour-again.txt")
    summary = run([inbox], out)
    assert summary.incremental.files_already_processed == 1 and summary.counts.pages == 0


def test_all_runs_read_as_one_dataset_one_run_as_its_partition_and_the_manifest_lists_the_state(
        tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    first = run([inbox], out, layout="snapshots").run_id  # the manifest's file list: that layout's
    write_inbox(inbox, ["orchard"])
    second = run([inbox], out, layout="snapshots").run_id
    table = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("run").to_pylist()) == sorted([first, second])
    only_second = ds.dataset(out / "articles" / f"run={second}", format="parquet").to_table()
    assert only_second.column("source").to_pylist() == ["orchard.txt"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["current_run"] == second and [r["run_id"] for r in manifest["runs"]] == [first, second]
    listed = manifest["datasets"]["articles"]["files"]
    assert sum(pq.read_metadata(out / f["path"]).num_rows for f in listed) == manifest["datasets"]["articles"]["rows"] == 2
    assert {f["path"] for f in listed} == {p.relative_to(out).as_posix() for p in (out / "articles").rglob("*.parquet")}


def test_full_rebuild_gives_what_a_fresh_output_gives(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], out)
    (inbox / "copy.txt").write_text(edited(STORIES["harbour"]), encoding="utf-8")
    run([inbox], out)
    rebuilt = run([inbox], out, full_rebuild=True)
    run([inbox], tmp_path / "fresh")
    assert rebuilt.incremental.full_rebuild and rebuilt.counts.records == 3
    assert state(out) == state(tmp_path / "fresh")
    assert len(manifest_of(out)["runs"]) == 1


def test_changed_signature_parameters_need_a_full_rebuild(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    run([inbox], out)
    with pytest.raises(NothingCommitted, match="--full-rebuild"):
        run([inbox], out, CleanConfig(num_perm=64))
    run([inbox], out, CleanConfig(num_perm=64), full_rebuild=True)


def test_snapshots_of_many_runs_share_files_instead_of_copying_them(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    first = run([inbox], out, layout="snapshots").run_id
    write_inbox(inbox, ["orchard"])
    run([inbox], out, layout="snapshots")
    first_file = next((out / "articles" / f"run={first}").glob("*.parquet"))
    assert os.stat(first_file).st_nlink >= 2  # the same bytes in both snapshots


# ---------------------------------------------------------------------- crash safety
def corpus(folder: Path, docs: int, seed: int) -> None:
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_news_corpus.py"), str(folder),
                    "--docs", str(docs), "--files", "4", "--seed", str(seed)], check=True, capture_output=True)


def test_a_run_killed_at_any_point_leaves_the_before_or_after_state_and_the_next_run_finishes_it(
        tmp_path: Path) -> None:
    """kill -9 at spread-out moments of a run: readers see the old or the new state, never a part,
    and re-running gives exactly what an uninterrupted run gives."""
    first, second = tmp_path / "first", tmp_path / "second"
    corpus(first, 600, seed=1)
    corpus(second, 600, seed=2)
    small = ["--no-prefect", "--chunk-pages", "50", "--shard-bytes", "60000"]

    def cli(out: Path, *inputs: Path) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        return subprocess.Popen([sys.executable, "-m", "flows.clean", *map(str, inputs), "-o", str(out), *small],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    reference = tmp_path / "reference"
    assert cli(reference, first).wait() == 0
    before = pinned_state(reference)
    assert before == state(reference)  # at rest, plain readers read the committed state too
    start = time.perf_counter()
    assert cli(reference, first, second).wait() == 0
    after = pinned_state(reference)
    full_seconds = time.perf_counter() - start
    assert after != before and after == state(reference)

    out = tmp_path / "out"
    assert cli(out, first).wait() == 0
    killed_mid_run = 0
    for fraction in (0.2, 0.4, 0.55, 0.7, 0.8, 0.9, 0.95):
        proc = cli(out, first, second)
        time.sleep(full_seconds * fraction)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        proc.wait()
        now = pinned_state(out)
        assert now in (before, after), f"a reader saw part of a run (killed at {fraction:.0%})"
        if now == after:
            break
    assert killed_mid_run >= 1
    assert cli(out, first, second).wait() == 0
    assert pinned_state(out) == after and state(out) == after
    assert not (out / ".staging").exists()
    assert current_state(out).name == manifest_of(out)["current_run"]


def test_a_file_with_no_record_is_one_row_once_not_one_per_run(tmp_path: Path) -> None:
    """An empty export is a ``no_records`` row; the ledger records it, so later runs over the same inbox add
    none: by the file's key, or by the row's own key when the bytes changed but not what they hold."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    (inbox / "empty.jsonl").write_bytes(b"")
    (inbox / "blank.jsonl").write_bytes(b"\n\n\n")
    (inbox / "empty.jsonl.gz").write_bytes(gzip.compress(b"", mtime=1))
    run([inbox], out)
    rejected = sorted((r["source"], r["record"], r["reason"]) for r in rows(out, "rejected"))
    assert rejected == [("blank.jsonl", None, "no_records"), ("empty.jsonl", None, "no_records"),
                        ("empty.jsonl.gz", None, "no_records")]
    keys = {r["key"] for r in rows_of(out, "_ledger") if r["kind"] == "rejection"}
    assert item_key(Rejection("empty.jsonl", None, "no_records", "0 records in 0 bytes")) in keys
    before = state(out)
    run([inbox], out)
    assert state(out) == before
    (inbox / "empty.jsonl.gz").write_bytes(gzip.compress(b"", mtime=2))  # new bytes (a new key), still nothing
    run([inbox], out)
    assert state(out) == before


def rows_of(out: Path, internal: str) -> list[dict]:
    """Rows of an internal dataset (``_ledger``, ``_index``) of the current state, in either layout."""
    state = current_state(out)
    return [row for path in snapshot_files(state, internal) for row in read_parquet(path).to_pylist()]


def manifest_of(out: Path) -> dict:
    """The manifest of the current state: ``manifest.json`` of snapshots, the ledger commit's of tables."""
    return read_manifest(current_state(out))


def test_an_output_of_schema_version_1_is_migrated_by_the_next_run_and_reads_with_one_schema(
        tmp_path: Path) -> None:
    """Written by the previous version (``fetched`` a string, no metadata, no ``schema_version``): the next
    run rewrites the earlier files to the current schema; every row stays, ``fetched`` keeps its instants."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    config = CleanConfig.model_validate({"html_timeout": 0})
    write_inbox(inbox, ["harbour", "orchard"])
    make_crawl(inbox / "crawl.warc.gz")
    (inbox / "notes.csv").write_text("a,b\n")
    run([inbox], out, config, layout="snapshots")  # an output of schema version 1 is one of that layout
    before = state(out)
    fetched = {r["url"]: r["fetched"] for r in rows(out, "articles") if r["source"] == "crawl.warc.gz"}
    assert len(fetched) == 4 and sum(v is not None for v in fetched.values()) == 3
    migrated = downgrade(out)
    assert ds.dataset(out / "articles", format="parquet").schema.field("fetched").type == pa.string()
    shutil.copytree(out, tmp_path / "moved", symlinks=True)  # for the move into tables at the end
    idle = run([inbox], out, config, layout="snapshots")  # nothing new: nothing is committed, so nothing is migrated yet
    assert not idle.committed and "the next run that commits rewrites them" in (idle.incremental.note or "")
    assert "schema_version" not in json.loads((out / "manifest.json").read_text())

    write_inbox(inbox, ["bridge"])
    done = run([inbox], out, config, layout="snapshots")
    assert "this run rewrote them to version 2" in (done.incremental.note or "")
    after = state(out)
    for name in DATASETS:  # every earlier row, unchanged (fetched as the same instant), and the new run's
        assert all(row in after[name] for row in before[name]), name
    assert len(after["articles"]) == len(before["articles"]) + 1
    assert {r["url"]: r["fetched"] for r in rows(out, "articles") if r["source"] == "crawl.warc.gz"} == fetched
    snapshot = current_snapshot(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["runs"][-1]["migrated"]["files"] == len(migrated)
    for name in [*DATASETS, "_index", "_ledger"]:
        for path in snapshot_files(snapshot, name, manifest):
            assert pq.read_schema(path).equals(schema_of(name), check_metadata=True), path
        assert ds.dataset(snapshot / name, format="parquet", partitioning="hive").to_table().num_rows \
            == manifest["datasets"][name]["rows"]
    run([inbox], out, config, layout="snapshots")  # the migrated ledger and index still do their work: nothing new
    assert state(out) == after
    moved = tmp_path / "moved"  # the first run with the default layout moves it into tables, conformed
    into_tables = run([inbox], moved, config)
    assert into_tables.counts.articles_kept == 1 and (moved / "_ledger" / "_delta_log").is_dir()
    assert state(moved) == after
    for name in [*DATASETS, "_index", "_ledger"]:  # one schema per table, with the current columns
        schemas = {pq.read_schema(path).remove_metadata() for path in snapshot_files(current_state(moved), name)}
        assert len(schemas) <= 1 and all(s.names == [n for n in schema_of(name).names if n != "run"]
                                         for s in schemas), name
    fetched_type = pq.read_schema(snapshot_files(current_state(moved), "articles")[0]).field("fetched").type
    assert fetched_type == schema_of("articles").field("fetched").type


# ---------------------------------------------------------------------- the output inside the input (issue 17, case 5)
LIBRARY = """Town library to open on Sundays from next month
The town library will open on Sunday afternoons from next month, the council said on Wednesday, after a
survey found that most people who no longer visit cannot come during the week because of work.
Two part-time librarians will be hired for the new hours, and volunteers from the reading club have
offered to run a homework corner for schoolchildren on the first floor.
The council said the cost would be met by closing the branch an hour earlier on Monday evenings, when the
survey found the building was almost always empty.
"""


@pytest.mark.parametrize("layout", ["inside", "equal", "linked"])
def test_an_output_inside_or_equal_to_the_input_is_never_read_back(tmp_path: Path, layout: str) -> None:
    """Before: the tool's Parquet parts, manifest, summaries and HTML reports were read back as input (after
    three runs 5 duplicates, 431 rejected and 788 removed rows came from its own files)."""
    inbox = tmp_path / "inbox"
    write_inbox(inbox, ["harbour", "orchard"])
    (inbox / "feed.jsonl").write_text(json.dumps({"text": STORIES["bridge"]}) + "\n", encoding="utf-8")
    out = {"inside": inbox / "clean", "equal": inbox, "linked": tmp_path / "out"}[layout]
    if layout == "linked":  # a link inside the inbox that leads to the output
        os.symlink(out, inbox / "results")
    summaries = [run([inbox], out) for _ in range(3)]
    if layout != "linked":  # a file of the user's in the output folder
        (out / "extra.txt").write_text(LIBRARY, encoding="utf-8")
        summaries.append(run([inbox], out))

    inputs = {"harbour.txt", "orchard.txt", "feed.jsonl"} | ({"extra.txt"} if layout == "equal" else set())
    for name in ("articles", "duplicates", "removed"):
        assert {r["source"] for r in rows(out, name)} <= inputs, name
    rejected = sorted((r["source"], r["reason"]) for r in rows(out, "rejected"))
    own = {"inside": ["clean"], "linked": ["results"],
           "equal": [".lock", ".snapshots", "articles", "duplicates", "manifest.json", "rejected", "removed",
                     "runs"] if (out / ".snapshots").exists() else
                    [".lock", "_index", "_ledger", "articles", "duplicates", "rejected", "removed", "runs"]}[layout]
    expected = [(source, "own_output") for source in own]
    if layout == "linked":  # the first run met the link before the output it leads to existed
        expected.insert(0, ("results", "broken_link"))
    assert rejected == expected
    assert len(rows(out, "articles")) == 3 + (layout == "equal") and rows(out, "duplicates") == []
    # once: the first run that meets the output records it, the next one finds nothing new
    assert [s.rejected_by_reason.get("own_output", 0) for s in summaries[:3]] == [0, len(own), 0]
    assert summaries[2].outcome.status == "nothing_new" and not summaries[2].committed
    if layout == "inside":  # the whole output folder is skipped, a file put there too
        assert summaries[3].outcome.status == "nothing_new"
    if layout == "equal":  # only the tool's own entries: the user's file beside them is read
        assert summaries[3].counts.articles_kept == 1

    # the same input files into an output elsewhere: the same articles
    fresh = tmp_path / "fresh"
    write_inbox(fresh, ["harbour", "orchard"])
    shutil.copy(inbox / "feed.jsonl", fresh / "feed.jsonl")
    if layout == "equal":
        shutil.copy(out / "extra.txt", fresh / "extra.txt")
    run([fresh], tmp_path / "reference")
    assert comparable(out, "articles") == comparable(tmp_path / "reference", "articles")


# ---------------------------------------------------------------------- rows a later read replaces (issue 17)
def placed(out: Path) -> list[tuple[str, str | None, str]]:
    """Where every record is: (source, record, "article" or the reason of its rejected row)."""
    found = [(r["source"], r["record"], "article") for name in ("articles", "duplicates") for r in rows(out, name)]
    return sorted(found + [(r["source"], r["record"], r["reason"]) for r in rows(out, "rejected")],
                  key=lambda x: (x[0], x[1] or "", x[2]))


def test_a_half_written_line_completed_before_the_next_run_ends_in_one_place(tmp_path: Path) -> None:
    """Issue 17, case 6: the line rejected as not_json in run 1 became an article in run 2 while its old row
    stayed: one record in two places. The completed line now replaces the row, in the new snapshot only."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    records = [{"id": name, "text": text} for name, text in STORIES.items()]
    full = "".join(json.dumps(r) + "\n" for r in records).encode()
    (inbox / "export.jsonl").write_bytes(full[:-150])  # the exporter is still writing the third line
    run([inbox], out)
    assert placed(out) == [("export.jsonl", "2", "not_json"), ("export.jsonl", "harbour", "article"),
                           ("export.jsonl", "orchard", "article")]
    before = current_state(out)
    (inbox / "export.jsonl").write_bytes(full)  # ...and has finished
    summary = run([inbox], out)
    assert summary.committed and summary.incremental.rejections_superseded == 1 and summary.counts.records == 1
    assert placed(out) == [("export.jsonl", name, "article") for name in ("bridge", "harbour", "orchard")]
    assert summary.dataset.rejected == 0 and manifest_of(out)["datasets"]["rejected"]["rows"] == 0
    if isinstance(before, Path):  # a pinned reader of snapshots keeps it (of tables: with keep_removed_hours)
        assert len(ds.dataset(before / "rejected", partitioning="hive").to_table()) == 1
    assert any(r["kind"] == "supersedes" for r in rows_of(out, "_ledger"))
    again = run([inbox], out)  # nothing new, nothing replaced again
    assert not again.committed and again.incremental.rejections_superseded == 0


def test_a_cut_download_completed_later_replaces_its_truncated_row(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    data = gzip.compress("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in STORIES.items()).encode())
    (inbox / "feed.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    run([inbox], out)
    assert ("feed.jsonl.gz", None, "truncated") in placed(out)
    (inbox / "feed.jsonl.gz").write_bytes(data)
    run([inbox], out)
    assert placed(out) == [("feed.jsonl.gz", name, "article") for name in ("bridge", "harbour", "orchard")]


def test_a_file_replaced_by_other_bytes_keeps_the_rows_of_the_old_one(tmp_path: Path) -> None:
    """Only a read that goes on from where the old one stopped replaces a row: yesterday's half line in an
    export that was overwritten with other records stays the trace of what yesterday's file held."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "export.jsonl").write_bytes(json.dumps({"id": "h", "text": STORIES["harbour"]}).encode()[:90])
    run([inbox], out)
    (inbox / "export.jsonl").write_text(json.dumps({"id": "o", "text": STORIES["orchard"]}) + "\n")
    summary = run([inbox], out)
    assert summary.incremental.rejections_superseded == 0
    assert placed(out) == [("export.jsonl", "0", "not_json"), ("export.jsonl", "o", "article")]


def test_raising_a_limit_reads_again_what_it_stopped_and_replaces_those_rows(tmp_path: Path) -> None:
    """Issue 17, case 18: raising --max-page-bytes, as the too_large detail says, took nothing on an existing
    output (the file counted as processed); only --full-rebuild did. The same for --max-html-depth."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    long_story = "\n".join([STORIES["harbour"]] + [STORIES["orchard"].replace("village", f"village {n}")
                                                   for n in range(8)])
    (inbox / "long.txt").write_text(long_story)
    (inbox / "feed.jsonl").write_text(json.dumps({"id": "short", "text": STORIES["bridge"]}) + "\n"
                                      + json.dumps({"id": "long", "text": long_story + " again"}) + "\n")
    deep = "<div>" * 40 + "".join(f"<p>{p}</p>" for p in STORIES["harbour"].split("\n")) + "</div>" * 40
    (inbox / "deep.html").write_text(f"<html><body>{deep}</body></html>")
    (inbox / "plain.txt").write_text(STORIES["orchard"])
    tight = CleanConfig(max_page_bytes=len(long_story) - 10, max_html_depth=30, html_timeout=0)
    run([inbox], out, tight)
    assert [p for p in placed(out) if p[2] != "article"] == [
        ("deep.html", None, "too_deep"), ("feed.jsonl", "long", "too_large"), ("long.txt", None, "too_large")]
    assert not run([inbox], out, tight).committed  # the same limits: nothing to read again

    roomy = tight.model_copy(update={"max_page_bytes": 2 * len(long_story)})
    raised = run([inbox], out, roomy)
    assert raised.incremental.rejections_superseded == 2 and raised.counts.records == 2
    assert raised.incremental.files_already_processed == 2  # plain.txt and deep.html: no limit of theirs changed
    assert {p[:2] for p in placed(out) if p[2] == "article"} >= {("long.txt", None), ("feed.jsonl", "long")}
    assert [p for p in placed(out) if p[2] != "article"] == [("deep.html", None, "too_deep")]

    deeper = run([inbox], out, roomy.model_copy(update={"max_html_depth": 100}))
    assert deeper.incremental.rejections_superseded == 1 and [p for p in placed(out) if p[2] != "article"] == []
    lowered = run([inbox], out, tight)  # rows already placed keep the cleaning they got
    assert not lowered.committed and [p for p in placed(out) if p[2] != "article"] == []


def test_a_link_fixed_later_replaces_its_broken_link_row(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    (inbox / "later.txt").symlink_to(tmp_path / "inbox" / "not-yet.txt")
    run([inbox], out)
    assert ("later.txt", None, "broken_link") in placed(out)
    (inbox / "not-yet.txt").write_text(STORIES["orchard"])
    summary = run([inbox], out)
    assert summary.incremental.rejections_superseded == 1
    assert [p for p in placed(out) if p[2] != "article"] == []


def test_a_lower_limit_reads_nothing_again_and_never_puts_an_article_into_rejected(tmp_path: Path) -> None:
    """Review of case 18: a lower --max-page-bytes read the file again and gave a record that was an article
    a too_large row as well (one record in two places). Only a higher limit reads it again."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    small = STORIES["bridge"]
    big = "\n".join([STORIES["harbour"]] + [STORIES["orchard"].replace("village", f"village {n}") for n in range(6)])
    (inbox / "f.jsonl").write_text(json.dumps({"id": "a", "text": small}) + "\n"
                                   + json.dumps({"id": "b", "text": big}) + "\n")
    middle = CleanConfig(max_page_bytes=len(small) + 500, html_timeout=0)
    run([inbox], out, middle)
    assert [p for p in placed(out) if p[2] != "article"] == [("f.jsonl", "b", "too_large")]
    lower = run([inbox], out, middle.model_copy(update={"max_page_bytes": 1_000}))
    assert not lower.committed and placed(out).count(("f.jsonl", "a", "article")) == 1
    assert ("f.jsonl", "a", "too_large") not in placed(out)
    higher = run([inbox], out, middle.model_copy(update={"max_page_bytes": 2 * len(big)}))
    assert higher.incremental.rejections_superseded == 1
    assert [p for p in placed(out)] == [("f.jsonl", "a", "article"), ("f.jsonl", "b", "article")]


def test_a_half_written_oversized_last_line_is_replaced_once_it_is_completed(tmp_path: Path) -> None:
    """Review of case 6: a row both half-written and a limit row was replaced only by another limit value."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    line = json.dumps({"id": "long", "text": STORIES["harbour"] * 3})
    first = json.dumps({"id": "short", "text": STORIES["bridge"]}) + "\n"
    (inbox / "feed.jsonl").write_text(first + line[:700])  # the exporter is still writing the long line
    config = CleanConfig(max_page_bytes=1_000, html_timeout=0)  # lines over 8x the limit are too_large
    run([inbox], out, config)
    rejected = [p for p in placed(out) if p[2] != "article"]
    assert len(rejected) == 1 and rejected[0][:2] == ("feed.jsonl", "1")
    (inbox / "feed.jsonl").write_text(first + line + "\n")  # completed
    again = run([inbox], out, config)
    assert again.incremental.rejections_superseded == 1
    assert placed(out) == [("feed.jsonl", "long", "too_large"), ("feed.jsonl", "short", "article")]  # one place


def test_a_file_taken_before_replaces_the_rows_of_a_time_it_could_not_be_read(tmp_path: Path) -> None:
    """Review of case 7: a link whose target was moved away (broken_link) and then put back with the same
    bytes: the file was skipped as seen, and its broken_link row stayed beside its article."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour"])
    (inbox / "store").mkdir()
    (inbox / "store" / "orchard.txt").write_text(STORIES["orchard"])
    (inbox / "orchard-link.txt").symlink_to(inbox / "store" / "orchard.txt")
    run([inbox], out)
    shutil.move(inbox / "store" / "orchard.txt", tmp_path / "orchard.txt")
    run([inbox], out)
    assert ("orchard-link.txt", None, "broken_link") in placed(out)
    shutil.move(tmp_path / "orchard.txt", inbox / "store" / "orchard.txt")
    back = run([inbox], out)
    assert back.incremental.rejections_superseded >= 1
    assert [p for p in placed(out) if p[2] != "article"] == []
