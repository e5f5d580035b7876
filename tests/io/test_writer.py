"""The output appears all at once or not at all, and a failed run leaves the previous one."""
from __future__ import annotations

import json
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
