#!/usr/bin/env python3
"""Near-duplicate quality of a run on the labelled dedup benchmark, broken down by how each copy was made.

    python benchmarks/dedup_quality.py OUT DOCS.jsonl DOCS_META.jsonl

Prints pair precision/recall/F1 (as ``bench_score.py dedup`` counts them:
the ``main`` article of each record, by ``cluster_id``), recall of the gold
pairs that involve each kind of copy (teaser, edited, noisy...), and the
false-merge rates on the hard negatives: a follow-up with the story it
borrows a paragraph from, stories sharing a boilerplate block, natural
same-event pairs. ``docs_meta.jsonl`` is used here for error analysis only;
the pipeline sees the text alone.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.dataset as ds


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def predicted_clusters(out: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for table in ("articles", "duplicates"):
        rows = ds.dataset(out / table, format="parquet", partitioning="hive").to_table(
            columns=["record", "segment", "cluster_id"]).to_pylist()
        found.update({r["record"]: r["cluster_id"] for r in rows if r["segment"] == "main" and r["record"]})
    return found


def rate(hits: int, total: int) -> str:
    return f"{hits / total:.4f} ({hits}/{total})" if total else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("docs", type=Path)
    parser.add_argument("meta", type=Path)
    args = parser.parse_args(argv)
    gold = {str(d["id"]): str(d["cluster"]) for d in load_jsonl(args.docs)}
    meta = {str(m["id"]): m for m in load_jsonl(args.meta)}
    pred = predicted_clusters(args.out)
    pred = {i: pred.get(i, f"missing:{i}") for i in gold}

    members: dict[str, list[str]] = defaultdict(list)
    for doc, cluster in gold.items():
        members[cluster].append(doc)
    true_pairs = {tuple(sorted(p)) for m in members.values() for p in itertools.combinations(m, 2)}
    by_pred: dict[str, list[str]] = defaultdict(list)
    for doc, cluster in pred.items():
        by_pred[cluster].append(doc)
    pred_pairs = {tuple(sorted(p)) for m in by_pred.values() for p in itertools.combinations(m, 2)}
    tp = len(true_pairs & pred_pairs)
    precision, recall = tp / max(len(pred_pairs), 1), tp / max(len(true_pairs), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"documents {len(gold)}  gold pairs {len(true_pairs)}  predicted pairs {len(pred_pairs)}")
    print(f"pair precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")

    print("recall of gold pairs involving a copy of each kind:")
    kinds = sorted({m["kind"] for m in meta.values()})
    for kind in kinds:
        pairs = [p for p in true_pairs if kind in (meta[p[0]]["kind"], meta[p[1]]["kind"])]
        hits = sum(pred[a] == pred[b] for a, b in pairs)
        print(f"  {kind:<20} {rate(hits, len(pairs))}")

    def merged(pairs: set[tuple[str, str]]) -> int:
        return sum(pred[a] == pred[b] for a, b in pairs)

    followup = {tuple(sorted((d, o))) for d, m in meta.items() if m.get("shares_paragraph_with")
                for o in members[m["shares_paragraph_with"]]}
    groups: dict[str, list[str]] = defaultdict(list)
    for d, m in meta.items():
        if m.get("boilerplate_group"):
            groups[m["boilerplate_group"]].append(d)
    boiler = {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)
              if gold[p[0]] != gold[p[1]]}
    source_of = {m["source"]: m["cluster"] for m in meta.values()}
    natural = {tuple(sorted((d, o))) for d, m in meta.items() for s in m.get("source_overlaps") or []
               for o in members.get(source_of.get(s, ""), [])}
    roundup = {tuple(sorted((d, o))) for d, m in meta.items() for c in m.get("roundup_of") or []
               for o in members.get(c, [])}
    print("false merges of hard negatives:")
    print(f"  follow-up with the story it borrows from   {rate(merged(followup), len(followup))}")
    print(f"  stories sharing a boilerplate block         {rate(merged(boiler), len(boiler))}")
    print(f"  natural same-event pairs                    {rate(merged(natural), len(natural))}")
    print(f"  round-up with the stories it quotes         {rate(merged(roundup), len(roundup))}")
    teaser = [p for p in true_pairs if "teaser" in (meta[p[0]]["kind"], meta[p[1]]["kind"])]
    print(f"teaser recall {merged(set(teaser)) / max(len(teaser), 1):.4f}   "
          f"follow-up false merges {merged(followup) / max(len(followup), 1):.4f}   pair F1 {f1:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
