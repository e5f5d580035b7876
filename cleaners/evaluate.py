"""The article-extraction-benchmark text measure, for tests, benchmarks and users' own gold sets.

Word 4-gram shingles of ``\\w+`` tokens counted with multiplicity; per document
precision and recall; precision and recall averaged over documents, F1 from the
two averages (scrapinghub/article-extraction-benchmark, and ``bench_score.py``).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)))


def _counts(true: str, pred: str) -> tuple[float, float, float]:
    t, p = _shingles(true), _shingles(pred)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_recall_f1(pairs: Iterable[tuple[str, str]]) -> tuple[float, float, float]:
    """(precision, recall, F1) over (true text, predicted text) pairs, as the benchmark averages them."""
    ps, rs = [], []
    for true, pred in pairs:
        tp, fp, fn = _counts(true, pred)
        if tp + fp > 0:
            ps.append(1.0 if fp == fn == 0 else tp / (tp + fp))
        if tp + fn > 0:
            rs.append(1.0 if fp == fn == 0 else tp / (tp + fn))
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def text_f1(true: str, pred: str) -> float:
    return precision_recall_f1([(true, pred)])[2]
