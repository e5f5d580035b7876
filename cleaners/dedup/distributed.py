"""The dedup step as a partitioned computation on a Dask cluster: no process holds every sketch.

The same decisions as :func:`cleaners.dedup.deduplicate.find_duplicates`,
computed with Dask's own collections (dask.dataframe) on the run's cluster:

1. **Sketches** stay where they are read: one partition per scratch part
   file (and per earlier-run index file), read by the workers, with each
   row's global rank (the priority order, computed here from ids, segments
   and word counts only) and word count, persisted on the cluster.
2. **Candidates**: every row's candidate keys (:meth:`DedupMethod.candidate_keys`)
   as ``(key, rank)`` rows, shuffled by key, so that each key's rows meet in
   one partition; pairs within runs of equal keys (a bucket larger than
   ``max_bucket`` gives a star, as locally), then de-duplicated by a shuffle.
3. **Verification where the pairs land**: the pairs are joined with the
   sketches of their first row, then of their second (hash joins: each
   partition receives the sketches of its own pairs only) and verified there.
4. **Grouping** runs here, on the verified pairs (about half a pair per
   article on news), and asks the cluster to verify its hop pairs the same way.

The client (the flow's process) holds the ranks, word counts and verified
pairs: 16-40 bytes an article, never a sketch.

Every shuffle and join uses Dask's task-based shuffle, not its default
peer-to-peer one: P2P keeps per-shuffle state on each worker, pinned output
tasks and a barrier, with a history of hangs when a worker is slow or a
shuffle is re-run (dask/distributed #6981, #8595, #8660); the task shuffle is
plain tasks the scheduler can always move or recompute. (A hang that CI hit
was first blamed on P2P; it was the graph-building deadlock described at the
``_settle`` calls below, which either method meets.) The cost is small here
(benchmarks/dedup_scale.py --dask 2, this 2-core machine): 4.0-4.3 s vs
4.7 s for P2P at 100k documents, 40.9-43.7 s vs 35.4 s at 1M.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..store.files import read_parquet
from .group import Groups, group
from .lsh import MAX_BUCKET, run_pairs
from .seam import DedupMethod, rows_binary
from .verify import Edges, Thresholds

#: Dask's shuffle method for every shuffle and join here (see the module docstring)
SHUFFLE = "tasks"


@dataclass(frozen=True, slots=True)
class Source:
    """One partition of sketches: a Parquet file, and the global rank and word count of each of its rows."""

    path: str
    ranks: np.ndarray
    words: np.ndarray


@dataclass(slots=True)
class Distributed:
    """What the cluster found, in ranked rows, and what each worker held."""

    groups: Groups
    candidate_pairs: int
    verified_pairs: int
    #: per worker address, the distinct articles whose sketches it read or received
    sketches_per_worker: dict[str, int]
    #: the most distinct articles whose sketches one read or join task's input covered, whatever
    #: the scheduler put where (on a small run it may give one worker every task); a lower bound
    #: on what one task holds, since a join partition carries both sketches of each of its pairs
    sketches_largest_task: int


def _layout(method: DedupMethod) -> list[tuple[str, np.dtype, tuple[int, ...]]]:
    """Each sketch column's dtype and row shape, as :meth:`DedupMethod.arrays` gives them."""
    empty = method.arrays({f.name: pa.array([], f.type) for f in method.fields()})
    return [(name, array.dtype, array.shape[1:]) for name, array in empty.items()]


def _pack(array: np.ndarray) -> Any:
    """Rows of an array as one binary cell each: an Arrow-backed pandas column (no Python object per row)."""
    import pandas as pd

    return pd.arrays.ArrowExtensionArray(rows_binary(array).cast(pa.binary()))


