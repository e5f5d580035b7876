"""The persistent dedup index: what every earlier run kept, so a new run dedups against all of it.

Each run writes the signature of every article it keeps to its ``_index``
partition (article id, segment, word count, MinHash, distinct-shingle count),
committed in the same snapshot as the rows (:mod:`cleaners.io.writer`). Two
ways to ask it which earlier articles a new batch may duplicate:

- **embedded** (default): files next to the dataset, no server. All earlier
  signatures are read (~600 bytes an article) and banded with the new ones.
- **Redis** (``redis://HOST:PORT/DB``): a ``datasketch.MinHashLSH`` kept in
  Redis through datasketch's own Redis storage, so several workers or
  machines share one index and plain datasketch code can query it (keys are
  article ids, signatures are ``LeanMinHash`` of the same scheme and seed).
  Signatures and attributes sit beside it in one Redis hash, so a query
  returns only the candidates, fetched in one round trip.

Both return the same earlier articles for the verification that follows,
because the LSH bands are the same (datasketch's optimiser for
``lsh_threshold``), so both give the same verdicts.

Redis is not part of the snapshot, so it follows it: after a run commits,
its kept articles are added and the run is marked applied; before a run
uses the index, :meth:`RedisIndex.reconcile` adds every committed run that
is not applied (a run killed between commit and apply) and removes every
applied or half-applied run that is not committed (a rebuilt or restored
output). The snapshot is the truth; Redis never holds an article that the
dataset does not.
"""
from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa

from ..config import CleanConfig
from ..io.dataset import read_manifest, snapshot_files
from ..io.schema import INDEX
from ..store.files import read_parquet
from .minhash import SEED
from .minhash_lsh import LEAD, SHINGLES, SIGNATURE
from .seam import DedupMethod, Sketches, empty_sketches, method_for

INDEX_DATASET = "_index"


@dataclass(slots=True)
class Earlier:
    """Articles kept by earlier runs, as columns: the rows a new batch is deduplicated against."""

    ids: pa.Array
    segments: pa.Array
    words: np.ndarray
    sketches: Sketches

    def __len__(self) -> int:
        return len(self.words)

    @staticmethod
    def empty(method: DedupMethod) -> Earlier:
        return Earlier(pa.array([], pa.string()), pa.array([], pa.string()), np.zeros(0, np.int64),
                       empty_sketches(method))

    @staticmethod
    def from_table(table: pa.Table, method: DedupMethod) -> Earlier:
        sketches = method.arrays({f.name: table.column(f.name) for f in method.fields()})
        return Earlier(table.column("article_id").combine_chunks(), table.column("segment").combine_chunks(),
                       table.column("n_words").to_numpy().astype(np.int64), sketches)


def index_params(config: CleanConfig) -> dict[str, Any]:
    """What must match for signatures of two runs to be comparable; kept in the manifest."""
    return method_for(config).params()


#: Parameters only a Redis index stores (its buckets); the embedded one bands every run afresh.
_BANDING = ("lsh_bands", "lsh_rows", "lead_bands", "lead_rows")


def check_compatible(manifest: dict[str, Any] | None, config: CleanConfig, redis: bool = False) -> None:
    """Refuse to mix signatures made with other parameters: they would silently never match.

    The embedded index bands all signatures again every run, so only a Redis
    index (its buckets are stored) also needs the same LSH bands and rows.
    An output from before lead signatures has none for its kept articles:
    it counts as ``lead_words`` 0, so it is refused unless the run signs no
    leads either (its teasers would no longer be found across runs).
    """
    if not manifest or "dedup_index" not in manifest:
        return
    # an output from before lead signatures signed none: the same as lead_words 0
    before = {"lead_words": 0, "lead_bands": 0, "lead_rows": 0} | manifest["dedup_index"]
    now = index_params(config)
    changed = {k: (before.get(k), v) for k, v in now.items()
               if (redis or k not in _BANDING) and before.get(k) != v}
    if changed:
        detail = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items())
        raise ValueError(f"the output's dedup index was built with other signature parameters ({detail}); "
                         "run with --full-rebuild to rebuild it, or keep the earlier values")


