"""Synthetic votes with planted opinion groups, for the clustering tests and the benchmark."""

from __future__ import annotations

import numpy as np

from bot.services.conversations.clustering import VoteMatrix


def planted_votes(
    sizes: list[int],
    statements: int,
    *,
    seed: int = 7,
    noise: float = 0.1,
    seen: float = 0.8,
    consensus: int = 2,
) -> tuple[VoteMatrix, np.ndarray]:
    """Groups of the given sizes, each with its own stance on every statement, except the
    first `consensus` statements, which everyone agrees with. Each person sees a share
    `seen` of the statements and flips (or passes on) a share `noise` of their votes.
    Returns the matrix and each participant's planted group."""
    rng = np.random.default_rng(seed)
    stances = rng.choice([1, -1], size=(len(sizes), statements))
    stances[:, :consensus] = 1
    # Only the planted consensus is shared by every group.
    same = (stances == stances[:1]).all(axis=0)
    same[:consensus] = False
    if len(sizes) > 1:
        stances[-1, same] *= -1
    # Statement `consensus` divides: the first group agrees, the others disagree.
    if statements > consensus:
        stances[:, consensus] = -1
        stances[0, consensus] = 1
    truth = np.repeat(np.arange(len(sizes)), sizes)
    values = stances[truth].astype(np.float64)
    flip = rng.random(values.shape) < noise
    values[flip] = rng.choice([-1.0, 0.0], size=int(flip.sum()))
    shown = rng.random(values.shape) < seen
    shown[:, : consensus + 1] = True  # everyone sees the consensus and divisive statements
    values[~shown] = 0
    return VoteMatrix(values, shown, tuple(range(1, statements + 1))), truth
