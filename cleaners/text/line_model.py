"""The shipped line classifier: two stacked logistic regressions, numpy only at run time.

Stage 1 scores each line from its own and its neighbours' features
(:mod:`cleaners.text.features`). Stage 2 sees the same features plus stage 1's
scores averaged over windows of the page, so a line inside a run of body
lines is lifted and an isolated "body-like" line in a footer is not.

The weights live in ``line_model.json`` beside this file, written by
``benchmarks/train_line_model.py`` from the dev benchmark pages only; that
script reproduces them and reports the cross-validated figures. Nothing is
downloaded at run time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit

from .features import COLUMNS, fragmentation, window_mean_into

MODEL_PATH = Path(__file__).with_name("line_model.json")
STACK_COLUMNS = ["p", "p_w1", "p_w3", "p_w8", "p_w20", "p_prev", "p_next"]


@dataclass(frozen=True)
class Logistic:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def proba(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    @classmethod
    def from_dict(cls, d: dict) -> Logistic:
        return cls(np.asarray(d["mean"]), np.asarray(d["scale"]), np.asarray(d["coef"]), float(d["intercept"]))

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept}


def stack_features(p: np.ndarray) -> np.ndarray:
    """Stage-1 scores in context: the line's own, window means, and its neighbours'.

    Compiled: as a dozen numpy calls on a page's few lines it was 4.5% of the text stage on
    news pages. The window means are :func:`~cleaners.text.features.window_mean`'s numbers for
    float64 scores (what :meth:`Logistic.proba` gives; others are made float64 first).
    """
    if len(p) == 0:
        return np.zeros((0, len(STACK_COLUMNS)))
    return _stacked(np.asarray(p, dtype=np.float64))


@njit(cache=True)
def _stacked(p: np.ndarray) -> np.ndarray:
    n = len(p)
    out = np.empty((n, 7))
    out[:, 0] = p
    for column, k in enumerate((1, 3, 8, 20)):
        window_mean_into(p, k, out[:, column + 1])
    for i in range(n):
        out[i, 5] = p[i - 1] if i > 0 else 0.0
        out[i, 6] = p[i + 1] if i < n - 1 else 0.0
    return out


def stacked_proba(stage1: Logistic, stage2: Logistic, x: np.ndarray) -> np.ndarray:
    """Stage 2 on the features plus stage 1's scores in context (also the HTML combiner's model)."""
    if len(x) == 0:
        return np.zeros(0)
    return stage2.proba(np.hstack([x, stack_features(stage1.proba(x))]))


@dataclass(frozen=True)
class LineModel:
    stage1: Logistic
    stage2: Logistic
    meta: dict

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Probability that each line (row of a page's feature matrix) is article body."""
        return stacked_proba(self.stage1, self.stage2, x)

    def to_dict(self) -> dict:
        return {"stage1": self.stage1.to_dict(), "stage2": self.stage2.to_dict(), "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict) -> LineModel:
        return cls(Logistic.from_dict(d["stage1"]), Logistic.from_dict(d["stage2"]), d.get("meta", {}))


@dataclass(frozen=True)
class LineModels:
    """One model per way of flattening a page, chosen per page by its fragmentation.

    Text with one block per line and text with one text node per line (links
    split sentences) have different line statistics; a model trained on each
    scores 0.02-0.03 F1 higher on its own kind than one model for both.
    """

    blocks: LineModel
    fragments: LineModel
    fragment_threshold: float
    meta: dict

    def for_page(self, x: np.ndarray) -> LineModel:
        return self.fragments if fragmentation(x) >= self.fragment_threshold else self.blocks

    def to_json(self) -> str:
        return json.dumps({"columns": COLUMNS, "stack_columns": STACK_COLUMNS,
                           "fragment_threshold": self.fragment_threshold, "meta": self.meta,
                           "models": {"blocks": self.blocks.to_dict(), "fragments": self.fragments.to_dict()}},
                          indent=1)

    @classmethod
    def from_json(cls, text: str) -> LineModels:
        data = json.loads(text)
        if data["columns"] != COLUMNS or data["stack_columns"] != STACK_COLUMNS:
            raise ValueError("the line model was trained on other feature columns; retrain it with "
                             "benchmarks/train_line_model.py")
        models = data["models"]
        return cls(LineModel.from_dict(models["blocks"]), LineModel.from_dict(models["fragments"]),
                   float(data["fragment_threshold"]), data.get("meta", {}))


@lru_cache(maxsize=4)
def load_models(path: Path = MODEL_PATH) -> LineModels:
    return LineModels.from_json(Path(path).read_text(encoding="utf-8"))
