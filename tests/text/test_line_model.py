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


def _trainer():
    """benchmarks/train_line_model.py as a module (it is a script, not part of the package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "train_line_model.py"
    spec = importlib.util.spec_from_file_location("train_line_model", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("url, site", [
    ("https://www.example.org/2024/05/story.html", "example.org"),
    ("http://news.example.co.uk/a", "news.example.co.uk"),
    ("https://web.archive.org/web/20200101000000/https://www.example.de/artikel", "example.de"),
    ("https://web.archive.org/web/2020/example.fr/page", "example.fr"),
    ("hard::some-page.html", "file:hard::some-page.html"),
])
def test_cv_folds_group_pages_by_site(url: str, site: str) -> None:
    assert _trainer().site_of(url) == site


def test_snippet_labels_mark_lines_a_snippet_spans_and_mask_the_rest() -> None:
    lines = ["Menu", "The bridge opened", "on Monday", "after repairs.", "Newsletter", "Footer text", "Both"]
    item = {"with": ["bridge opened on Monday", "Both"], "without": ["Newsletter"], "comments": ["Both"]}
    y, labelled = _trainer().snippet_labels(lines, item)
    assert labelled.tolist() == [False, True, True, False, True, False, False]
    assert y[labelled].tolist() == [1, 1, 0]


def test_snippet_matching_normalises_like_the_scorer() -> None:
    y, labelled = _trainer().snippet_labels(["Ｆｕｌｌ  width\u00a0text"], {"with": ["Full width text"]})
    assert labelled.tolist() == [True] and y.tolist() == [1]


def test_stack_features_are_the_numpy_definitions_numbers() -> None:
    """Compiled, the stacked columns keep numpy's window means and neighbours to the last bit."""
    from cleaners.text.features import window_mean

    def reference(p: np.ndarray) -> np.ndarray:
        return np.column_stack([p, window_mean(p, 1), window_mean(p, 3), window_mean(p, 8), window_mean(p, 20),
                                np.concatenate([[0.0], p[:-1]]), np.concatenate([p[1:], [0.0]])])

    rng = np.random.default_rng(1)
    for n in [*range(1, 60), 200, 1000]:
        for p in (rng.random(n), 1 / (1 + np.exp(-rng.normal(0, 8, n)))):
            got, want = stack_features(p), reference(p)
            assert got.shape == want.shape and (got.view(np.uint64) == want.view(np.uint64)).all(), n
