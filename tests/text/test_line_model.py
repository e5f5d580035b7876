from __future__ import annotations

import json

import numpy as np
import pytest

from cleaners.text.features import COLUMNS, page_matrix
from cleaners.text.line_model import MODEL_PATH, LineModels, load_models, stack_features

PROSE = ("Officials said the storm had moved north overnight, leaving thousands of homes without power "
         "and closing roads across the region until at least Wednesday.")


def test_the_shipped_model_loads_and_scores_prose_above_menus() -> None:
    models = load_models()
    texts = ["Home", "News", "Sport", "Weather", PROSE, PROSE.replace("north", "east"), PROSE[:-1] + " again.",
             "Contact us", "Privacy"]
    x = page_matrix(texts, [False] * len(texts))
    p = models.for_page(x).proba(x)
    assert p.shape == (len(texts),) and ((0 <= p) & (p <= 1)).all()
    assert p[4:7].min() > p[[0, 1, 2, 3, 7, 8]].max()


def test_a_model_for_other_feature_columns_is_refused_with_the_fix() -> None:
    data = json.loads(MODEL_PATH.read_text())
    data["columns"] = data["columns"][:-1]
    with pytest.raises(ValueError, match="retrain"):
        LineModels.from_json(json.dumps(data))


def test_fragmented_pages_use_the_fragments_model() -> None:
    models = load_models()
    fragmented = page_matrix(["The minister told", "reporters on Friday that", "talks would resume."] * 3,
                             [False] * 9)
    blocks = page_matrix([PROSE] * 4, [False] * 4)
    assert models.for_page(fragmented) is models.fragments
    assert models.for_page(blocks) is models.blocks


def test_stack_features_shape() -> None:
    assert stack_features(np.array([0.2, 0.8, 0.5])).shape == (3, 7)
    assert stack_features(np.zeros(0)).shape == (0, 7)
    assert len(COLUMNS) == len(set(COLUMNS))
