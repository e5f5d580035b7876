"""The dedup step on a real 2-process Dask cluster: the very rows of the local run, for a first run and for
an incremental one (earlier articles from the index files), and no worker ever holds every signature."""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from cleaners.config import CleanConfig
from cleaners.model import Article
from cleaners.pipeline import DedupExecutor, dedup_stage, run

from .test_deduplicate import article, edit, story

pytest.importorskip("dask.dataframe")

#: Small shards: several scratch parts, so the cluster has several partitions.
CONFIG = CleanConfig(shard_bytes=30_000)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"logging.distributed": "error"}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    # not the process's default client, as a Prefect task runner's is not: the step must use the one given
    with cluster, Client(cluster, set_as_default=False) as dask_client:
        yield dask_client


def corpus(seed: int, stories: int = 120) -> list[Article]:
    """Stories with wire copies, edited copies and teasers (first third), in random order."""
    rng = random.Random(seed)
    arts = []
    for s in range(stories):
        text = story(n_words=rng.randint(150, 500), seed=seed * 1000 + s)
        arts.append(article(text, f"s{seed}-{s}"))
        kind = rng.random()
        if kind < 0.3:
            arts.append(article(edit(text, 0.05, s), f"e{seed}-{s}"))
        elif kind < 0.5:
            arts.append(article(" ".join(text.split()[: len(text.split()) // 3]), f"t{seed}-{s}"))
    rng.shuffle(arts)
    return arts


def write_inputs(folder: Path, arts: list[Article], files: int = 5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        with (folder / f"feed-{k}.jsonl").open("w", encoding="utf-8") as fh:
            for a in arts[k::files]:
                fh.write(json.dumps({"id": a.page_id, "text": a.text}) + "\n")
    return folder


def dedup_with(client: object | None) -> DedupExecutor:
    return lambda shards, area, config: dedup_stage(shards, area, config, client)


def rows(out: Path) -> dict[str, list[dict]]:
    return {name: sorted(({k: v for k, v in r.items() if k not in ("run_id", "run")}
                          for r in ds.dataset(out / name, format="parquet").to_table().to_pylist()),
                         key=lambda r: r["article_id"]) for name in ("articles", "duplicates")}


def test_the_cluster_finds_the_rows_of_the_local_run_and_no_worker_holds_every_signature(
        tmp_path: Path, client: object) -> None:
    arts = corpus(1)
    inputs = write_inputs(tmp_path / "in", arts)
    local = run([inputs], tmp_path / "local", CONFIG, dedup=dedup_with(None))
    found = run([inputs], tmp_path / "dask", CONFIG, dedup=dedup_with(client))
    assert rows(tmp_path / "dask") == rows(tmp_path / "local")
    assert local.counts.duplicates >= 40 and found.counts.duplicates == local.counts.duplicates
    assert local.timings.shards >= 3, "several scratch parts"
    held = found.dedup["sketches_per_worker"]
    assert len(held) == 2, "both workers took part"
    # which worker runs which task is the scheduler's choice (on so small a run one may get nearly all)
    assert found.dedup["sketches_largest_task"] < found.counts.articles_kept + found.counts.duplicates, \
        f"a task held every signature: {found.dedup}"
    assert "sketches_per_worker" not in local.dedup


def test_an_incremental_run_on_the_cluster_reads_the_earlier_index_files_there(
        tmp_path: Path, client: object) -> None:
    first = corpus(2, stories=60)
    later = [article(edit(a.text, 0.05, 9), "again-" + a.page_id) for a in first[:25]] + corpus(3, stories=40)
    summaries = {}
    for mode, dask_client in (("local", None), ("dask", client)):
        inbox = tmp_path / mode / "in"
        run([write_inputs(inbox, first, files=2)], tmp_path / mode / "out", CONFIG)
        write_inputs(inbox / "later", later, files=3)
        summaries[mode] = run([inbox], tmp_path / mode / "out", CONFIG, dedup=dedup_with(dask_client))
    assert rows(tmp_path / "dask" / "out") == rows(tmp_path / "local" / "out")
    local, found = summaries["local"].dedup, summaries["dask"].dedup
    assert found["earlier_articles_compared"] == local["earlier_articles_compared"] > 0
    assert found["duplicates_of_earlier_runs"] == local["duplicates_of_earlier_runs"] >= 20
    assert len(found["sketches_per_worker"]) == 2


@pytest.mark.timeout(240)
def test_repeated_steps_in_one_process_do_not_deadlock(tmp_path: Path, client: object) -> None:
    """The scheduler of a LocalCluster runs in this process and builds each submitted graph in a
    thread while this one builds the next collection; on Python 3.11 both can wait forever on
    dask-expr's cached properties (CI hung so, and a script repeating the step without the waits in
    distributed.py hung at its second step; this test does not hang on every try without them).
    A hang fails here through the timeout."""
    inputs = write_inputs(tmp_path / "in", corpus(5, stories=40))
    for n in range(12):
        found = run([inputs], tmp_path / f"out{n}", CONFIG, dedup=dedup_with(client))
        assert found.counts.duplicates > 0


def test_the_step_starts_no_peer_to_peer_shuffle(tmp_path: Path, client: object) -> None:
    """The step uses the task shuffle (see cleaners/dedup/distributed.py for why); the scheduler, in
    this process, logs each P2P shuffle it starts, as the control P2P shuffle at the end shows."""
    import logging

    import dask.dataframe as dd
    import pandas as pd

    started: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: started.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("distributed.shuffle._scheduler_plugin")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        found = run([write_inputs(tmp_path / "in", corpus(4, stories=40))], tmp_path / "out", CONFIG,
                    dedup=dedup_with(client))
        assert found.counts.duplicates > 0 and "sketches_per_worker" in found.dedup
        assert not [m for m in started if "initialized" in m], started
        frame = dd.from_pandas(pd.DataFrame({"k": range(100), "v": range(100)}), npartitions=4)
        client.compute(frame.shuffle("k", shuffle_method="p2p")).result()  # type: ignore[attr-defined]
        assert [m for m in started if "initialized" in m], "the control P2P shuffle was not seen"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
