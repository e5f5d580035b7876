#!/usr/bin/env python3
"""Docs/s and peak memory of the dedup stages, next to datasketch on the same documents in the same process.

    python benchmarks/dedup_speed.py ../shared/bench/dedup/docs.jsonl [--cluster-docs 1000000]

1. Signatures: :func:`cleaners.dedup.minhash.signatures` over the documents'
   texts, against ``datasketch.MinHash(num_perm=128)`` + ``update_batch`` per
   document (its default sha1 hash, and with our xxh32 ``hashfunc``), given the
   same shingles (shingling is not counted for datasketch; it is for ours).
2. Clustering (signatures given): banding, verification and clusters on
   ``--cluster-docs`` signatures (the real ones, then synthetic ones: 70%
   distinct documents, 30% near copies of them with 5-40% of positions
   changed), against ``datasketch.MinHashLSH`` insert + query on the first
   ``--lsh-docs`` of them (projected per document).

Peak memory is tracemalloc's peak of each stage (numpy arrays included), from a second
run (tracemalloc slows Python allocations, so timing runs without it). Run
under ``taskset -c 0`` for one core. Timing is printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.dedup.cluster import cluster  # noqa: E402
from cleaners.dedup.deduplicate import thresholds  # noqa: E402
from cleaners.dedup.lsh import candidate_pairs  # noqa: E402
from cleaners.dedup.minhash import shingle_hash, signatures  # noqa: E402
from cleaners.dedup.shingles import word_shingles  # noqa: E402


def measured(fn):  # noqa: ANN001, ANN201
    """(result, seconds, peak MB): timed without tracemalloc (it slows Python allocations several
    times), then run again under tracemalloc for the peak."""
    start = time.perf_counter()
    result = fn()
    secs = time.perf_counter() - start
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return result, secs, peak


def synthetic(real: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    distinct = int(n * 0.7)
    sigs = rng.integers(0, 2**32, size=(n, real.shape[1]), dtype=np.uint32)
    sigs[: len(real)] = real
    base = rng.integers(0, distinct, size=n - distinct)
    copies = sigs[base].copy()
    change = rng.random(copies.shape) < rng.uniform(0.05, 0.4, size=(len(copies), 1))
    copies[change] = rng.integers(0, 2**32, size=int(change.sum()), dtype=np.uint32)
    sigs[distinct:] = copies
    sizes = rng.integers(50, 800, size=n).astype(np.int32)
    return sigs, sizes, sizes.astype(np.int64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("docs", type=Path, help="JSONL with a text field (the dedup benchmark's docs.jsonl)")
    parser.add_argument("--cluster-docs", type=int, default=1_000_000)
    parser.add_argument("--lsh-docs", type=int, default=50_000)
    args = parser.parse_args()
    config = CleanConfig()
    with args.docs.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    n = len(texts)
    signatures(texts[:10])  # compile (or load the numba cache) outside the timing

    print(f"signatures, {n} documents")
    (sigs, sizes), ours, ours_mem = min((measured(lambda: signatures(texts)) for _ in range(3)), key=lambda r: r[1])
    shingles = [list(word_shingles(t, config.shingle_words)) for t in texts]
    print(f"  ours (from text)                     {n / ours:9.0f} docs/s  peak {ours_mem:7.1f} MB")
    for name, fn in (("sha1, datasketch default", None), ("xxh32 hashfunc", shingle_hash("xxh32"))):
        def run() -> None:
            for s in shingles:
                m = MinHash(num_perm=config.num_perm, hashfunc=fn) if fn else MinHash(num_perm=config.num_perm)
                m.update_batch(s)
        _, secs, mem = measured(run)
        print(f"  datasketch update_batch ({name:<24}) {n / secs:9.0f} docs/s  peak {mem:7.1f} MB   "
              f"ours {secs / ours:5.1f}x faster")

    total = args.cluster_docs
    big, big_sizes, big_words = synthetic(sigs, total)
    t = thresholds(config)

    def clustering():  # noqa: ANN202
        pairs = candidate_pairs(big, config.lsh_threshold)
        return pairs, cluster(big, big_sizes, big_words, pairs, t)

    (pairs, found), secs, mem = measured(clustering)
    dups = int((found.kept != np.arange(total)).sum())
    print(f"clustering, {total} signatures ({int(total * 0.3)} synthetic near copies)")
    print(f"  ours: {secs:6.1f} s  {total / secs:9.0f} docs/s  peak {mem:7.1f} MB  "
          f"candidates {len(pairs)}  verified {found.verified_pairs}  duplicates {dups}")

    m = min(args.lsh_docs, total)

    def datasketch_lsh() -> None:
        lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
        hashes = [MinHash(num_perm=config.num_perm, hashvalues=s, scheme="affine32") for s in big[:m]]
        for i, h in enumerate(hashes):
            lsh.insert(i, h, check_duplication=False)
        for h in hashes:
            lsh.query(h)

    _, lsh_secs, lsh_mem = measured(datasketch_lsh)
    print(f"  datasketch MinHashLSH insert+query, first {m}: {lsh_secs:6.1f} s  {m / lsh_secs:9.0f} docs/s  "
          f"peak {lsh_mem:7.1f} MB  (candidates only, no verification; ours {total / secs / (m / lsh_secs):.1f}x "
          "the docs/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