def index_table(ids: pa.Array, segments: pa.Array, words: pa.Array, sketches: dict[str, pa.Array]) -> pa.Table:
    columns = {"article_id": ids, "segment": segments, "n_words": words}
    for field in INDEX:
        if field.name not in columns:
            found = sketches.get(field.name)
            columns[field.name] = (pa.nulls(len(ids), field.type) if found is None
                                   else found.cast(pa.binary()) if pa.types.is_fixed_size_binary(found.type)
                                   else found)
    return pa.table(columns).cast(INDEX)


class EmbeddedIndex:
    """The index as the snapshot's own ``_index`` files."""

    def __init__(self, previous: Any, config: CleanConfig) -> None:
        self.previous = previous
        self.method = method_for(config)

    def earlier(self, sketches: Sketches) -> Earlier:
        """Every earlier kept article (the candidate search that follows finds the pairs)."""
        if self.previous is None:
            return Earlier.empty(self.method)
        files = snapshot_files(self.previous, INDEX_DATASET)
        if not files:
            return Earlier.empty(self.method)
        return Earlier.from_table(pa.concat_tables(read_parquet(f, schema=INDEX) for f in files), self.method)

    def heads(self) -> tuple[Earlier, list[tuple[str, int]]]:
        """Every earlier kept article without its sketches, and the index files (with their row counts) that
        hold them, in the same order: a distributed dedup ranks them here and lets its workers read the rest."""
        files = snapshot_files(self.previous, INDEX_DATASET) if self.previous is not None else []
        if not files:
            return Earlier.empty(self.method), []
        tables = [read_parquet(f, columns=["article_id", "segment", "n_words"]) for f in files]
        table = pa.concat_tables(tables)
        earlier = Earlier(table.column("article_id").combine_chunks(), table.column("segment").combine_chunks(),
                          table.column("n_words").to_numpy().astype(np.int64), empty_sketches(self.method))
        return earlier, [(str(f), t.num_rows) for f, t in zip(files, tables)]


