"""The seam between the pipeline and a near-duplicate method: sign, propose, verify.

The shard tasks, the scratch files, the dedup step, the persistent index and
the report see a method only through this interface, so a second method
(exact substrings, embeddings) is one new module that implements it, not
edits across all of them. The grouping (:mod:`.group`) is shared by every
method: it needs verified pairs and a way to verify more.

- :meth:`DedupMethod.sign` runs in the shard tasks while the texts are in
  memory; its columns (:meth:`~DedupMethod.fields`) are fixed-size, go to
  the scratch files and, for kept articles, to the index.
- :meth:`~DedupMethod.candidate_keys` gives each article a few 64-bit keys,
  a column at a time; two articles sharing a key (in the same column) are a
  candidate pair. Keys
  are all a distributed run needs to shuffle, and all an index needs to look up.
- :meth:`~DedupMethod.verify` measures candidate pairs on the sketches.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from ..config import CleanConfig
from .verify import Edges, Thresholds

#: A method's per-article columns as arrays, row-aligned (row r of every array is one article).
Sketches = dict[str, np.ndarray]


class DedupMethod(Protocol):
    name: str

    def fields(self) -> list[pa.Field]:
        """The columns :meth:`sign` makes, fixed width, as stored in the scratch files and the index."""
        ...

    def verify_fields(self) -> list[str]:
        """The columns :meth:`verify` reads (a distributed run ships only these with each pair)."""
        ...

    def params(self) -> dict[str, Any]:
        """What must match for sketches of two runs to be comparable (kept in the output's manifest)."""
        ...

    def sign(self, texts: Sequence[str]) -> dict[str, pa.Array]:
        """The sketch columns of these texts (in the shard tasks)."""
        ...

    def arrays(self, columns: dict[str, pa.Array | pa.ChunkedArray]) -> Sketches:
        """Stored columns back to arrays (the dedup step reads them part by part)."""
        ...

    def candidate_keys(self, sketches: Sketches) -> Iterable[np.ndarray]:
        """Columns of uint64[n] keys, one at a time (the caller holds one): rows equal in a column are
        candidates."""
        ...

    def verify(self, sketches: Sketches, words: np.ndarray, pairs: np.ndarray, levels: Thresholds) -> Edges:
        """The pairs (int64[m, 2], rows of ``sketches``) that are copies at ``levels``, with their similarity."""
        ...


def method_for(config: CleanConfig) -> DedupMethod:
    """The run's method (one today: MinHash with LSH over the whole text and the lead)."""
    from .minhash_lsh import MinHashLSHMethod

    return MinHashLSHMethod(config)


def rows_binary(array: np.ndarray) -> pa.FixedSizeBinaryArray:
    """Each row of an array (any dtype and row shape) as one fixed-size binary value, without a copy per row:
    how fixed-width sketches are stored in Parquet and shipped between processes."""
    width = int(np.prod(array.shape[1:], dtype=np.int64)) * array.itemsize
    rows = np.ascontiguousarray(array)
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(rows), [None, pa.py_buffer(rows.tobytes())])


def empty_sketches(method: DedupMethod) -> Sketches:
    return method.arrays({f.name: pa.array([], f.type) for f in method.fields()})
