#!/usr/bin/env python3
"""Docs/s and peak memory of the dedup stages, next to datasketch on the same documents in the same process.

    python benchmarks/dedup_speed.py ../shared/bench/dedup/docs.jsonl [--cluster-docs 1000000] [--repeat 4]

1. Signatures: :func:`cleaners.dedup.minhash.signatures` over the documents'
   texts (``--repeat`` copies of them, so that blocks share out over threads
   evenly), on one thread and on every core this process may use, against
   ``datasketch.MinHash(num_perm=128)`` + ``update_batch`` per document (one
   thread; its default sha1 hash, and with our xxh32 ``hashfunc``), given the
   same shingles (shingling not counted for datasketch; it is for ours), and
   once more with the shingling (our reference ``word_shingles``) counted.
2. Clustering (signatures given): banding, verification and clusters on
   ``--cluster-docs`` signatures (the real ones, then synthetic ones: 70%
   distinct documents, 30% near copies of them with 5-40% of positions
   changed), against ``datasketch.MinHashLSH`` insert + query on the first
   ``--lsh-docs`` of them (projected per document).

Peak memory is tracemalloc's peak of each stage (numpy arrays included), from a second
run (tracemalloc slows Python allocations, so timing runs without it).
Clustering runs on one thread. Timing is printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.dedup.deduplicate import find_duplicates  # noqa: E402
from cleaners.dedup.minhash_lsh import LEAD, SHINGLES, SIGNATURE, MinHashLSHMethod  # noqa: E402
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


def synthetic(real: np.ndarray, n: int, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Sketches of n articles, 30% near copies (5-40% of signature values changed; their leads 0-10%)."""
    rng = np.random.default_rng(seed)
    distinct = int(n * 0.7)
    sigs = rng.integers(0, 2**32, size=(n, real.shape[1]), dtype=np.uint32)
    sigs[: len(real)] = real
    leads = rng.integers(0, 2**32, size=(n, real.shape[1]), dtype=np.uint32)
    base = rng.integers(0, distinct, size=n - distinct)
    for matrix, low, high in ((sigs, 0.05, 0.4), (leads, 0.0, 0.1)):
        copies = matrix[base].copy()
        change = rng.random(copies.shape) < rng.uniform(low, high, size=(len(copies), 1))
        copies[change] = rng.integers(0, 2**32, size=int(change.sum()), dtype=np.uint32)
        matrix[distinct:] = copies
    sizes = rng.integers(50, 800, size=n).astype(np.int32)
    return {SIGNATURE: sigs, SHINGLES: sizes, LEAD: leads}, sizes.astype(np.int64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("docs", type=Path, help="JSONL with a text field (the dedup benchmark's docs.jsonl)")
    parser.add_argument("--cluster-docs", type=int, default=1_000_000)
    parser.add_argument("--lsh-docs", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=4, help="copies of the documents signed")
    args = parser.parse_args()
    config = CleanConfig()
    with args.docs.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    signatures(texts[:10])  # compile (or load the numba cache) outside the timing
    many = texts * args.repeat
    n = len(many)
    cores = len(os.sched_getaffinity(0))

    print(f"signatures, {n} documents ({len(texts)} x {args.repeat})")
    ours: dict[int, float] = {}
    for threads in sorted({1, cores}):
        (sigs, sizes), ours[threads], mem = min((measured(lambda: signatures(many, threads=threads))
                                                 for _ in range(3)), key=lambda r: r[1])
        print(f"  ours from text, {threads} thread{'s' if threads > 1 else ' '}            "
              f"{n / ours[threads]:9.0f} docs/s  peak {mem:7.1f} MB")
    sigs, sizes = sigs[: len(texts)], sizes[: len(texts)]
    shingles = [list(word_shingles(t, config.shingle_words)) for t in texts]
    baselines = (("sha1, datasketch default", None, False), ("xxh32 hashfunc", shingle_hash("xxh32"), False),
                 ("sha1, shingling included", None, True))
    for name, fn, from_text in baselines:
        def run() -> None:
            for text, s in zip(texts, shingles):
                if from_text:  # what a datasketch user also has to do: normalise and shingle the text
                    s = list(word_shingles(text, config.shingle_words))
                m = MinHash(num_perm=config.num_perm, hashfunc=fn) if fn else MinHash(num_perm=config.num_perm)
                m.update_batch(s)
        _, secs, mem = measured(run)
        per_doc = secs / len(texts)
        ratios = "  ".join(f"{t} thr {per_doc / (ours[t] / n):5.1f}x" for t in sorted(ours))
        print(f"  datasketch update_batch ({name:<24}) {len(texts) / secs:9.0f} docs/s  peak {mem:7.1f} MB   "
              f"ours faster: {ratios}")

    total = args.cluster_docs
    sketches, big_words = synthetic(sigs, total)
    big = sketches[SIGNATURE]

    def clustering():  # noqa: ANN202
        return find_duplicates(sketches, big_words, np.arange(total), config)

    found, secs, mem = measured(clustering)
    print(f"clustering, {total} articles ({int(total * 0.3)} synthetic near copies; whole-text and lead signatures)")
    print(f"  ours: {secs:6.1f} s  {total / secs:9.0f} docs/s  peak {mem:7.1f} MB  "
          f"candidates {found.stats.candidate_pairs}  verified {found.stats.verified_pairs}  "
          f"duplicates {found.stats.duplicates}")
    method = MinHashLSHMethod(config)

    m = min(args.lsh_docs, total)

    def datasketch_lsh() -> None:
        lsh = MinHashLSH(num_perm=config.num_perm, params=(method.bands, method.rows))
        hashes = [MinHash(num_perm=config.num_perm, hashvalues=s, scheme="affine32") for s in big[:m]]
        for i, h in enumerate(hashes):
            lsh.insert(i, h, check_duplication=False)
        for h in hashes:
            lsh.query(h)

    _, lsh_secs, lsh_mem = measured(datasketch_lsh)
    print(f"  datasketch MinHashLSH insert+query, first {m}: {lsh_secs:6.1f} s  {m / lsh_secs:9.0f} docs/s  "
          f"peak {lsh_mem:7.1f} MB  (whole-text banding only, candidates only, no verification; ours {total / secs / (m / lsh_secs):.1f}x "
          "the docs/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
