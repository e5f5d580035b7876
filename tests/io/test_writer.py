"""The output appears all at once or not at all, and a failed run leaves the previous one."""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from cleaners.io.dataset import current_snapshot, open_dataset, run_summary
from cleaners.io.schema import (
    ARTICLES,
    DATASETS,
    REJECTED,
    SCHEMA_VERSION,
    parse_fetched,
    schema_of,
)
from cleaners.io.writer import OutputError, SnapshotWriter


def rejected_table(source: str, run_id: str) -> pa.Table:
    return pa.Table.from_pylist([{"source": source, "record": None, "reason": "x", "detail": "d",
                                  "page_id": None, "run_id": run_id}], schema=REJECTED)


def read(out: Path, name: str) -> pa.Table:
    return ds.dataset(out / name, format="parquet", partitioning="hive").to_table()


def publish(out: Path, run_id: str, source: str, keep: int = 2) -> None:
    with SnapshotWriter(out, run_id, keep) as writer:
        writer.area.write("rejected", rejected_table(source, run_id), "0")
        writer.commit({"run_id": run_id})


def test_commit_publishes_every_dataset_with_its_schema(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    for name, schema in DATASETS.items():
        found = read(tmp_path, name).schema
        assert found.field("run").type == pa.string()  # the hive partition, one folder per run
        assert found.remove(found.get_field_index("run")).equals(schema), name
    assert read(tmp_path, "rejected").column("source").to_pylist() == ["a.txt"]
    assert (tmp_path / "runs" / "r1.json").exists()
    assert (tmp_path / ".snapshots" / "current" / "_run.json").exists()


def test_a_run_that_fails_before_commit_leaves_the_previous_snapshot(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    with pytest.raises(RuntimeError), SnapshotWriter(tmp_path, "r2") as writer:
        writer.area.write("rejected", rejected_table("b.txt", "r2"), "0")
        raise RuntimeError("crash mid-run")
    assert read(tmp_path, "rejected").column("source").to_pylist() == ["a.txt"]
    assert not (tmp_path / "runs" / "r2.json").exists()
    assert not (tmp_path / ".staging").exists()


def test_runs_accumulate_and_old_snapshots_are_pruned_without_losing_shared_files(tmp_path: Path) -> None:
    for n in range(1, 5):
        publish(tmp_path, f"r{n}", f"{n}.txt", keep=2)
    assert sorted(read(tmp_path, "rejected").column("source").to_pylist()) == ["1.txt", "2.txt", "3.txt", "4.txt"]
    snapshots = sorted(p.name for p in (tmp_path / ".snapshots").iterdir() if not p.is_symlink())
    assert snapshots == ["r3", "r4"]
    assert os.readlink(tmp_path / ".snapshots" / "current") == "r4"


def test_pruning_follows_commit_order_not_run_id_order(tmp_path: Path) -> None:
    """Run ids made in the same second need not sort in commit order."""
    for run_id in ("z1", "y2", "x3"):
        publish(tmp_path, run_id, f"{run_id}.txt", keep=2)
    snapshots = sorted(p.name for p in (tmp_path / ".snapshots").iterdir() if not p.is_symlink())
    assert snapshots == ["x3", "y2"]


def test_a_reader_pinned_to_a_snapshot_is_not_mixed_with_a_later_run(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    pinned = open_dataset(tmp_path, "rejected", current_snapshot(tmp_path))
    publish(tmp_path, "r2", "b.txt")
    assert pinned.to_table().column("source").to_pylist() == ["a.txt"]
    assert sorted(open_dataset(tmp_path, "rejected").to_table().column("source").to_pylist()) == ["a.txt", "b.txt"]
    assert run_summary(tmp_path) == {"run_id": "r2"}


def test_each_run_has_its_own_partition_and_part_names(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    publish(tmp_path, "r2", "b.txt")
    assert sorted(p.name for p in (tmp_path / "rejected").iterdir()) == ["run=r1", "run=r2"]
    for run_id in ("r1", "r2"):
        names = [p.name for p in (tmp_path / "rejected" / f"run={run_id}").iterdir()]
        assert names and all(name.startswith(f"part-{run_id}-") for name in names)


def test_full_rebuild_publishes_only_the_new_run(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    with SnapshotWriter(tmp_path, "r2", full_rebuild=True) as writer:
        writer.area.write("rejected", rejected_table("b.txt", "r2"), "0")
        writer.commit({"run_id": "r2"})
    assert read(tmp_path, "rejected").column("source").to_pylist() == ["b.txt"]


def test_steps_after_the_switch_are_completed_by_the_next_run(tmp_path: Path) -> None:
    """A run killed right after its atomic switch is committed; its summary and links come back."""
    publish(tmp_path, "r1", "a.txt")
    (tmp_path / "runs" / "r1.json").unlink()
    (tmp_path / "manifest.json").unlink()
    with SnapshotWriter(tmp_path, "r2"):
        pass
    assert (tmp_path / "runs" / "r1.json").exists()
    assert json.loads((tmp_path / "manifest.json").read_text())["current_run"] == "r1"


def test_a_damaged_manifest_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    (current_snapshot(tmp_path) / "_manifest.json").write_text("{")
    with pytest.raises(OutputError, match="rebuild"):
        SnapshotWriter(tmp_path, "r2").open()


def test_two_runs_cannot_write_one_output(tmp_path: Path) -> None:
    with SnapshotWriter(tmp_path, "r1"), pytest.raises(OutputError, match="another run"):
        SnapshotWriter(tmp_path, "r2").open()


def test_a_foreign_folder_in_the_way_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    with pytest.raises(OutputError, match="choose another --output"):
        SnapshotWriter(tmp_path, "r1").open()


# ---------------------------------------------------------------------- outputs of an older schema version
def _version_1(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.string() if f.name == "fetched" else f.type, f.nullable) for f in schema])


def downgrade(out: Path) -> list[str]:
    """Make the current snapshot look written by version 1: ``fetched`` strings as the WARC said them, no
    metadata in any file, no ``schema_version`` in the manifest. The files listed, relative to the snapshot."""
    snapshot = current_snapshot(out)
    manifest = json.loads((snapshot / "_manifest.json").read_text())
    paths = []
    for info in manifest["datasets"].values():
        for f in info["files"]:
            path = snapshot / f["path"]
            table = pq.read_table(path)
            if "fetched" in table.column_names:
                raw = [None if v is None else v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                       for v in table.column("fetched").to_pylist()]
                table = table.set_column(table.column_names.index("fetched"), "fetched", pa.array(raw, pa.string()))
            table = pa.Table.from_arrays(table.columns, schema=_version_1(table.schema)).replace_schema_metadata(None)
            path.unlink()  # a hard link shared with other snapshots: write a file of its own
            pq.write_table(table, path)
            paths.append(f["path"])
    del manifest["schema_version"]
    (snapshot / "_manifest.json").write_text(json.dumps(manifest))
    return paths


def articles_table(run_id: str, fetched: list[str | None]) -> pa.Table:
    rows = [{"article_id": f"{run_id}-{n}", "source": "crawl.warc", "record": str(n), "segment": "main",
             "position": 0, "title": None, "text": "words", "cluster_id": f"{run_id}-{n}", "page_id": "p",
             "fetched": parse_fetched(value), "n_words": 1, "run_id": run_id} for n, value in enumerate(fetched)]
    return pa.Table.from_pylist(rows, schema=ARTICLES)


def test_files_of_schema_version_1_are_rewritten_to_the_current_schema_not_linked(tmp_path: Path) -> None:
    with SnapshotWriter(tmp_path, "r1") as writer:
        writer.area.write("articles", articles_table("r1", ["2024-05-01T12:34:56.5Z", None]), "0")
        writer.area.write("rejected", rejected_table("a.txt", "r1"), "0")
        writer.commit({"run_id": "r1"})
    old_files = downgrade(tmp_path)
    # an unparseable string a version 1 file may hold: null after the rewrite, never an error
    broken = current_snapshot(tmp_path) / old_files[0]
    table = pq.read_table(broken)
    pq.write_table(table.set_column(table.column_names.index("fetched"), "fetched",
                                    pa.array(["2024-05-01T12:34:56.500000Z", "not a date"])), broken)
    # why old files are rewritten: a dataset mixing both layouts reads `fetched` as strings of two formats
    # (pyarrow, DuckDB: whichever file comes first sets the type) or not at all (Polars)
    mixed = ds.dataset([broken, _new_articles_file(tmp_path)], format="parquet").to_table().column("fetched")
    assert mixed.type == pa.string() and len(set(mixed.to_pylist())) == 3

    with SnapshotWriter(tmp_path, "r2") as writer:
        assert sorted(writer.migrated_files) == sorted(old_files) and writer.migrated_from == 1
        assert writer.migration_note is not None and f"{len(old_files)} files" in writer.migration_note
        writer.area.write("articles", articles_table("r2", ["2024-06-01T00:00:00Z"]), "0")
        writer.commit({"run_id": "r2"})

    snapshot = current_snapshot(tmp_path)
    manifest = json.loads((snapshot / "_manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["runs"][-1]["migrated"] == {"from_schema_version": 1, "to_schema_version": 2,
                                                "files": len(old_files)}
    for name, info in manifest["datasets"].items():
        for f in info["files"]:
            assert pq.read_schema(snapshot / f["path"]).equals(schema_of(name), check_metadata=True), f
    articles = read(tmp_path, "articles").sort_by("article_id")
    assert articles.column("fetched").to_pylist() == [
        datetime(2024, 5, 1, 12, 34, 56, 500000, tzinfo=timezone.utc), None,
        datetime(2024, 6, 1, tzinfo=timezone.utc)]
    assert read(tmp_path, "rejected").column("source").to_pylist() == ["a.txt"]
    # the snapshot it replaced keeps its own bytes: the rewrite made new files
    assert all(os.stat(snapshot / p).st_ino != os.stat(tmp_path / ".snapshots" / "r1" / p).st_ino for p in old_files)

    with SnapshotWriter(tmp_path, "r3") as writer:  # one migration: the next run links again
        assert writer.migrated_files == [] and writer.migration_note is None
        writer.commit({"run_id": "r3"})
    assert os.stat(current_snapshot(tmp_path) / old_files[0]).st_ino == os.stat(snapshot / old_files[0]).st_ino


def _new_articles_file(tmp_path: Path) -> Path:
    path = tmp_path / "new.parquet"
    pq.write_table(articles_table("rx", ["2024-05-01T00:00:00Z"]), path)
    return path


def test_a_file_that_cannot_be_brought_to_the_schema_stops_the_commit_and_keeps_the_output(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    downgrade(tmp_path)
    snapshot = current_snapshot(tmp_path)
    manifest = json.loads((snapshot / "_manifest.json").read_text())
    path = snapshot / manifest["datasets"]["rejected"]["files"][0]["path"]
    pq.write_table(pq.read_table(path).append_column("surprise", pa.array([1])), path)
    with pytest.raises(OutputError, match="surprise"), SnapshotWriter(tmp_path, "r2") as writer:
        writer.commit({"run_id": "r2"})
    assert os.readlink(tmp_path / ".snapshots" / "current") == "r1"
    assert read(tmp_path, "rejected").column("source").to_pylist() == ["a.txt"]


def test_an_output_of_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    manifest_path = current_snapshot(tmp_path) / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(OutputError, match="newer"):
        SnapshotWriter(tmp_path, "r2").open()
    with SnapshotWriter(tmp_path, "r2", full_rebuild=True) as writer:  # the way out it names
        writer.commit({"run_id": "r2"})


# ---------------------------------------------------------------------- only what the tool made (issue 17, case 1)
def user_files(out: Path) -> dict[str, bytes | None]:
    """Files and folders a user keeps in the output folder under the tool's hidden names."""
    (out / ".staging" / "mywork").mkdir(parents=True)
    (out / ".staging" / "mywork" / "draft.txt").write_text("half a page")
    (out / ".staging" / "notes.txt").write_text("do not delete")
    (out / ".snapshots" / "photos").mkdir(parents=True)
    (out / ".snapshots" / "photos" / "cat.jpg").write_bytes(b"\xff\xd8\xff meow")
    (out / ".snapshots" / "old-export").mkdir()  # a folder with a run-like file that names another run
    (out / ".snapshots" / "old-export" / "_run.json").write_text(json.dumps({"run_id": "someone-else"}))
    (out / ".lock").write_text("pid 4242, my own lock file")
    return snapshot_of_user_files(out)


def snapshot_of_user_files(out: Path) -> dict[str, bytes | None]:
    paths = [".staging/mywork", ".staging/mywork/draft.txt", ".staging/notes.txt", ".snapshots/photos",
             ".snapshots/photos/cat.jpg", ".snapshots/old-export/_run.json", ".lock"]
    return {p: (None if (out / p).is_dir() else (out / p).read_bytes()) if (out / p).exists() else b"<gone>"
            for p in paths}


def test_runs_delete_and_rewrite_nothing_they_did_not_make(tmp_path: Path) -> None:
    """Before: run 1 deleted the user's .staging/ folder and truncated their .lock to 0 bytes; a later run
    deleted .snapshots/photos/ when it pruned old snapshots."""
    before = user_files(tmp_path)
    for n in range(1, 5):  # enough runs for pruning (keep 2)
        publish(tmp_path, f"r{n}", f"{n}.txt", keep=2)
    with pytest.raises(RuntimeError), SnapshotWriter(tmp_path, "r5") as writer:  # and a run that fails
        writer.area.write("rejected", rejected_table("x.txt", "r5"), "0")
        raise RuntimeError("crash mid-run")
    assert snapshot_of_user_files(tmp_path) == before
    assert sorted(read(tmp_path, "rejected").column("source").to_pylist()) == ["1.txt", "2.txt", "3.txt", "4.txt"]
    tool = sorted(p.name for p in (tmp_path / ".snapshots").iterdir() if p.name.startswith("r"))
    assert tool == ["r3", "r4"]  # its own snapshots are still pruned
    assert sorted(p.name for p in (tmp_path / ".staging").iterdir()) == ["mywork", "notes.txt"]


def test_what_runs_that_died_left_is_cleared_and_only_that(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    before = user_files(tmp_path)
    staging, snapshots = tmp_path / ".staging", tmp_path / ".snapshots"
    with SnapshotWriter(tmp_path, "r2") as writer:  # killed: its marked folder stays behind
        writer.area.write("rejected", rejected_table("b.txt", "r2"), "0")
        dead = writer.stage
        shutil.copytree(dead, tmp_path / "kept-stage", symlinks=True)
    shutil.copytree(tmp_path / "kept-stage", dead, symlinks=True)
    legacy = staging / "20260101T000000Z-abc123"  # a version before the mark: named by a run id
    (legacy / "snapshot" / "articles").mkdir(parents=True)
    (legacy / "scratch").mkdir()
    not_a_run = staging / "20260101T000000Z-def456"  # named like a run, but holds a user's file
    not_a_run.mkdir()
    (not_a_run / "mine.txt").write_text("keep")
    os.symlink("r1", snapshots / ".current.r9")  # a temporary link of a run killed before its switch
    (tmp_path / "runs" / ".r9.json.tmp").write_text("{")
    (tmp_path / "runs" / "my.tmp").write_text("not the tool's pattern")
    publish(tmp_path, "r3", "c.txt")
    assert not dead.exists() and not legacy.exists()
    assert (not_a_run / "mine.txt").read_text() == "keep"
    assert not os.path.lexists(snapshots / ".current.r9") and not (tmp_path / "runs" / ".r9.json.tmp").exists()
    assert (tmp_path / "runs" / "my.tmp").exists()
    assert snapshot_of_user_files(tmp_path) == before
    assert sorted(read(tmp_path, "rejected").column("source").to_pylist()) == ["a.txt", "c.txt"]


def test_the_lock_is_opened_without_truncating_and_a_staging_folder_left_empty_by_a_user_stays(
        tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text("keep me")
    (tmp_path / ".staging").mkdir()  # empty, but not the tool's: it is not removed either
    publish(tmp_path, "r1", "a.txt")
    assert (tmp_path / ".lock").read_text() == "keep me"
    assert (tmp_path / ".staging").is_dir() and not any((tmp_path / ".staging").iterdir())
    fresh = tmp_path / "fresh"
    publish(fresh, "r1", "a.txt")  # a .staging the tool made is gone after the run
    assert not (fresh / ".staging").exists() and (fresh / ".lock").read_bytes() == b""


@pytest.mark.parametrize("setup, path", [
    (lambda out: (out / ".staging").write_text("a file"), ".staging"),
    (lambda out: (out / ".snapshots").write_text("a file"), ".snapshots"),
    (lambda out: (out / "runs").write_text("a file"), "runs"),
    (lambda out: (out / ".lock").mkdir(), ".lock"),
    (lambda out: os.symlink(out / "victim.txt", out / ".lock"), ".lock"),  # never a real system file here
    (lambda out: os.symlink(out / "victim", out / "articles"), "articles"),
    (lambda out: os.symlink(".snapshots/current/_run.json", out / "manifest.json"), "manifest.json"),
    (lambda out: (out / ".snapshots" / "current").mkdir(parents=True), ".snapshots/current"),
    (lambda out: ((out / ".snapshots" / "photos").mkdir(parents=True),
                  os.symlink("photos", out / ".snapshots" / "current")), ".snapshots/current"),
], ids=["staging-file", "snapshots-file", "runs-file", "lock-dir", "lock-symlink", "dataset-link-elsewhere",
        "manifest-link-elsewhere", "current-dir", "current-to-a-user-folder"])
def test_a_foreign_entry_under_one_of_the_tools_names_is_refused_naming_it(tmp_path: Path, setup, path: str) -> None:  # noqa: ANN001
    (tmp_path / "victim.txt").write_text("a user's file")
    (tmp_path / "victim").mkdir()
    setup(tmp_path)
    listing = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    with pytest.raises(OutputError) as caught:
        SnapshotWriter(tmp_path, "r1").open()
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / path} was not written by this tool (")
    assert message.endswith("move it away or choose another --output")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == listing  # nothing written
    assert (tmp_path / "victim.txt").read_text() == "a user's file"


def test_an_entry_named_like_this_run_that_the_tool_did_not_make_is_refused(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    (tmp_path / ".staging" / "r2").mkdir(parents=True)
    (tmp_path / ".staging" / "r2" / "mine.txt").write_text("keep")
    with pytest.raises(OutputError, match="r2 exists and was not made by this tool"):
        SnapshotWriter(tmp_path, "r2").open()
    assert (tmp_path / ".staging" / "r2" / "mine.txt").read_text() == "keep"
    (tmp_path / ".snapshots" / "r3").mkdir()
    with pytest.raises(OutputError, match="r3 exists and was not left by an earlier attempt"), \
            SnapshotWriter(tmp_path, "r3") as writer:
        writer.commit({"run_id": "r3"})
    assert (tmp_path / ".snapshots" / "r3").is_dir() and os.readlink(tmp_path / ".snapshots" / "current") == "r1"
