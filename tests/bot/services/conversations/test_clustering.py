"""Opinion groups on synthetic votes with planted groups: recovered, described, k-suppressed."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from bot.services.conversations.clustering import (
    AGREE,
    VoteMatrix,
    find_opinion_groups,
)
from tests.bot.services.conversations.planted import planted_votes


def test_planted_groups_are_recovered() -> None:
    matrix, truth = planted_votes([120, 80, 50], 30, seed=3)
    opinions = find_opinion_groups(matrix, min_group=5, seed=0)
    assert len(opinions.groups) == 3
    assert adjusted_rand_score(truth, opinions.labels) >= 0.9
    assert [g.size for g in opinions.groups] == sorted(
        (g.size for g in opinions.groups), reverse=True
    )
    assert opinions.silhouette is not None and opinions.silhouette > 0.3


def test_two_groups_with_sparse_voters_excluded() -> None:
    matrix, truth = planted_votes([60, 60], 20, seed=11, seen=0.9)
    # Ten people who voted on only three statements each: not placed on the map.
    values = np.zeros((10, 20))
    seen = np.zeros((10, 20), dtype=bool)
    values[:, 5:8], seen[:, 5:8] = 1, True
    sparse = VoteMatrix(
        np.vstack([matrix.values, values]), np.vstack([matrix.seen, seen]), matrix.statement_ids
    )
    opinions = find_opinion_groups(sparse, min_group=5, seed=0)
    assert opinions.voters == 130 and opinions.clustered == 120 and opinions.excluded == 10
    assert len(opinions.groups) == 2
    assert adjusted_rand_score(truth, opinions.labels) >= 0.9


def test_consensus_and_divisive_statements_are_found() -> None:
    matrix, truth = planted_votes([100, 70, 40], 25, seed=5, consensus=2)
    opinions = find_opinion_groups(matrix, min_group=5, seed=0)
    consensus = {r.statement_id for r in opinions.consensus}
    assert consensus == {1, 2}
    assert all(r.direction == AGREE for r in opinions.consensus)
    assert opinions.divisive
    for result in opinions.divisive:
        # In the planted truth, some group mostly agrees and another mostly disagrees.
        column = matrix.statement_ids.index(result.statement_id)
        means = [matrix.values[truth == g, column].mean() for g in range(3)]
        assert max(means) > 0.5 and min(means) < -0.5, (result.statement_id, means)
        shares = [t.agree_share for t in result.groups]
        assert max(shares) - min(shares) >= 0.5
    assert not consensus & {r.statement_id for r in opinions.divisive}


def test_each_group_has_statements_that_set_it_apart() -> None:
    matrix, _ = planted_votes([90, 90], 20, seed=9)
    opinions = find_opinion_groups(matrix, min_group=5, seed=0)
    assert len(opinions.groups) == 2
    for index, group in enumerate(opinions.groups):
        assert group.representative, group
        for result in group.representative:
            column = matrix.statement_ids.index(result.statement_id)
            members = opinions.labels == index
            inside = (matrix.values[members, column] == result.direction).mean()
            outside = (matrix.values[~members, column] == result.direction).mean()
            assert inside > outside + 0.3


def test_a_group_smaller_than_k_is_merged_and_counted() -> None:
    matrix, _ = planted_votes([60, 50, 3], 25, seed=13, noise=0.02)
    opinions = find_opinion_groups(matrix, min_group=5, seed=0)
    assert all(g.size >= 5 for g in opinions.groups)
    assert len(opinions.groups) == 2
    assert opinions.merged == 3
    assert sum(g.size for g in opinions.groups) == 113


def test_fewer_than_k_people_describe_no_group() -> None:
    matrix, _ = planted_votes([2, 2], 10, seed=1)
    opinions = find_opinion_groups(matrix, min_group=5, seed=0)
    assert opinions.groups == () and opinions.withheld == 4
    assert opinions.consensus == () and opinions.divisive == ()


def test_the_matrix_is_built_from_vote_rows() -> None:
    rows = [("p1", 10, 1), ("p1", 11, -1), ("p2", 11, 0), ("p2", 99, 1)]
    matrix = VoteMatrix.from_votes(rows, [10, 11, 12])
    assert matrix.participants == 2
    assert matrix.values.tolist() == [[1, -1, 0], [0, 0, 0]]
    assert matrix.seen.tolist() == [[True, True, False], [False, True, False]]
    empty = find_opinion_groups(VoteMatrix.from_votes([], [1, 2]), min_group=5)
    assert empty.voters == 0 and empty.groups == ()
