"""The output appears all at once or not at all, and a failed run leaves the previous one."""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from cleaners.io.dataset import current_snapshot, open_dataset, run_summary
from cleaners.io.schema import DATASETS, REJECTED
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
        assert read(tmp_path, name).schema.equals(schema), name
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


def test_next_run_replaces_the_snapshot_and_old_ones_are_pruned(tmp_path: Path) -> None:
    for n in range(1, 5):
        publish(tmp_path, f"r{n}", f"{n}.txt", keep=2)
    assert read(tmp_path, "rejected").column("source").to_pylist() == ["4.txt"]
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
    assert open_dataset(tmp_path, "rejected").to_table().column("source").to_pylist() == ["b.txt"]
    assert run_summary(tmp_path) == {"run_id": "r2"}


def test_part_files_are_named_by_run_so_runs_never_share_a_file_name(tmp_path: Path) -> None:
    publish(tmp_path, "r1", "a.txt")
    names = {p.name for p in (tmp_path / "articles").iterdir()} | {p.name for p in (tmp_path / "rejected").iterdir()}
    assert names and all(name.startswith("part-r1-") for name in names)


def test_two_runs_cannot_write_one_output(tmp_path: Path) -> None:
    with SnapshotWriter(tmp_path, "r1"), pytest.raises(OutputError, match="another run"):
        SnapshotWriter(tmp_path, "r2").open()


def test_a_foreign_folder_in_the_way_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    with pytest.raises(OutputError, match="choose another --output"):
        SnapshotWriter(tmp_path, "r1").open()