class RedisIndex:
    """A datasketch ``MinHashLSH`` in Redis, plus the signatures it needs for verification."""

    def __init__(self, url: str, dataset_id: str, config: CleanConfig) -> None:
        import redis
        from datasketch import MinHashLSH

        host, port, db = parse_redis_url(url)
        self.url = url
        self.num_perm = config.num_perm
        self.method = method_for(config)
        self.basename = f"newsclean:{dataset_id}".encode()
        # Any: replies are bytes (decode_responses is off), which redis-py's generic types cannot say
        self.redis: Any = redis.Redis(host=host, port=port, db=db)
        try:
            self.redis.ping()
        except redis.exceptions.ConnectionError as exc:
            raise ConnectionError(f"cannot reach the Redis index at {url}: {exc}") from exc
        params = self.method.params()
        storage = {"host": host, "port": port, "db": db}
        #: one MinHashLSH per banding: the whole text's, and the lead's (a second basename)
        self.bandings: list[tuple[str, MinHashLSH]] = [(SIGNATURE, MinHashLSH(
            num_perm=config.num_perm, params=(params["lsh_bands"], params["lsh_rows"]),
            storage_config={"type": "redis", "basename": self.basename, "redis": storage}))]
        if config.lead_words:
            self.bandings.append((LEAD, MinHashLSH(
                num_perm=config.num_perm, params=(params["lead_bands"], params["lead_rows"]),
                storage_config={"type": "redis", "basename": self.basename + b":lead", "redis": storage})))
        self.lsh = self.bandings[0][1]
        self._articles = self.basename + b":articles"  # hash: article id -> packed attributes and signature
        self._applied = self.basename + b":runs"  # set: runs whose articles are all in
        self._pending = self.basename + b":pending"  # set: runs being added or removed

    # ------------------------------------------------------------------ querying
    def earlier(self, sketches: Sketches) -> Earlier:
        """Earlier kept articles that share an LSH band (of either banding) with at least one new article."""
        found: set[str] = set()
        if not self.redis.exists(self._articles):  # an empty index: nothing to ask
            return Earlier.empty(self.method)
        n = len(sketches[SIGNATURE])
        for lo in range(0, n, _QUERY_BATCH):
            for column, lsh in self.bandings:
                found.update(self._query_many(lsh, sketches[column][lo:lo + _QUERY_BATCH]))
        if not found:
            return Earlier.empty(self.method)
        keys = sorted(found)
        packed = self.redis.hmget(self._articles, keys)
        rows = [_unpack(k, p, self.num_perm) for k, p in zip(keys, packed) if p is not None]
        if not rows:
            return Earlier.empty(self.method)
        sketch = {SIGNATURE: np.stack([r[4] for r in rows]), SHINGLES: np.array([r[3] for r in rows], np.int32)}
        if len(self.bandings) > 1:
            leads = [r[5] for r in rows if r[5] is not None]
            if len(leads) < len(rows):
                raise ValueError(f"the Redis index {self.url} holds articles without lead signatures (written by an "
                                 "earlier version); run with --full-rebuild to rebuild it")
            sketch[LEAD] = np.stack(leads)
        return Earlier(pa.array([r[0] for r in rows], pa.string()), pa.array([r[1] for r in rows], pa.string()),
                       np.array([r[2] for r in rows], np.int64), sketch)

    @staticmethod
    def _query_many(lsh: Any, sigs: np.ndarray) -> set[str]:
        """The union of ``MinHashLSH.query`` over many signatures, one pipelined round trip per band.

        ``query`` makes a round trip per band and signature (51 per article:
        43 s for 10,000 articles here); this asks each band's storage for all
        the buckets at once through its own ``getmany``. Bucket keys are made
        as ``MinHashLSH`` makes them (big-endian bytes of the band's values).
        """
        found: set[bytes] = set()
        for (start, end), table in zip(lsh.hashranges, lsh.hashtables):
            band = sigs[:, start:end].astype(">u4")
            buckets = {band[i].tobytes() for i in range(len(band))}
            for members in table.getmany(*buckets):
                found.update(members)
        return {pickle.loads(k) for k in found} if lsh.prepickle else {k.decode() for k in found}

    def size(self) -> int:
        return int(self.redis.hlen(self._articles))

    # ------------------------------------------------------------------ following the snapshot
    def reconcile(self, snapshot: Any) -> dict[str, list[str]]:
        """Make the index hold exactly the committed runs of ``snapshot`` (None: no run)."""
        manifest = read_manifest(snapshot) if snapshot is not None else {"runs": []}
        committed = [r["run_id"] for r in manifest["runs"]]
        applied = {m.decode() for m in self.redis.smembers(self._applied)}
        pending = {m.decode() for m in self.redis.smembers(self._pending)}
        removed = sorted((applied | pending) - set(committed))
        for run_id in removed:
            self._remove_run(run_id)
        added = [r for r in committed if r not in applied]
        for run_id in added:
            assert snapshot is not None
            self.apply(run_id, snapshot, manifest)
        return {"added_runs": added, "removed_runs": removed}

    def apply(self, run_id: str, snapshot: Any, manifest: dict[str, Any] | None = None) -> int:
        """Add the kept articles of a committed run; idempotent (a half-applied run is redone)."""
        manifest = manifest or read_manifest(snapshot)
        self._remove_run(run_id)  # whatever a killed attempt left
        members = self._members(run_id)
        self.redis.sadd(self._pending, run_id)
        count = 0
        for path in snapshot_files(snapshot, INDEX_DATASET, manifest, [run_id]):
            table = read_parquet(path, schema=INDEX)
            if not table.num_rows:
                continue
            earlier = Earlier.from_table(table, self.method)
            ids = earlier.ids.to_pylist()
            self.redis.rpush(members, *ids)  # first, so a kill from here on can be undone
            sketch = earlier.sketches
            lead = sketch.get(LEAD)
            pipe = self.redis.pipeline(transaction=False)
            for i, article_id in enumerate(ids):
                pipe.hset(self._articles, article_id,
                          _pack(earlier.segments[i].as_py(), int(earlier.words[i]), int(sketch[SHINGLES][i]),
                                sketch[SIGNATURE][i], None if lead is None else lead[i]))
            pipe.execute()
            for column, lsh in self.bandings:
                with lsh.insertion_session(buffer_size=10_000) as session:
                    for i, article_id in enumerate(ids):
                        session.insert(article_id, _lean(sketch[column][i]), check_duplication=False)
            count += len(ids)
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(self._applied, run_id).srem(self._pending, run_id)
        pipe.execute()
        return count

    def clear(self) -> None:
        """Remove every run (a full rebuild starts from nothing)."""
        for run_id in {m.decode() for m in self.redis.smembers(self._applied) | self.redis.smembers(self._pending)}:
            self._remove_run(run_id)

    def _members(self, run_id: str) -> bytes:
        return self.basename + b":run:" + run_id.encode()

    def _remove_run(self, run_id: str) -> None:
        members = self._members(run_id)
        ids = [m.decode() for m in self.redis.lrange(members, 0, -1)]
        if ids:
            self.redis.sadd(self._pending, run_id)
            for _, lsh in self.bandings:
                with lsh.deletion_session(buffer_size=10_000) as session:
                    for article_id in ids:
                        if article_id in lsh:
                            session.remove(article_id)
            self.redis.hdel(self._articles, *ids)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(members).srem(self._applied, run_id).srem(self._pending, run_id)
        pipe.execute()


