"""MinHash over the whole text and over its lead, LSH banding of both, verification on the whole text.

Two bandings, each chosen for what it must find (128 permutations; the
probability that a pair of that Jaccard becomes a candidate):

| banding | J 0.05 | 0.1 | 0.2 | 0.3 | 0.5 | 0.8 |
| --- | --- | --- | --- | --- | --- | --- |
| whole text, 51 x 2 (before) | 0.120 | 0.401 | 0.875 | 0.992 | 1.000 | 1.000 |
| whole text, 42 x 3 (``lsh_threshold`` 0.25) | 0.005 | 0.041 | 0.286 | 0.683 | 0.996 | 1.000 |
| lead, 16 x 8 | 0.000 | 0.000 | 0.000 | 0.001 | 0.061 | 0.947 |

An edited or wire copy (verified at Jaccard 0.5) is found by the first. A
teaser (the first 30-60% of a story) has Jaccard 0.2-0.45 with the whole
story: 51 x 2 was chosen to catch it, and made a candidate of 40% of all
pairs at Jaccard 0.1, which is what two news stories sharing one wire
paragraph have; candidates then grew 38-94x for 10x documents. A teaser is
the story's lead, and its lead equals the story's lead (Jaccard 0.9-1.0),
while unrelated leads share nothing: the lead banding finds teasers at
almost no cost. Measured on ``benchmarks/make_dedup_corpus.py`` news
(README, "How duplicates are found").

Verification is on the whole-text signature (:mod:`.verify`); the lead only
proposes. Both signatures are datasketch's ``MinHash`` bit for bit
(:mod:`.minhash`): the lead's is ``MinHash`` over the shingles of
:func:`lead_text`.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..config import CleanConfig
from .lsh import band_key, lsh_params
from .minhash import SEED, signatures
from .seam import Sketches, rows_binary
from .verify import Edges, Thresholds, verify_pairs

SIGNATURE, SHINGLES, LEAD = "minhash", "shingles", "lead_minhash"
#: A lead line has this many words at least: headings, datelines, bylines and captions are not the lead.
LEAD_LINE_WORDS = 8
#: Salt of the lead bands' keys (:func:`~cleaners.dedup.lsh.band_keys`), past any whole-text banding.
LEAD_SALT = 1 << 20


def lead_text(text: str, words: int) -> str:
    """The first ``words`` words of the text's lines of :data:`LEAD_LINE_WORDS` words or more.

    Only a prefix of the text is looked at (a long page costs no more than
    a short one). A text without such a line leads with its first words.
    """
    prefix = text[: words * 16 + 2000]
    cut = len(prefix) < len(text)
    lines = prefix.split("\n")
    if cut and len(lines) > 1:
        lines.pop()  # may end inside a word
    out: list[str] = []
    for line in lines:
        tokens = line.split()
        if len(tokens) >= LEAD_LINE_WORDS:
            out.extend(tokens)
            if len(out) >= words:
                break
    if not out:
        out = prefix.split()
    return " ".join(out[:words])


def sig_matrix(column: pa.Array | pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """uint32[n, num_perm] of a (fixed-size) binary column of little-endian signatures."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.binary(num_perm * 4))
    if column.null_count:  # nulls would read as zero signatures, all in the same buckets
        raise ValueError(f"{column.null_count} of {len(column)} stored signatures are missing (an index written "
                         "without lead signatures?); run with --full-rebuild")
    fixed = column.cast(pa.binary(num_perm * 4))
    return np.frombuffer(fixed.buffers()[1], dtype="<u4", count=len(fixed) * num_perm,
                         offset=fixed.offset * num_perm * 4).reshape(len(fixed), num_perm).astype(np.uint32, copy=False)


class MinHashLSHMethod:
    name = "minhash"

    def __init__(self, config: CleanConfig) -> None:
        self.config = config
        self.num_perm = config.num_perm
        self.bands, self.rows = lsh_params(config.lsh_threshold, config.num_perm)

    def fields(self) -> list[pa.Field]:
        width = pa.binary(self.num_perm * 4)
        found = [pa.field(SIGNATURE, width, nullable=False), pa.field(SHINGLES, pa.int32(), nullable=False)]
        return found + ([pa.field(LEAD, width, nullable=False)] if self.config.lead_words else [])

    def verify_fields(self) -> list[str]:
        return [SIGNATURE, SHINGLES]

    def params(self) -> dict[str, Any]:
        c = self.config
        return {"num_perm": c.num_perm, "shingle_words": c.shingle_words, "shingle_hash": c.shingle_hash,
                "seed": SEED, "lsh_bands": self.bands, "lsh_rows": self.rows, "lead_words": c.lead_words,
                "lead_bands": c.lead_banding[0] if c.lead_words else 0, "lead_rows": c.lead_rows if c.lead_words else 0}

    def _sign(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return signatures(texts, self.num_perm, self.config.shingle_words, hash_name=self.config.shingle_hash)

    def sign(self, texts: Sequence[str]) -> dict[str, pa.Array]:
        sigs, sizes = self._sign(texts)
        out = {SIGNATURE: rows_binary(sigs), SHINGLES: pa.array(sizes, pa.int32())}
        if self.config.lead_words:
            leads, _ = self._sign([lead_text(t, self.config.lead_words) for t in texts])
            out[LEAD] = rows_binary(leads)
        return out

    def arrays(self, columns: dict[str, pa.Array | pa.ChunkedArray]) -> Sketches:
        out = {SIGNATURE: sig_matrix(columns[SIGNATURE], self.num_perm),
               SHINGLES: np.asarray(columns[SHINGLES].to_numpy(), dtype=np.int32)}
        if self.config.lead_words:
            out[LEAD] = sig_matrix(columns[LEAD], self.num_perm)
        return out

    def candidate_keys(self, sketches: Sketches) -> Iterator[np.ndarray]:
        for band in range(self.bands):
            yield band_key(sketches[SIGNATURE], band, self.rows)
        if self.config.lead_words:
            bands, rows = self.config.lead_banding
            for band in range(bands):
                yield band_key(sketches[LEAD], band, rows, salt=LEAD_SALT)

    def verify(self, sketches: Sketches, words: np.ndarray, pairs: np.ndarray, levels: Thresholds) -> Edges:
        return verify_pairs(sketches[SIGNATURE], sketches[SHINGLES], words, pairs, levels)