def _unpack(cells: Any, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    width = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    chunked = pa.chunked_array(cells.__arrow_array__()) if hasattr(cells, "__arrow_array__") else pa.chunked_array(
        [pa.array(list(cells), pa.binary())])
    fixed = (chunked.combine_chunks() if chunked.num_chunks else pa.array([], pa.binary())).cast(pa.binary(width))
    return np.frombuffer(fixed.buffers()[1], dtype=dtype, count=len(fixed) * width // dtype.itemsize,
                         offset=fixed.offset * width).reshape(len(fixed), *shape) if len(fixed) else np.zeros(
        (0, *shape), dtype=dtype)


def read_source(source: Source, method: DedupMethod) -> Any:
    """The sketches of one file as a pandas frame: rank, words, one bytes column per sketch column."""
    import pandas as pd

    names = [f.name for f in method.fields()]
    table = read_parquet(source.path, columns=names)
    arrays = method.arrays({name: table.column(name) for name in names})
    frame = {"rank": source.ranks.astype(np.int64), "words": source.words.astype(np.int64)}
    frame |= {name: _pack(array) for name, array in arrays.items()}
    return pd.DataFrame(frame)


def _sketch_meta(method: DedupMethod, layout: list[tuple[str, np.dtype, tuple[int, ...]]]) -> Any:
    """The empty frame :func:`read_source` makes (dask's ``meta``)."""
    import pandas as pd

    frame = {"rank": np.zeros(0, np.int64), "words": np.zeros(0, np.int64)}
    frame |= {name: _pack(np.zeros((0, *shape), dtype=dtype)) for name, dtype, shape in layout}
    return pd.DataFrame(frame)


def _keys(frame: Any, method: DedupMethod, layout: list[tuple[str, np.dtype, tuple[int, ...]]]) -> Any:
    import pandas as pd

    sketches = {name: _unpack(frame[name].array, dtype, shape) for name, dtype, shape in layout}
    columns = list(method.candidate_keys(sketches))
    keys = np.concatenate(columns) if columns else np.zeros(0, np.uint64)
    return pd.DataFrame({"key": keys, "rank": np.tile(frame["rank"].to_numpy(), len(columns))})


def _pairs(frame: Any, fixed: int) -> Any:
    """Pairs (i < j, in ranks) of rows sharing a key, within this partition's keys."""
    import pandas as pd

    if not len(frame):
        return pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64)})
    order = np.argsort(frame["key"].to_numpy(), kind="stable")
    keys = frame["key"].to_numpy()[order]
    ranks = frame["rank"].to_numpy()[order].astype(np.int64)
    top = int(ranks.max()) + 1
    codes = np.unique(run_pairs(keys, ranks, MAX_BUCKET, top))
    i, j = codes // top, codes % top
    keep = j >= fixed  # two earlier-run articles are never compared again
    return pd.DataFrame({"i": i[keep], "j": j[keep]})


def _verify(frame: Any, method: DedupMethod, layout: list[tuple[str, np.dtype, tuple[int, ...]]],
            levels: Thresholds) -> Any:
    """The verified pairs of this partition: each row holds a pair and both rows' sketches."""
    import pandas as pd

    m = len(frame)
    sketches = {name: np.concatenate([_unpack(frame[f"{name}_i"].array, dtype, shape),
                                      _unpack(frame[f"{name}_j"].array, dtype, shape)])
                for name, dtype, shape in layout}
    words = np.concatenate([frame["words_i"].to_numpy(), frame["words_j"].to_numpy()]).astype(np.int64)
    local = np.stack([np.arange(m), m + np.arange(m)], axis=1).astype(np.int64)
    found = method.verify(sketches, words, local, levels)
    return pd.DataFrame({"i": frame["i"].to_numpy()[found.i].astype(np.int64),
                         "j": frame["j"].to_numpy()[found.j - m].astype(np.int64),
                         "jaccard": found.jaccard.astype(np.float64),
                         "containment": found.containment.astype(np.float64)})


def _rows_in(frame: Any, ranks: np.ndarray) -> Any:
    return frame[np.isin(frame["rank"].to_numpy(), ranks)]


def _seen(frame: Any, columns: Sequence[str], stage: str, partition_info: dict | None = None) -> Any:
    """Which worker ran this partition (the task ``stage``-number), and the articles whose sketches it had."""
    import pandas as pd
    from distributed import get_worker

    ranks = np.unique(np.concatenate([frame[c].to_numpy() for c in columns])) if len(frame) else np.zeros(0, np.int64)
    task = f"{stage}-{partition_info['number'] if partition_info else 0}"
    return pd.DataFrame({"worker": get_worker().address, "task": task, "rank": ranks.astype(np.int64)})


def _edges_frame() -> Any:
    import pandas as pd

    return pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64),
                         "jaccard": np.zeros(0), "containment": np.zeros(0)})


