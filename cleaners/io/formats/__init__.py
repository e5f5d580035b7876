"""The built-in readers, one module per input format; importing this package registers them."""
from . import html, jsonl, parquet, text, warc  # noqa: F401
