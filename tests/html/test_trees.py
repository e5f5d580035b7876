"""The boosted trees of the HTML combiner: numpy scoring equals scikit-learn's, and survives the model file."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from cleaners.html import combine
from cleaners.html.trees import BoostedTrees


def two_trees() -> BoostedTrees:
    """Tree 0: x0 <= 1.0 ? (leaf 0.5) : (x1 <= -2 ? leaf -1 : leaf 2); NaN in x0 goes right.
    Tree 1: a single leaf 0.25 (padded to tree 0's five nodes)."""
    return BoostedTrees(
        feature=np.array([[0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]),
        threshold=np.array([[1.0, 0, -2.0, 0, 0], [0.0] * 5]),
        missing_left=np.array([[False, False, True, False, False], [False] * 5]),
        left=np.array([[1, 0, 3, 0, 0], [0] * 5]),
        right=np.array([[2, 0, 4, 0, 0], [0] * 5]),
        leaf=np.array([[False, True, False, True, True], [True] * 5]),
        value=np.array([[0, 0.5, 0, -1.0, 2.0], [0.25, 0, 0, 0, 0]]),
        baseline=-0.1, depth=2, features=2)


def test_rows_follow_their_splits_and_sum_the_leaves() -> None:
    x = np.array([[1.0, 9.0],            # x0 == threshold goes left: 0.5
                  [1.5, -2.0],           # right, then x1 == -2 left: -1
                  [3.0, 0.0],            # right, right: 2
                  [np.nan, np.nan]])     # NaN x0 goes right, NaN x1 goes left: -1
    raw = two_trees().raw(x)
    assert raw == pytest.approx([-0.1 + 0.5 + 0.25, -0.1 - 1 + 0.25, -0.1 + 2 + 0.25, -0.1 - 1 + 0.25])
    assert two_trees().proba(x) == pytest.approx(1 / (1 + np.exp(-raw)))
    assert two_trees().raw(np.zeros((0, 2))).shape == (0,)


def test_the_dict_form_drops_padding_and_scores_the_same() -> None:
    trees = two_trees()
    d = json.loads(json.dumps(trees.to_dict()))
    assert [len(row) for row in d["leaf"]] == [5, 1]
    again = BoostedTrees.from_dict(d)
    x = np.random.RandomState(1).randn(50, 2) * 3
    assert np.array_equal(again.raw(x), trees.raw(x))


def test_rows_of_another_width_are_refused() -> None:
    with pytest.raises(ValueError, match="2 feature columns"):
        two_trees().raw(np.zeros((4, 3)))


def test_trees_that_are_one_leaf_each_survive_the_dict_form() -> None:
    trees = BoostedTrees(feature=np.zeros((2, 1), dtype=np.intp), threshold=np.zeros((2, 1)),
                         missing_left=np.zeros((2, 1), dtype=bool), left=np.zeros((2, 1), dtype=np.intp),
                         right=np.zeros((2, 1), dtype=np.intp), leaf=np.ones((2, 1), dtype=bool),
                         value=np.zeros((2, 1)), baseline=0.3, depth=0, features=2)
    again = BoostedTrees.from_dict(json.loads(json.dumps(trees.to_dict())))
    assert again.raw(np.ones((3, 2))) == pytest.approx([0.3] * 3)


def test_exported_scikit_learn_model_scores_identically() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier  # in the test extra for this test
    rng = np.random.RandomState(0)
    x = rng.randn(3000, 6)
    y = ((x[:, 0] + x[:, 1] * x[:, 2] > 0) ^ (rng.rand(3000) < 0.1)).astype(int)
    x[rng.rand(*x.shape) < 0.05] = np.nan
    fitted = HistGradientBoostingClassifier(max_depth=4, max_iter=40, early_stopping=False).fit(x, y)
    trees = BoostedTrees.from_dict(json.loads(json.dumps(BoostedTrees.from_sklearn(fitted).to_dict())))
    test = rng.randn(9000, 6)  # more rows than one chunk
    test[rng.rand(*test.shape) < 0.05] = np.nan
    assert np.abs(trees.proba(test) - fitted.predict_proba(test)[:, 1]).max() < 1e-12
    # a column NaN in training: scikit-learn's +inf thresholds are written as finite (standard JSON)
    x[:, 5] = np.where(rng.rand(3000) < 0.5, np.nan, x[:, 5])
    y = np.isnan(x[:, 5]).astype(int) ^ (rng.rand(3000) < 0.1)
    fitted = HistGradientBoostingClassifier(max_depth=3, max_iter=10, early_stopping=False).fit(x, y)
    text = json.dumps(BoostedTrees.from_sklearn(fitted).to_dict(), allow_nan=False)
    assert np.abs(BoostedTrees.from_dict(json.loads(text)).proba(test) - fitted.predict_proba(test)[:, 1]).max() < 1e-12


def test_combiner_blends_trees_with_its_logistic_stage_and_keeps_them_in_its_file() -> None:
    plain = dataclasses.replace(combine.load_combiner(), trees=None, trees_weight=0.0)
    x = np.random.RandomState(2).rand(30, len(plain.columns))
    # one tree of one leaf: every block's tree score is sigmoid(2)
    leaf = BoostedTrees(feature=np.zeros((1, 1), dtype=np.intp), threshold=np.zeros((1, 1)),
                        missing_left=np.zeros((1, 1), dtype=bool), left=np.zeros((1, 1), dtype=np.intp),
                        right=np.zeros((1, 1), dtype=np.intp), leaf=np.ones((1, 1), dtype=bool),
                        value=np.full((1, 1), 2.0), baseline=0.0, depth=0,
                        features=len(plain.stage2.coef))
    blended = dataclasses.replace(plain, trees=leaf, trees_weight=0.25)
    expect = 0.25 / (1 + np.exp(-2.0)) + 0.75 * plain.proba(x)
    assert blended.proba(x) == pytest.approx(expect)
    assert combine.Combiner.from_json(blended.to_json()).proba(x) == pytest.approx(expect)
    assert combine.Combiner.from_json(plain.to_json()).trees is None
