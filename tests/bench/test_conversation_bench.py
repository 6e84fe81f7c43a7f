"""Conversation benchmark: opinion groups found in the votes of many residents (PCA, k-means
for 2 to 5 groups judged by the silhouette, consensus, divisive, representative statements).
Prints seconds; asserts only that the planted groups came back.

    MAGNET_BENCH_CONVERSATION_VOTERS=2000 .venv/bin/python -m pytest tests/bench/test_conversation_bench.py -s

The target is under 2 s for 2,000 voters on 50 statements. In the same run, two baselines:
the same pipeline on 200 voters, and a plain numpy SVD of the full matrix (the floor any PCA
pays, on one thread as the pipeline runs), each printed with the ratio to the full run.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from bot.services.conversations.clustering import VoteMatrix, find_opinion_groups
from tests.bot.services.conversations.planted import planted_votes

VOTERS = int(os.environ.get("MAGNET_BENCH_CONVERSATION_VOTERS", "300"))
STATEMENTS = 50
pytestmark = pytest.mark.bench


def _rows(matrix: VoteMatrix) -> list[tuple[str, int, int]]:
    """The votes as the database returns them: (participant, statement id, value)."""
    people, columns = np.nonzero(matrix.seen)
    return [
        (f"{p:032x}", matrix.statement_ids[c], int(matrix.values[p, c]))
        for p, c in zip(people.tolist(), columns.tolist(), strict=True)
    ]


def _pipeline(rows: list[tuple[str, int, int]], ids: tuple[int, ...]):  # type: ignore[no-untyped-def]
    return find_opinion_groups(VoteMatrix.from_votes(rows, ids), min_group=5, seed=0)


def _timed(function, *args, repeat: int = 3):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def test_opinion_groups_of_many_voters() -> None:
    sizes = [VOTERS * 45 // 100, VOTERS * 35 // 100]
    sizes.append(VOTERS - sum(sizes))
    matrix, truth = planted_votes(sizes, STATEMENTS, seed=21, seen=0.7)
    rows = _rows(matrix)
    _pipeline(rows[:500], matrix.statement_ids)  # imports and first calls, not timed

    seconds, opinions = _timed(_pipeline, rows, matrix.statement_ids)
    assert opinions.voters == VOTERS
    assert adjusted_rand_score(truth[: len(opinions.labels)], opinions.labels) >= 0.9

    small_matrix, _ = planted_votes([90, 70, 40], STATEMENTS, seed=21, seen=0.7)
    small_rows = _rows(small_matrix)
    small_seconds, _ = _timed(_pipeline, small_rows, small_matrix.statement_ids)
    centred = matrix.values - matrix.values.mean(axis=0)
    with threadpool_limits(limits=1):  # as the pipeline runs
        svd_seconds, _ = _timed(lambda: np.linalg.svd(centred, full_matrices=False), repeat=10)

    print(
        f"\nconversation: {VOTERS} voters x {STATEMENTS} statements ({len(rows)} votes) -> "
        f"{len(opinions.groups)} groups, silhouette {opinions.silhouette:.2f}: {seconds:.3f} s "
        f"(target < 2 s)"
        f"\n  baseline, same pipeline on 200 voters: {small_seconds:.3f} s "
        f"(full / baseline = {seconds / small_seconds:.1f}x)"
        f"\n  baseline, numpy SVD of the {VOTERS} x {STATEMENTS} matrix: {svd_seconds * 1000:.1f} ms "
        f"(full / SVD = {seconds / svd_seconds:.0f}x)"
    )
