"""The output appears all at once or not at all, and a failed run leaves the previous one."""
from __future__ import annotations

import json
import os
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
