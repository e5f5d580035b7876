"""Gradient-boosted trees (a binary scikit-learn ``HistGradientBoostingClassifier``), applied with numpy.

The HTML combiner's second stage blends these trees with its logistic
model. A linear model cannot say "long prose that only readability takes
is body when the line model agrees": the trees can, and cross-validated by
site they lift the dev pages without costing the snippet pages (README,
"HTML pages"). The product needs numpy only: the training script
(``benchmarks/train_html_model.py``, with scikit-learn) exports the fitted
trees as plain arrays, and :meth:`BoostedTrees.proba` walks them for all
blocks of a page at once, one tree level per step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Rows scored at once: a page of 200,000 blocks needs ~0.4 GB, not ~2 GB, at the same speed.
_CHUNK = 4096


@dataclass(frozen=True)
class BoostedTrees:
    """Trees padded to one node count: row ``t`` of every array is tree ``t``'s nodes."""

    feature: np.ndarray  # int, the column a split node tests
    threshold: np.ndarray  # float, go left when x <= threshold
    missing_left: np.ndarray  # bool, where a NaN goes
    left: np.ndarray  # int, child node indices
    right: np.ndarray
    leaf: np.ndarray  # bool
    value: np.ndarray  # float, a leaf's raw score (learning rate included)
    baseline: float  # raw score before any tree
    depth: int  # the deepest leaf's depth: that many steps reach every leaf
    features: int  # the number of columns of the rows scored

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw score (log-odds) per row of ``x``, in chunks of rows (memory is trees x rows per chunk)."""
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"the trees read {self.features} feature columns, got an array of shape {x.shape}")
        if len(x) == 0:
            return np.zeros(0)
        return np.concatenate([self._raw(x[i:i + _CHUNK]) for i in range(0, len(x), _CHUNK)])

    def _raw(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        trees, size = self.feature.shape
        base = (np.arange(trees) * size)[:, None]
        # a leaf's children are itself, so a row that reached one stays; one flat index per (tree, row),
        # so node arrays and x are read with 1-D takes (the fast path)
        here = np.arange(size)[None, :] + base
        left = np.where(self.leaf, here, self.left + base).ravel()
        right = np.where(self.leaf, here, self.right + base).ravel()
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        node = np.repeat(base.ravel(), n)
        cell = np.tile(np.arange(n) * x.shape[1], trees)
        flat_x = np.ascontiguousarray(x, dtype=float).ravel()
        missing = bool(np.isnan(flat_x).any())
        for _ in range(self.depth):
            v = flat_x.take(cell + feature.take(node))
            go_left = v <= threshold.take(node)
            if missing:
                go_left = np.where(np.isnan(v), self.missing_left.ravel().take(node), go_left)
            node = np.where(go_left, left.take(node), right.take(node))
        return self.baseline + self.value.ravel().take(node).reshape(trees, n).sum(axis=0)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.raw(x), -50, 50)))

    @classmethod
    def from_sklearn(cls, model: Any) -> BoostedTrees:
        """From a fitted binary ``HistGradientBoostingClassifier`` on numeric features (reads its predictors)."""
        trees = [predictors[0].nodes for predictors in model._predictors]
        if any(len(predictors) != 1 for predictors in model._predictors):
            raise ValueError("only a binary classifier (one tree per iteration) can be exported")
        if any(t["is_categorical"].any() for t in trees):
            raise ValueError("categorical splits are not supported")
        size = max(len(t) for t in trees)

        def pad(field: str, dtype: type) -> np.ndarray:
            out: np.ndarray = np.zeros((len(trees), size), dtype=dtype)
            for i, t in enumerate(trees):
                out[i, :len(t)] = t[field]
            return out

        leaf = pad("is_leaf", bool)
        leaf[:, :] |= np.arange(size)[None, :] >= np.array([len(t) for t in trees])[:, None]  # padding is inert
        # scikit-learn sends NaN-only splits right with threshold +inf; the largest float keeps the JSON
        # standard and routes every finite value the same way
        threshold = np.minimum(pad("num_threshold", float), np.finfo(float).max)
        return cls(pad("feature_idx", np.intp), threshold, pad("missing_go_to_left", bool),
                   pad("left", np.intp), pad("right", np.intp), leaf, pad("value", float),
                   float(np.ravel(model._baseline_prediction)[0]), int(max(t["depth"].max() for t in trees)),
                   int(model.n_features_in_))

    def to_dict(self) -> dict:
        live = ~self.leaf | (self.value != 0)  # a leaf scoring 0 is what padding is: trailing ones can go
        size = live.shape[1]
        nodes = [size - int(np.argmax(row[::-1])) if row.any() else 1 for row in live]  # a root is kept
        trimmed = {name: [row[:n].tolist() for row, n in zip(getattr(self, name), nodes)]
                   for name in ("feature", "threshold", "missing_left", "left", "right", "leaf", "value")}
        return {"baseline": self.baseline, "depth": self.depth, "features": self.features, **trimmed}

    @classmethod
    def from_dict(cls, d: dict) -> BoostedTrees:
        size = max(1, *(len(row) for row in d["leaf"]))

        def pad(name: str, dtype: type, fill: object = 0) -> np.ndarray:
            out: np.ndarray = np.full((len(d[name]), size), fill, dtype=dtype)
            for i, row in enumerate(d[name]):
                out[i, :len(row)] = row
            return out

        return cls(pad("feature", np.intp), pad("threshold", float), pad("missing_left", bool), pad("left", np.intp),
                   pad("right", np.intp), pad("leaf", bool, True), pad("value", float), float(d["baseline"]),
                   int(d["depth"]), int(d["features"]))


__all__ = ["BoostedTrees"]
