"""``.txt``: one flattened page per file, in whatever encoding it came (:mod:`cleaners.io.decode`)."""
from __future__ import annotations

from collections.abc import Iterator

from ...model import Page, Rejection
from ..readers import (
    InputFile,
    decoded_page,
    looks_binary,
    read_limited,
    register_reader,
    sha256,
    too_large,
)


class TextReader:
    suffixes = (".txt",)

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]:
        data = read_limited(file, limit)
        if data is None:
            yield too_large(file.source, None, f"more than {limit}", limit or 0)
            return
        kind = looks_binary(data)
        if kind is not None:
            yield Rejection(file.source, None, "not_text", f"the file holds {kind}, not text")
            return
        yield decoded_page(data, file.source, None, sha256(data))


register_reader(TextReader())
