"""``.parquet``: records in batches of rows, only the columns the pipeline uses.

Memory is bounded by one row group (how the file was written), not the file.
A gzipped Parquet file (unusual, but crawlers' upload steps do it) is
unpacked to a temporary file first: Parquet needs random access.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq

from ...model import Page, Rejection
from ..readers import InputFile, open_binary, register_reader
from .records import BODY_FIELDS, META_FIELDS, page_from_record

_BATCH_ROWS = 256


class ParquetReader:
    suffixes = (".parquet",)

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]:
        with _seekable(file.path) as path:
            pf = pq.ParquetFile(path)
            names = set(pf.schema_arrow.names)
            if not names & set(BODY_FIELDS):
                yield Rejection(file.source, None, "no_text",
                                f"no `text` or `html` column in {pf.metadata.num_rows} rows "
                                f"(columns: {', '.join(sorted(names)) or 'none'})")
                return
            wanted = [c for c in ("id", *META_FIELDS, *BODY_FIELDS) if c in names]
            row = 0
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
                columns = {name: batch.column(name).to_pylist() for name in wanted}
                for i in range(batch.num_rows):
                    yield page_from_record({k: v[i] for k, v in columns.items()}, file.source, row, limit)
                    row += 1


@contextmanager
def _seekable(path: Path) -> Iterator[Path]:
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    if not gzipped:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=".parquet") as tmp:
        with open_binary(path) as stream:
            shutil.copyfileobj(stream, tmp, 1 << 20)
        tmp.flush()
        yield Path(tmp.name)


register_reader(ParquetReader())
