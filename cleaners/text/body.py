"""Locate the article body among a page's candidate lines: one dense region of body-like lines.

The line model scores every line; the body is the contiguous run of
candidates whose scores, weighted by length, add up most above
``body_center`` (Kadane's maximum-sum run). Inside that run a line stays when
its score reaches ``body_min_score``; everything outside is page chrome. The
"one region" prior is what removes body-like lines that sit in menus, feeds
and footers; cross-validated on the dev pages it lifts F1 by 0.01-0.015 over
thresholding alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import dense_region

OUTSIDE_BODY = "outside_body"
LOW_SCORE = "low_body_score"


@dataclass(frozen=True, slots=True)
class Body:
    kept: list[int]  # candidate lines that are body, in page order
    removed: dict[int, str]  # candidate lines that are not, with their reason
    start: int | None  # first line of the dense region (page index), where the title search starts


def locate_body(lines: list[int], proba: np.ndarray, words: np.ndarray, candidates: set[int],
                center: float, min_score: float) -> Body:
    """Split the ``candidates`` among ``lines`` (page indices, in order) by their body scores.

    The region is found over all lines, chrome included: a share bar or a
    "Related" header between the article and a feed scores low and so keeps
    the feed out of the region, even though it is not a candidate itself.
    """
    if not candidates:
        return Body([], {}, None)
    a, b = dense_region((proba - center) * np.log1p(words))
    kept: list[int] = []
    removed: dict[int, str] = {}
    for pos, line in enumerate(lines):
        if line not in candidates:
            continue
        if not a <= pos <= b:
            removed[line] = OUTSIDE_BODY
        elif proba[pos] >= min_score:
            kept.append(line)
        else:
            removed[line] = LOW_SCORE
    return Body(kept, removed, lines[a] if b >= a else None)
