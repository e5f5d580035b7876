"""The grouping on hand-made graphs: a shared paragraph bridges nothing, a copy of a copy meets the original,
earlier runs' articles stay kept, and any method's verified pairs can be grouped (the seam)."""
from __future__ import annotations

import numpy as np

from cleaners.dedup.group import group
from cleaners.dedup.verify import Edges


def edges(*pairs: tuple[int, int, float, float]) -> Edges:
    """(i, j, jaccard, containment) per pair."""
    if not pairs:
        return Edges.empty()
    i, j, jac, cont = (np.array(c) for c in zip(*pairs))
    return Edges(i.astype(np.int64), j.astype(np.int64), jac.astype(float), cont.astype(float))


def accept(*allowed: tuple[int, int, float, float]):  # noqa: ANN201
    """A method's hop verification that passes exactly ``allowed``; records what it was asked."""
    table = {(i, j): (jac, cont) for i, j, jac, cont in allowed}
    asked: list[tuple[int, int]] = []

    def verify(pairs: np.ndarray) -> Edges:
        asked.extend(map(tuple, pairs.tolist()))
        return edges(*[(i, j, *table[(i, j)]) for i, j in pairs.tolist() if (i, j) in table])

    return verify, asked


def test_a_document_sharing_text_with_many_stories_bridges_none_of_them() -> None:
    # rows 0-4: five stories; row 5: a round-up verified with each of them (it quotes them all)
    hub = edges(*[(s, 5, 0.2, 0.85) for s in range(5)])
    verify, _ = accept()
    found = group(6, hub, verify)
    assert found.kept[:5].tolist() == [0, 1, 2, 3, 4], "no story becomes another's duplicate"
    assert found.kept[5] in range(5)


def test_among_kept_neighbours_the_most_similar_wins_then_the_most_contained() -> None:
    found = group(3, edges((0, 2, 0.4, 0.95), (1, 2, 0.7, 0.85)), accept()[0])
    assert found.kept[2] == 1 and found.similarity[2] == 0.7 and found.containment[2] == 0.85


def test_a_copy_of_a_copy_joins_the_original_when_it_meets_it_at_the_floors() -> None:
    # 0 original, 1 its edited copy, 2 a teaser of the copy: no verified pair with the original
    graph = edges((0, 1, 0.6, 0.7), (1, 2, 0.3, 0.9))
    verify, asked = accept((0, 2, 0.25, 0.65))
    found = group(3, graph, verify)
    assert found.kept.tolist() == [0, 0, 0] and found.hops == 1
    assert (found.similarity[2], found.containment[2]) == (0.25, 0.65), "measured against the kept article"
    assert asked == [(0, 2)]


def test_a_copy_of_a_copy_that_does_not_meet_the_original_starts_its_own_story() -> None:
    verify, asked = accept()
    found = group(3, edges((0, 1, 0.6, 0.7), (1, 2, 0.3, 0.9)), verify)
    assert found.kept.tolist() == [0, 0, 2] and found.hops == 0 and asked == [(0, 2)]


def test_a_hop_that_makes_another_row_a_duplicate_is_followed_in_the_next_round() -> None:
    # 3 reaches 0 only through 2, which itself reaches 0 only through 1
    graph = edges((0, 1, 0.6, 0.7), (1, 2, 0.6, 0.7), (2, 3, 0.6, 0.7))
    verify, _ = accept((0, 2, 0.35, 0.6), (0, 3, 0.31, 0.6))
    found = group(4, graph, verify)
    assert found.kept.tolist() == [0, 0, 0, 0] and found.hops == 2


def test_articles_of_earlier_runs_stay_kept_and_new_copies_name_them() -> None:
    found = group(3, edges((0, 2, 0.9, 0.9)), accept()[0], fixed=2)
    assert found.kept.tolist() == [0, 1, 0]


def test_no_pairs_keeps_everything() -> None:
    found = group(4, Edges.empty(), accept()[0])
    assert found.kept.tolist() == [0, 1, 2, 3] and found.similarity.tolist() == [1.0] * 4


def test_a_hop_is_dropped_when_the_copy_it_went_through_moves_to_another_article() -> None:
    """Row 6 reaches 4 through its copy 5 in the first round; then 1 joins 0 by a hop, 3 is kept and 5
    prefers 3. Row 6 must not stay with 4 on the floors alone: no copy of 4 is its neighbour any more."""
    graph = edges((0, 2, 0.9, 0.0), (1, 2, 0.6, 0.0), (1, 3, 0.9, 0.0), (3, 5, 0.9, 0.0), (4, 5, 0.6, 0.0),
                  (5, 6, 0.9, 0.0))
    verify, _ = accept((0, 1, 0.35, 0.0), (4, 6, 0.31, 0.0))
    found = group(7, graph, verify)
    assert found.kept.tolist() == [0, 0, 0, 3, 4, 3, 6]
    for j, k in enumerate(found.kept.tolist()):  # every hop goes through a neighbour that is a copy of k
        if k != j and (k, j) not in {(0, 2), (1, 2), (1, 3), (3, 5), (4, 5), (5, 6)}:
            neighbours = {a for a, b in [(0, 2), (1, 2), (1, 3), (3, 5), (4, 5), (5, 6)] if b == j} | \
                         {b for a, b in [(0, 2), (1, 2), (1, 3), (3, 5), (4, 5), (5, 6)] if a == j}
            assert any(found.kept[x] == k and x != k for x in neighbours), (j, k)
