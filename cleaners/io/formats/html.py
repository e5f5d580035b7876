"""``.html`` / ``.htm``: one page per file, in whatever encoding the page declares."""
from __future__ import annotations

from collections.abc import Iterator

from ...model import Page, Rejection
from ..readers import InputFile, read_limited, register_reader, sha256, too_large
from .markup import page_from_bytes


class HtmlReader:
    suffixes = (".html", ".htm")

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]:
        data = read_limited(file, limit)
        if data is None:
            yield too_large(file.source, None, f"more than {limit}", limit or 0)
            return
        yield page_from_bytes(data, file.source, None, sha256(data))


register_reader(HtmlReader())
