"""Publish a finished output's datasets as Delta Lake tables, at a local path or an object-store URL.

The run writes its output into a local folder with its own commit protocol
(:mod:`cleaners.io.writer`); downstream jobs on other machines (Spark,
Databricks, Polars, DuckDB) want tables in object storage, versioned, that
they can pin. :func:`publish` mirrors the current snapshot of each dataset
(``articles``, ``duplicates``, ``rejected``, ``removed``) into
``TARGET/<dataset>``, a Delta table partitioned by ``run`` like the local
dataset, through the ``deltalake`` package (delta-rs: no JVM).

One publish makes one data commit per table that changed, carrying the run
id of the snapshot it mirrors and the output's identity; a table that
already holds what the snapshot holds gets no commit, so publishing twice is
a no-op. Changes are found per run partition by row count: a new run adds a
partition; a later run can only remove rows of an earlier one (superseded
``rejected`` rows); a full rebuild replaces every run. The runs whose counts
differ are replaced in one commit (``overwrite`` with a ``run IN (...)``
predicate), the others stay untouched. Rows stream from the snapshot's
files in batches: a publish holds a batch, not a dataset.

Every version stays readable (time travel) while its files exist. A commit
that removed files (a replaced run, a rebuild) leaves them on storage for
older versions, and a publish killed before its commit leaves files no
version names; plain Parquet readers of the table's folder, which know
nothing of the log, would read both as rows. Every publish therefore ends
with a full vacuum (files removed by a version, and files of no version)
older than ``keep_removed_hours``: with the default 0, a plain reader sees
exactly the current rows after every publish, and a Delta reader still
reading an older version may find its files gone. One publisher per target
at a time: a second one's commit fails (and says so), and its vacuum could
delete the files the other has not committed yet.

Credentials come from the environment, as delta-rs reads them
(``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, ``AWS_REGION``;
``AWS_ALLOW_HTTP=true`` for a plain-HTTP endpoint such as a local MinIO),
never from the command line.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..io.dataset import current_snapshot, read_manifest
from ..io.remote import RemoteInputError, filesystem, is_url, local_path, url_problem
from ..io.schema import DATASETS, conform_table, schema_of
from ..outcome import NothingCommitted, one_line
from ..summary import PublishedTable

#: The partition column, as in the local datasets (hive ``run=<run_id>`` folders).
RUN = "run"
#: Commit metadata keys: what a version mirrors, and of which output.
RUN_KEY = "newsclean.run_id"
DATASET_ID_KEY = "newsclean.dataset_id"
OUTPUT_KEY = "newsclean.output"
#: Rows per batch streamed into a table.
_BATCH_ROWS = 50_000
#: URL schemes delta-rs writes to (others fail only when the commit is tried, after a run).
SCHEMES = frozenset({"s3", "s3a", "gs", "az", "abfs", "abfss", "azure", "adl"})
#: A data file as delta-rs names it: ``part-00000-<uuid>-c000[.snappy].parquet``.
_PART_FILE = re.compile(r"part-\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-c\d{3}(?:\.\w+)?\.parquet")
#: Terminal colour codes delta-rs puts in its messages.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PublishError(NothingCommitted):
    """A table could not be published; the message (and ``committed``) say which tables this publish did commit."""

    def __init__(self, message: str, committed: list[PublishedTable] | None = None) -> None:
        super().__init__(message)
        self.committed = committed or []


def check_target(target: str, out: str | Path | None = None) -> None:
    """Raise :class:`PublishError` at once for a target no publish could write (before a run, not after it).

    A local target must not be the output, lie inside it, or hold it: the tables would be written into
    the output's own datasets (whose part files look like a killed publish's), or read as its rows.
    """
    if not target.strip():
        raise PublishError("the publish target is empty: give a folder or a URL such as s3://lake/news")
    try:
        import deltalake  # noqa: F401 (an optional install)
    except ImportError as exc:
        raise PublishError("publishing Delta tables needs the deltalake package: pip install 'newsclean[delta]'") \
            from exc
    if is_url(target):
        if (problem := url_problem(target)) is not None:
            raise PublishError(problem)
        scheme = target.split("://", 1)[0].lower()
        if scheme not in SCHEMES:
            raise PublishError(f"{target}: Delta tables can be published to a folder or to "
                               f"{', '.join(s + '://' for s in sorted(SCHEMES))}, not {scheme}://")
        try:
            filesystem(target)
        except RemoteInputError as exc:
            raise PublishError(str(exc)) from exc
    elif out is not None:
        here, there = os.path.realpath(local_path(target)), os.path.realpath(out)
        if here == there or here.startswith(there.rstrip(os.sep) + os.sep) or \
                there.startswith(here.rstrip(os.sep) + os.sep):
            raise PublishError(f"publish target {target} overlaps the output {out}: give a folder of its own")


def publish(out: str | Path, target: str, keep_removed_hours: int = 0, replace: bool = False) -> list[PublishedTable]:
    """Mirror the current snapshot of ``out`` into Delta tables under ``target``; one entry per dataset.

    ``replace``: publish even where the tables mirror another output (else refused, naming it).
    """
    check_target(target, out)
    if is_url(target):
        target = target.rstrip("/")
    else:
        target = str(Path(local_path(target)).resolve())
    from .output import is_table_output

    if is_table_output(out):
        raise PublishError(f"{out} is kept as Delta tables already: readers read them there (publishing copies "
                           "an output of the snapshot layout)")
    try:
        snapshot = current_snapshot(out)
    except FileNotFoundError as exc:
        raise PublishError(f"{out} holds no finished run: nothing to publish") from exc
    manifest = read_manifest(snapshot)
    identity = {DATASET_ID_KEY: manifest["dataset_id"], OUTPUT_KEY: str(Path(out).resolve())}
    done: list[PublishedTable] = []
    for name in DATASETS:
        uri = f"{target}/{name}"
        try:
            done.append(_publish_table(snapshot, manifest, name, uri, identity, keep_removed_hours, replace))
        except PublishError as exc:
            raise PublishError(f"{exc}{_so_far(done)}", [t for t in done if t.committed]) from exc
        except Exception as exc:  # delta-rs and the object store raise their own kinds: one message, no traceback
            message = one_line(_ANSI.sub("", str(exc)))
            raise PublishError(f"{uri}: {type(exc).__name__}: {message}{_so_far(done)}",
                               [t for t in done if t.committed]) from exc
    return done


def _so_far(done: list[PublishedTable]) -> str:
    committed = [f"{t.dataset} (version {t.version})" for t in done if t.committed]
    return (f"; this publish committed {', '.join(committed)}; publishing again finishes the rest" if committed
            else "; no table was written")


def _publish_table(snapshot: Path, manifest: dict[str, Any], name: str, uri: str, identity: dict[str, str],
                   keep_removed_hours: int, replace: bool) -> PublishedTable:
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    files = manifest["datasets"].get(name, {}).get("files", [])
    local: Counter[str] = Counter()
    for f in files:
        local[f["run_id"]] += f["rows"]
    for run in manifest["runs"]:  # a run with no row in this dataset is a run with 0 rows
        local.setdefault(run["run_id"], 0)
    schema = schema_of(name).append(pa.field(RUN, pa.string(), nullable=False))
    commit = CommitProperties(custom_metadata={RUN_KEY: manifest["current_run"], **identity})
    table = DeltaTable(uri) if DeltaTable.is_deltatable(uri) else None
    if table is None:
        _clear_abandoned(uri)
        write_deltalake(uri, _rows(snapshot, files, set(local), schema), partition_by=[RUN], mode="error",
                        commit_properties=commit)
        return PublishedTable(dataset=name, uri=uri, version=DeltaTable(uri).version(), runs_written=sorted(local),
                              rows=sum(local.values()))
    published = _published_rows(table, uri)
    other = _other_output(table, identity)
    if other is not None and not replace:
        raise PublishError(f"{uri} {other}: not replaced (--replace publishes this output over it)")
    changed = sorted(r for r in set(local) | set(published) if local.get(r, 0) != published.get(r, 0))
    result = PublishedTable(dataset=name, uri=uri, version=table.version(), rows=sum(local.values()),
                            committed=bool(changed))
    if other is not None and not changed:  # replaced, with the same rows: the table now mirrors this output
        write_deltalake(table, schema.empty_table(), partition_by=[RUN], mode="append", commit_properties=commit)
        result.version, result.committed = DeltaTable(uri).version(), True
    if changed:
        runs = ", ".join("'" + r.replace("'", "''") + "'" for r in changed)
        write_deltalake(table, _rows(snapshot, files, set(changed), schema), partition_by=[RUN], mode="overwrite",
                        predicate=f"{RUN} IN ({runs})", commit_properties=commit)
        table = DeltaTable(uri)
        result.version = table.version()
        result.runs_written = [r for r in changed if r in local]
        result.runs_removed = [r for r in changed if r not in local]
    # on every publish, not only after a commit: what a publish killed before or after its commit left
    result.files_vacuumed = len(table.vacuum(retention_hours=keep_removed_hours, dry_run=False,
                                             enforce_retention_duration=False, full=True))
    return result


def _clear_abandoned(uri: str) -> None:
    """Before a table's first commit: delete the part files of a first publish killed before its commit.

    Anything else at the location is someone else's, and stops the publish.
    """
    try:
        fs, root = filesystem(uri) if is_url(uri) else filesystem(Path(uri).as_uri())
    except RemoteInputError as exc:
        raise PublishError(str(exc)) from exc
    root = root.rstrip("/")
    try:
        found = fs.find(root, withdirs=False)
    except FileNotFoundError:
        return
    if fs.isfile(root) or os.path.islink(uri) or not all(_is_part_file(p[len(root):].lstrip("/")) for p in found):
        raise PublishError(f"{uri} holds files but is no Delta table: not written into (give an empty location)")
    for path in found:
        fs.rm_file(path)


def _is_part_file(rel: str) -> bool:
    """A data file delta-rs writes into a table partitioned by run: ``run=<id>/part-...parquet``."""
    parts = rel.split("/")
    return len(parts) == 2 and parts[0].startswith(f"{RUN}=") and _PART_FILE.fullmatch(parts[1]) is not None


def _published_rows(table: Any, uri: str) -> dict[str, int]:
    """Rows per run partition of the table's current version."""
    if RUN not in table.metadata().partition_columns:
        raise PublishError(f"{uri} is a Delta table not partitioned by {RUN!r}: not one this tool published")
    actions = pa.table(table.get_add_actions(flatten=True))
    rows: Counter[str] = Counter()
    for run, n in zip(actions.column(f"partition.{RUN}").to_pylist(), actions.column("num_records").to_pylist(),
                      strict=True):
        rows[run] += n or 0
    return dict(rows)