def find_duplicates_on_dask(client: Any, sources: Sequence[Source], n: int, fixed: int, method: DedupMethod,
                            levels: Thresholds) -> Distributed:
    """Groups of ``n`` ranked articles whose sketches are in ``sources`` (see the module docstring)."""
    import dask.dataframe as dd
    import pandas as pd
    from dask import delayed

    layout = _layout(method)
    # a pair ships only what verification reads (for MinHash: not the lead signature, half the bytes)
    checked = [entry for entry in layout if entry[0] in method.verify_fields()]
    names = [name for name, _, _ in checked]
    partitions = max(1, len(sources))
    # the ranks and word counts go to the workers as data, not inside the graph (16 bytes an article)
    scattered = client.scatter(list(sources))
    sketches = client.persist(dd.from_delayed([delayed(read_source)(s, method) for s in scattered],
                                              meta=_sketch_meta(method, layout), verify_meta=False))
    # Wait for every persist before building the next collection, and gather every compute: a
    # scheduler in this process (a LocalCluster: the tests, --task-runner dask) turns a submitted
    # graph into tasks in a thread of its own, reading the same dask-expr expressions' cached
    # properties as this thread building the next ones. On Python 3.11 functools.cached_property
    # holds one lock per property for all instances, so the two threads can take two such locks in
    # opposite orders and wait forever (seen in CI, and here on the second dedup step of a process:
    # both stacks in `divisions` / `npartitions`). A persist whose tasks are done was materialized.
    _settle(sketches)
    keys = sketches.map_partitions(_keys, method, layout,
                                   meta=pd.DataFrame({"key": np.zeros(0, np.uint64), "rank": np.zeros(0, np.int64)}))
    pairs = keys.shuffle("key", npartitions=partitions, shuffle_method=SHUFFLE).map_partitions(
        _pairs, fixed, meta=pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64)}))
    pairs = client.persist(pairs.drop_duplicates(split_out=partitions, shuffle_method=SHUFFLE))
    _settle(pairs)
    shipped = sketches[["rank", "words", *names]]

    seen_meta = pd.DataFrame({"worker": pd.Series([], dtype=str), "task": pd.Series([], dtype=str),
                              "rank": np.zeros(0, np.int64)})

    def verified(candidates: Any, table: Any, levels: Thresholds, npartitions: int,
                 stage: str) -> tuple[Any, Any]:
        """The verified pairs of ``candidates`` (joined with ``table``'s rows of both articles), and who
        held which sketches."""
        columns = ["rank", "words", *names]
        joined = (candidates
                  .merge(table.rename(columns={c: f"{c}_i" for c in columns}), left_on="i", right_on="rank_i",
                         how="inner", npartitions=npartitions, shuffle_method=SHUFFLE)
                  .merge(table.rename(columns={c: f"{c}_j" for c in columns}), left_on="j", right_on="rank_j",
                         how="inner", npartitions=npartitions, shuffle_method=SHUFFLE))
        edges = joined.map_partitions(_verify, method, checked, levels, meta=_edges_frame())
        seen = joined.map_partitions(_seen, ["i", "j"], stage, meta=seen_meta)
        return edges, seen

    edges_ddf, seen_ddf = verified(pairs, shipped, levels, partitions, "join")
    held = sketches.map_partitions(_seen, ["rank"], "read", meta=seen_meta)
    candidate_count, edges_frame, seen_frame, held_frame = client.gather(
        client.compute([pairs.shape[0], edges_ddf, seen_ddf, held]))
    seen_all = [seen_frame, held_frame]

    def verify_hops(hop_pairs: np.ndarray) -> Edges:
        """Hop pairs are few (about 1% of the articles): their articles' sketches are filtered out where
        they are and joined in one partition on a worker, instead of shuffling every sketch again."""
        frame = pd.DataFrame({"i": hop_pairs[:, 0].astype(np.int64), "j": hop_pairs[:, 1].astype(np.int64)})
        subset = shipped.map_partitions(_rows_in, np.unique(hop_pairs), meta=shipped._meta).repartition(npartitions=1)
        hop_edges, hop_seen = verified(dd.from_pandas(frame, npartitions=1), subset, levels.floors(), 1,
                                       f"hops{len(seen_all)}")
        found, seen_hops = client.gather(client.compute([hop_edges, hop_seen]))
        seen_all.append(seen_hops)
        return _to_edges(found)

    groups = group(n, _to_edges(edges_frame), verify_hops, fixed)
    seen = pd.concat(seen_all)
    per_worker = seen[["worker", "rank"]].drop_duplicates().groupby("worker")["rank"].nunique()
    largest_task = int(seen.groupby("task")["rank"].nunique().max()) if len(seen) else 0
    del sketches, pairs  # releases the persisted partitions on the workers
    return Distributed(groups, int(candidate_count), len(edges_frame),
                       {str(w): int(c) for w, c in per_worker.items()}, largest_task)


def _settle(collection: Any) -> None:
    """Block until every partition of a persisted collection is computed, raising the first task error.

    Through each future's own client: ``distributed.wait`` asks for the process's default client,
    and a Prefect task runner's client is not one.
    """
    from distributed import futures_of

    for future in futures_of(collection):
        error = future.exception()
        if error is not None:
            raise error


def _to_edges(frame: Any) -> Edges:
    return Edges(frame["i"].to_numpy().astype(np.int64), frame["j"].to_numpy().astype(np.int64),
                 frame["jaccard"].to_numpy().astype(np.float64), frame["containment"].to_numpy().astype(np.float64))
