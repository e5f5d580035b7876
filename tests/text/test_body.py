"""The one-dense-region body locator with scores given by hand."""
from __future__ import annotations

import numpy as np

from cleaners.text.body import LOW_SCORE, OUTSIDE_BODY, locate_body

WORDS = np.array([2, 2, 40, 30, 3, 35, 2, 25, 2], dtype=float)


def test_the_body_is_the_densest_run_and_gaps_inside_it_stay_out_only_when_scored_low() -> None:
    scores = np.array([0.1, 0.2, 0.9, 0.8, 0.35, 0.9, 0.05, 0.7, 0.1])
    body = locate_body(list(range(9)), scores, WORDS, set(range(9)), center=0.5, min_score=0.3)
    assert body.kept == [2, 3, 4, 5, 7]  # 4 scores 0.35: low, but above min_score inside the region
    assert body.removed[6] == LOW_SCORE and body.removed[0] == OUTSIDE_BODY and body.removed[8] == OUTSIDE_BODY
    assert body.start == 2


def test_isolated_body_like_lines_far_from_the_body_are_left_out() -> None:
    scores = np.array([0.8, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1])
    words = np.array([25, 5, 5, 40, 40, 40, 5, 5, 5], dtype=float)
    body = locate_body(list(range(9)), scores, words, set(range(9)), center=0.5, min_score=0.3)
    assert body.kept == [3, 4, 5] and body.removed[0] == OUTSIDE_BODY


def test_lines_that_are_not_candidates_shape_the_region_but_are_never_returned() -> None:
    scores = np.array([0.9, 0.9, 0.0, 0.9])
    words = np.array([30, 30, 30, 30], dtype=float)
    body = locate_body([10, 11, 12, 13], scores, words, {10, 11, 13}, center=0.5, min_score=0.3)
    assert body.kept == [10, 11] and 12 not in body.removed and body.removed[13] == OUTSIDE_BODY


def test_no_candidates_no_body() -> None:
    body = locate_body([1, 2], np.array([0.9, 0.9]), np.array([30.0, 30.0]), set(), 0.5, 0.3)
    assert body.kept == [] and body.start is None
