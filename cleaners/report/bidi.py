"""Scraped text shown in the report cannot reorder the report: bidirectional controls are made visible.

An explicit embedding, override or isolate (U+202A-U+202E, U+2066-U+2069)
in a title, a line or a site name reverses or reorders whatever follows it
on the screen, the report's own words included, until its paragraph ends:
a right-to-left override makes ``evil.example (12 pages)`` read backwards.
The report shows each one as the visible code ``[U+202E]`` instead, so the
text it came with reads in its own direction (letters of Arabic or Hebrew
keep theirs: only these controls are replaced) and the reader sees that the
input held one. The marks U+200E, U+200F and U+061C reorder nothing beyond
themselves and stay.
"""
from __future__ import annotations

import re
from typing import Any

_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def neutral(text: str) -> str:
    """``text`` with every bidirectional embedding, override and isolate shown as ``[U+XXXX]``."""
    return _CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text) if _CONTROLS.search(text) else text


def neutral_values(row: dict[str, Any]) -> dict[str, Any]:
    """A table row with :func:`neutral` applied to its strings (the Prefect table artifacts)."""
    return {k: neutral(v) if isinstance(v, str) else v for k, v in row.items()}
