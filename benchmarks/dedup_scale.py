#!/usr/bin/env python3
"""Quality, cost and failure causes of the dedup step on a labelled corpus of ``make_dedup_corpus.py``.

    python benchmarks/make_dedup_corpus.py /tmp/c100k --docs 100000 \\
        --sources ../shared/bench/dedup ../shared/bench/extraction --meta /tmp/c100k-meta.jsonl
    python benchmarks/dedup_scale.py /tmp/c100k /tmp/c100k-meta.jsonl [--diagnose] [--cache DIR]

**The path measured** is the pipeline's (``cleaners/pipeline.py``
``dedup_stage`` -> ``cleaners/dedup/parts.py`` ``dedup_parts``), minus its
Parquet I/O: each shard's texts are signed by
:func:`cleaners.dedup.minhash.signatures` with the run's ``num_perm``,
``shingle_words`` and ``shingle_hash`` (what ``with_signatures`` does in
the shard tasks), every article is a ``main`` segment with
``n_words = len(text.split())`` (``Article.n_words``), rows are put in
:func:`~cleaners.dedup.deduplicate.priority_order` and
:func:`~cleaners.dedup.deduplicate.find_duplicates` runs on them with
``fixed=0`` (a first run: the index has no earlier articles), exactly the
call ``dedup_parts`` makes. Only that call and the ranking are timed as "the
dedup step" (signing belongs to the shard tasks). One difference from a
full ``flows.clean`` run: the texts are signed as generated, chrome lines
included, where the text stage would have removed most of them first; that
makes copies slightly *less* similar, so recall here is if anything a lower
bound. Signatures are cached (``--cache``), so a second run at other
settings skips signing.

**Figures** (as issue 19 states them): every gold cluster of m documents
has m-1 *removable copies*; a removed document (``kept != itself``) is a
*correct removal* when its kept article is in its own gold cluster.
Recall of removable copies = correct removals / removable copies (a
cluster split into two kept articles loses one); precision = correct
removals / removals. Teaser recall: share of teaser copies removed
correctly. Follow-up false merges: share of documents that borrow a
paragraph from story B (``borrows_from``) whose predicted cluster (their
kept article) is that of a document of B. Peak RSS is sampled every 10 ms
during the step (psutil), next to the resident size before it.

Stress settings of the generator (see its docstring): ``--rewrite 0.3
--lead-run 1`` (chance sharing that grows with the corpus) and ``--rewrite 0
--lead-run 1`` (verbatim pool paragraphs: reproduces issue 19's collapse at
100k).

``--diagnose`` re-runs the stages separately (the same functions
``find_duplicates`` calls) and, for each missed copy, says whether the
pair with its cluster's first article by priority was never an LSH
candidate, a candidate that failed verification, or verified/connected but
split off by the grouping (and why: the component's head was another story,
the kept-copy floors, or the 64-round cap); it prints the component sizes
and similarity quantiles of true and false candidate pairs.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import psutil

from cleaners.config import CleanConfig
from cleaners.dedup.deduplicate import find_duplicates, priority_order, thresholds
from cleaners.dedup.lsh import pairs_from_keys
from cleaners.dedup.minhash import signatures
from cleaners.dedup.seam import DedupMethod, Sketches, method_for
from cleaners.dedup.verify import passes, similarity

#: Keys of ``load``'s result that are not the method's sketch columns.
COLUMNS = ("words", "ids", "gold")


def load(corpus: Path, config: CleanConfig, cache: Path | None) -> dict[str, np.ndarray]:
    """The method's sketches (as the shard tasks make them), word counts, ids and gold clusters, shard by shard."""
    method = method_for(config)
    params = "-".join(f"{k}{v}" for k, v in sorted(method.params().items()) if k not in ("lsh_bands", "lsh_rows",
                                                                                   "lead_bands", "lead_rows"))
    fields = "-".join(f.name for f in method.fields())
    key = f"{corpus.resolve().as_posix().strip('/').replace('/', '_')}-{method.name}-{params}-{fields}.npz"
    if cache and (cache / key).exists():
        with np.load(cache / key, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    parts: dict[str, list[np.ndarray]] = {}
    ids: list[str] = []
    gold: list[str] = []
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            docs = [json.loads(line) for line in fh if line.strip()]
        texts = [d["text"] for d in docs]
        for name, column in method.arrays(method.sign(texts)).items():
            parts.setdefault(name, []).append(column)
        parts.setdefault("words", []).append(np.fromiter((len(t.split()) for t in texts), dtype=np.int64,
                                                         count=len(texts)))
        ids.extend(d["id"] for d in docs)
        gold.extend(d["cluster"] for d in docs)
    data = {name: np.concatenate(columns) for name, columns in parts.items()}
    data |= {"ids": np.asarray(ids), "gold": np.asarray(gold)}
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(cache / key, **data)  # type: ignore[arg-type]
    return data


def sketches_of(data: dict[str, np.ndarray]) -> Sketches:
    return {k: v for k, v in data.items() if k not in COLUMNS}


class PeakRSS:
    """Highest resident set size seen while the block runs (sampled: numpy's allocations are not Python's)."""

    def __init__(self, every: float = 0.01) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self.proc = psutil.Process()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:  # noqa: PYI034
        self.before = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def dedup_step(data: dict[str, np.ndarray], config: CleanConfig) -> tuple[Any, np.ndarray, float, PeakRSS]:
    """``dedup_parts``' computation: rank, sketches into ranked rows, ``find_duplicates``."""
    n = len(data["ids"])
    with PeakRSS() as rss:
        start = time.perf_counter()
        order = priority_order(["main"] * n, data["words"], data["ids"].tolist())
        ranked = {}
        for name, column in sketches_of(data).items():  # dedup_parts fills its ranked rows the same way
            ranked[name] = np.empty_like(column)
            np.take(column, order, axis=0, out=ranked[name])
        found = find_duplicates(ranked, data["words"][order], order, config)
        secs = time.perf_counter() - start
        del ranked
    return found, order, secs, rss


def read_meta(path: Path, ids: np.ndarray) -> list[dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            m = json.loads(line)
            by_id[m["id"]] = m
    return [by_id[str(i)] for i in ids]


def scores(kept: np.ndarray, gold: np.ndarray, meta: list[dict[str, Any]], rank: np.ndarray) -> dict[str, Any]:
    """The issue's figures from ``kept`` (original order) and gold cluster numbers."""
    n = len(kept)
    removed = kept != np.arange(n)
    correct = removed & (gold[kept] == gold)
    clusters = len(np.unique(gold))
    removable = n - clusters
    kind = np.asarray([m["kind"] for m in meta])
    # first member by priority of each gold cluster: the article a perfect run keeps
    first = np.full(gold.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, gold, rank)
    is_first = rank == first[gold]
    by_kind = {}
    for k in sorted(set(kind.tolist())):
        sel = (kind == k) & ~is_first
        if sel.any():
            by_kind[k] = f"{correct[sel].mean():.4f} ({int(correct[sel].sum())}/{int(sel.sum())})"
    groups_of: dict[int, set[int]] = {}
    for g, k in zip(gold.tolist(), kept.tolist()):
        groups_of.setdefault(g, set()).add(k)
    name_to_gold = {m["cluster"]: int(g) for m, g in zip(meta, gold)}
    borrowing = [(i, name_to_gold[m["borrows_from"]]) for i, m in enumerate(meta)
                 if m.get("borrows_from") in name_to_gold]
    merged = sum(int(kept[i]) in groups_of.get(b, set()) for i, b in borrowing)
    wrong = np.flatnonzero(removed & ~correct)
    why: Counter[str] = Counter()
    for i in wrong.tolist():
        a, b = meta[i], meta[int(kept[i])]
        if a.get("borrows_from") == b["cluster"] or b.get("borrows_from") == a["cluster"]:
            why["follow-up and the story it quotes"] += 1
        elif a.get("boilerplate") is not None and a.get("boilerplate") == b.get("boilerplate"):
            why["same boilerplate block"] += 1
        elif a.get("wire_paragraph") is not None and a.get("wire_paragraph") == b.get("wire_paragraph"):
            why["same wire paragraph"] += 1
        else:
            why["no planted overlap"] += 1
    sizes = np.bincount(kept, minlength=n)
    gold_sizes = np.bincount(gold)
    teaser = (kind == "teaser") & ~is_first
    return {
        "documents": n, "gold_clusters": clusters, "removable_copies": removable,
        "removed": int(removed.sum()), "correct_removals": int(correct.sum()),
        "recall_removable": round(float(correct.sum() / max(removable, 1)), 4),
        "precision": round(float(correct.sum() / max(int(removed.sum()), 1)), 4),
        "teaser_recall": round(float(correct[teaser].mean()) if teaser.any() else float("nan"), 4),
        "followup_false_merges": f"{merged / max(len(borrowing), 1):.4f} ({merged}/{len(borrowing)})",
        "recall_by_kind_of_non_first_member": by_kind,
        "wrong_removals_by_planted_overlap": dict(why),
        "largest_predicted_cluster": int(sizes.max()), "largest_gold_cluster": int(gold_sizes.max()),
    }


def diagnose(data: dict[str, np.ndarray], gold: np.ndarray, meta: list[dict[str, Any]], order: np.ndarray,
             kept: np.ndarray, config: CleanConfig) -> dict[str, Any]:
    """Where each missed copy was lost: candidates, verification, or grouping (in ranked row numbers).

    A copy is judged against its story's first article by priority (the one
    a perfect run keeps): never a candidate of it, a candidate that failed
    verification, or verified but assigned elsewhere by the grouping.
    """
    n = len(order)
    method: DedupMethod = method_for(config)
    ranked = {k: v[order] for k, v in sketches_of(data).items()}
    sigs, sizes, words = ranked["minhash"], ranked["shingles"], data["words"][order]
    g = gold[order]
    rkept = np.empty(n, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    rkept[rank] = rank[kept]
    t0 = time.perf_counter()
    keys = method.candidate_keys(ranked)
    pairs = pairs_from_keys(keys)
    t_cand = time.perf_counter() - t0
    codes = pairs[:, 0] * n + pairs[:, 1]  # sorted: pairs_from_keys returns np.unique codes
    edges = method.verify(ranked, words, pairs, thresholds(config))
    same_gold_edges = g[edges.i] == g[edges.j]
    same_gold = g[pairs[:, 0]] == g[pairs[:, 1]]

    first = np.full(g.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, g, np.arange(n))
    head_of = first[g]
    correct = (rkept != np.arange(n)) & (g[rkept] == g)
    missed = np.flatnonzero((np.arange(n) != head_of) & ~correct)
    h = head_of[missed]
    mcodes = h * n + missed
    pos = np.clip(np.searchsorted(codes, mcodes), 0, max(len(codes) - 1, 0))
    is_cand = (codes[pos] == mcodes) if len(codes) else np.zeros(len(missed), bool)
    jac_h, cont_h = similarity(sigs, sizes, h, missed)
    verifiable = passes(jac_h, cont_h, words[h], words[missed], config.jaccard_threshold,
                        config.containment_threshold, config.min_containment_words)
    near_floor = passes(jac_h, cont_h, words[h], words[missed], config.kept_jaccard_floor,
                        config.kept_containment_floor, config.min_containment_words)
    cause: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    for k, r in enumerate(missed.tolist()):
        if is_cand[k] and verifiable[k]:
            c = "verified with its story's first article, assigned elsewhere"
        elif is_cand[k]:
            c = ("candidate, failed verification, meets the floors (no hop found)" if near_floor[k]
                 else "candidate, below the thresholds and the floors")
        else:
            c = ("not a candidate, though its pair passes verification" if verifiable[k]
                 else "not a candidate (pair below both thresholds)")
        c += " [removed into another story]" if rkept[r] != r and g[rkept[r]] != g[r] else " [kept]"
        cause[c] += 1
        if len(examples.setdefault(c, [])) < 3:
            examples[c].append({"doc": meta[order[r]]["id"], "kind": meta[order[r]]["kind"],
                                "head": meta[order[h[k]]]["id"], "jaccard": round(float(jac_h[k]), 3),
                                "containment": round(float(cont_h[k]), 3)})
    q = (0.01, 0.05, 0.5, 0.95, 0.99)
    kinds = np.asarray([meta[o]["kind"] for o in order])
    all_members = np.flatnonzero(np.arange(n) != head_of)
    hj, hc = similarity(sigs, sizes, head_of[all_members], all_members)
    mc = head_of[all_members] * n + all_members
    mpos = np.clip(np.searchsorted(codes, mc), 0, max(len(codes) - 1, 0))
    member_cand = (codes[mpos] == mc) if len(codes) else np.zeros(len(all_members), bool)
    per_kind = {}
    for kname in ("wire", "edited", "teaser"):
        sel = kinds[all_members] == kname
        if sel.any():
            per_kind[kname] = {"candidate_of_first_member": round(float(member_cand[sel].mean()), 4),
                               "jaccard_q": np.quantile(hj[sel], q).round(3).tolist(),
                               "containment_q": np.quantile(hc[sel], q).round(3).tolist()}
    return {
        "candidate_seconds": round(t_cand, 1),
        "candidate_pairs": len(pairs), "candidate_pairs_same_story": int(same_gold.sum()),
        "verified_pairs": len(edges), "verified_pairs_across_stories": int((~same_gold_edges).sum()),
        "missed_copies": len(missed), "missed_by_cause": dict(cause.most_common()),
        "examples": examples,
        "copy_to_first_member_quantiles_1_5_50_95_99": per_kind,
    }


def on_dask(data: dict[str, np.ndarray], order: np.ndarray, local: Any, config: CleanConfig,
            workers: int) -> dict[str, Any]:
    """The same step on a LocalCluster (``cleaners.dedup.distributed``): time, identity with the local groups,
    the sketches each worker held, and the resident sizes of the client and the workers."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    from cleaners.dedup.deduplicate import thresholds, unrank
    from cleaners.dedup.distributed import Source, find_duplicates_on_dask
    from cleaners.dedup.seam import rows_binary

    method = method_for(config)
    n = len(order)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    sketches = sketches_of(data)
    with tempfile.TemporaryDirectory(prefix="dedup-parts-") as folder:
        sources = []
        for k, rows in enumerate(np.array_split(np.arange(n), max(2 * workers, n // 10_000))):
            columns = {field.name: (rows_binary(sketches[field.name][rows]) if sketches[field.name].ndim > 1
                                    else pa.array(sketches[field.name][rows], field.type))
                       for field in method.fields()}
            path = Path(folder) / f"part-{k:05d}.parquet"
            pq.write_table(pa.table(columns), path)
            sources.append(Source(str(path), rank[rows], data["words"][rows]))
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1") as cluster, Client(cluster) as client, PeakRSS() as rss:
            start = time.perf_counter()
            found = find_duplicates_on_dask(client, sources, n, 0, method, thresholds(config))
            secs = time.perf_counter() - start
            worker_rss = client.run(lambda: __import__("psutil").Process().memory_info().rss)
    same = unrank(found.groups, order, 0, found.candidate_pairs, found.verified_pairs)
    return {"workers": workers, "partitions": len(sources), "seconds": round(secs, 2),
            "same_groups_as_local": bool(np.array_equal(same.kept, local.kept)
                                         and np.array_equal(same.similarity, local.similarity)),
            "candidate_pairs": found.candidate_pairs, "verified_pairs": found.verified_pairs,
            "sketches_per_worker": found.sketches_per_worker,
            "sketches_largest_task": found.sketches_largest_task,
            "client_peak_rss_mb": round(rss.peak / 2**20),
            "worker_rss_after_mb": {w: round(v / 2**20) for w, v in worker_rss.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of JSONL shards from make_dedup_corpus.py")
    parser.add_argument("meta", type=Path, help="its --meta file")
    parser.add_argument("--cache", type=Path, help="folder for cached signatures")
    parser.add_argument("--diagnose", action="store_true", help="attribute every missed copy to a stage")
    parser.add_argument("--set", nargs="*", default=[], metavar="KNOB=VALUE",
                        help="CleanConfig overrides, e.g. lsh_threshold=0.3")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--dask", type=int, default=0, metavar="WORKERS",
                        help="also run the distributed dedup on a LocalCluster of this many worker processes "
                        "(the sketches written as Parquet parts first, as the shard tasks write them) and "
                        "compare its groups with the local step's")
    args = parser.parse_args(argv)
    overrides = dict(kv.split("=", 1) for kv in args.set)
    config = CleanConfig(**overrides)  # pydantic converts the strings
    t0 = time.perf_counter()
    data = load(args.corpus, config, args.cache)
    t_sign = time.perf_counter() - t0
    signatures(["warm up the compiled kernels"], config.num_perm)
    found, order, secs, rss = dedup_step(data, config)
    _, gold = np.unique(data["gold"], return_inverse=True)
    meta = read_meta(args.meta, data["ids"])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    out: dict[str, Any] = {"corpus": str(args.corpus), "overrides": overrides, "load_and_sign_seconds": round(t_sign, 1)}
    out.update(scores(found.kept, gold, meta, rank))
    n = len(order)
    out.update({
        "candidate_pairs": found.stats.candidate_pairs,
        "candidate_pairs_per_doc": round(found.stats.candidate_pairs / n, 2),
        "verified_pairs": found.stats.verified_pairs,
        "joined_through_a_copy": found.stats.joined_through_a_copy,
        "method": method_for(config).params(),
        "dedup_step_seconds": round(secs, 2),
        "rss_before_mb": round(rss.before / 2**20), "peak_rss_during_step_mb": round(rss.peak / 2**20),
        "ru_maxrss_mb": round(__import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024),
    })
    if args.diagnose:
        out["diagnosis"] = diagnose(data, gold, meta, order, found.kept, config)
    if args.dask:
        out["dask"] = on_dask(data, order, found, config, args.dask)
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