_SEGMENTS = ("main", "listing", "related")
#: Signatures per batched query (bounds the pipeline a band's storage sends at once).
_QUERY_BATCH = 5_000
#: datasketch's default permutation scheme, the one :mod:`.minhash` reproduces.
SCHEME = "affine32"


def _lean(sig: np.ndarray) -> Any:
    """The signature as datasketch's own object, bit for bit (uint32 hash values, affine32)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=SEED, hashvalues=sig, scheme=SCHEME)


def _pack(segment: str, words: int, shingles: int, sig: np.ndarray, lead: np.ndarray | None) -> bytes:
    packed = struct.pack("<Bii", _SEGMENTS.index(segment), words, shingles) + sig.astype("<u4").tobytes()
    return packed if lead is None else packed + lead.astype("<u4").tobytes()


def _unpack(key: str, data: bytes, num_perm: int) -> tuple[str, str, int, int, np.ndarray, np.ndarray | None]:
    segment, words, shingles = struct.unpack_from("<Bii", data)
    sig = np.frombuffer(data, dtype="<u4", offset=9, count=num_perm).astype(np.uint32)
    has_lead = len(data) >= 9 + 8 * num_perm
    lead = np.frombuffer(data, dtype="<u4", offset=9 + 4 * num_perm, count=num_perm).astype(np.uint32) \
        if has_lead else None
    return key, _SEGMENTS[segment], words, shingles, sig, lead


def parse_redis_url(url: str) -> tuple[str, int, int]:
    """(host, port, db) of ``redis://HOST[:PORT][/DB]``; a clear error for anything else."""
    parsed = urlparse(url)
    if parsed.scheme != "redis" or not parsed.hostname:
        raise ValueError(f"--index must be redis://HOST:PORT/DB, got {url!r}")
    path = parsed.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"the Redis database in {url!r} must be a number (redis://HOST:PORT/0)")
    try:
        port = parsed.port or 6379
    except ValueError as exc:
        raise ValueError(f"bad port in {url!r}: {exc}") from exc
    return parsed.hostname, port, int(path or 0)


def open_index(spec: str | None, previous: Path | None, dataset_id: str,
               config: CleanConfig) -> EmbeddedIndex | RedisIndex:
    """The index a run dedups against: ``None`` (embedded) or a ``redis://`` URL."""
    if spec is None or spec in ("", "local", "embedded"):
        return EmbeddedIndex(previous, config)
    return RedisIndex(spec, dataset_id, config)
