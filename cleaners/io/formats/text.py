"""``.txt``: one flattened page per file, UTF-8 (a byte-order mark is dropped)."""
from __future__ import annotations

from collections.abc import Iterator

from ...model import Page, Rejection
from ..readers import InputFile, looks_binary, read_limited, register_reader, sha256, too_large


class TextReader:
    suffixes = (".txt",)

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]:
        data = read_limited(file.path, limit)
        if data is None:
            yield too_large(file.source, None, f"more than {limit}", limit or 0)
            return
        kind = looks_binary(data)
        if kind is not None:
            yield Rejection(file.source, None, "not_text", f"the file holds {kind}, not text")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield Rejection(file.source, None, "decode_error", f"not valid UTF-8: {exc}")
            return
        yield Page(source=file.source, record=None, text=text, content_sha=sha256(data))


register_reader(TextReader())
