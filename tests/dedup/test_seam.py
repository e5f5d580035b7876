"""A second method behind the seam: exact copies by a hash of the normalised text, written as the few lines a
new module would hold, is grouped, ranked and reported by the same code as MinHash."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from cleaners.config import CleanConfig
from cleaners.dedup.deduplicate import find_duplicates
from cleaners.dedup.seam import DedupMethod, Sketches, empty_sketches, method_for
from cleaners.dedup.verify import Edges, Thresholds


class ExactText:
    name = "exact"

    def fields(self) -> list[pa.Field]:
        return [pa.field("text_hash", pa.uint64(), nullable=False)]

    def verify_fields(self) -> list[str]:
        return ["text_hash"]

    def params(self) -> dict[str, Any]:
        return {"method": self.name}

    def sign(self, texts: Sequence[str]) -> dict[str, pa.Array]:
        digests = [hashlib.blake2b(" ".join(t.lower().split()).encode(), digest_size=8).digest() for t in texts]
        return {"text_hash": pa.array([int.from_bytes(d, "little") for d in digests], pa.uint64())}

    def arrays(self, columns: dict[str, Any]) -> Sketches:
        return {"text_hash": np.asarray(columns["text_hash"].to_numpy(), dtype=np.uint64)}

    def candidate_keys(self, sketches: Sketches) -> list[np.ndarray]:
        return [sketches["text_hash"]]

    def verify(self, sketches: Sketches, words: np.ndarray, pairs: np.ndarray, levels: Thresholds) -> Edges:
        same = sketches["text_hash"][pairs[:, 0]] == sketches["text_hash"][pairs[:, 1]]
        ok = pairs[same]
        return Edges(ok[:, 0], ok[:, 1], np.ones(len(ok)), np.ones(len(ok)))


def test_a_second_method_needs_only_the_interface() -> None:
    method: DedupMethod = ExactText()
    texts = ["The ferry runs all winter.", "the  FERRY runs all winter.", "A different story.",
             "The ferry runs all winter."]
    sketches = method.arrays(method.sign(texts))
    words = np.array([len(t.split()) for t in texts], dtype=np.int64)
    found = find_duplicates(sketches, words, np.arange(4), CleanConfig(), method=method)
    assert found.kept.tolist() == [0, 0, 2, 0]
    assert found.stats.duplicates == 2 and found.stats.candidate_pairs == 3
    assert set(empty_sketches(method)) == {"text_hash"}


def test_the_shipped_method_declares_its_stored_columns_and_parameters() -> None:
    method = method_for(CleanConfig())
    assert [f.name for f in method.fields()] == ["minhash", "shingles", "lead_minhash"]
    assert method.params()["lsh_bands"] == 42 and method.params()["lead_bands"] == 16
    assert [f.name for f in method_for(CleanConfig(lead_words=0)).fields()] == ["minhash", "shingles"]