def _other_output(table: Any, identity: dict[str, str]) -> str | None:
    """What else the table mirrors, or None when it is this output's (or new).

    A full rebuild gives the output a new dataset id in the same folder: that is the same output.
    """
    # each publish adds at most three versions (data, vacuum start and end): the last few hold the latest data
    # commit, and the whole log (one read per version) is read only when they do not
    theirs = next((h for h in table.history(limit=8) if DATASET_ID_KEY in h), None) or \
        next((h for h in table.history() if DATASET_ID_KEY in h), None)
    if theirs is None:
        return "is a Delta table this tool did not publish"
    if theirs[DATASET_ID_KEY] != identity[DATASET_ID_KEY] and theirs.get(OUTPUT_KEY) != identity[OUTPUT_KEY]:
        return f"mirrors another output ({theirs.get(OUTPUT_KEY)}, dataset {theirs[DATASET_ID_KEY]})"
    return None


def _rows(snapshot: Path, files: list[dict[str, Any]], runs: set[str], schema: pa.Schema) -> pa.RecordBatchReader:
    """The snapshot's rows of ``runs`` as a stream of batches, each with its ``run`` column (the local files hold
    it in their folder name), in the current column layout (an output of an older one is conformed)."""
    dataset_schema = schema.remove(schema.get_field_index(RUN))

    def batches() -> Iterator[pa.RecordBatch]:
        for f in files:
            if f["run_id"] not in runs or not f["rows"]:
                continue
            with pq.ParquetFile(snapshot / f["path"]) as part:
                for batch in part.iter_batches(batch_size=_BATCH_ROWS):
                    rows = conform_table(pa.Table.from_batches([batch]), dataset_schema)
                    rows = rows.append_column(schema.field(RUN), pa.array([f["run_id"]] * rows.num_rows, pa.string()))
                    yield from rows.cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())
