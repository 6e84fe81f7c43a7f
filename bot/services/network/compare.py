"""Our town beside the network: for each question harmonised by code (the same question code,
the same option codes and the same headline options), our headline share, the median of all
towns that show one, and each peer's."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TownShare:
    code: str
    name: str
    share: float | None  # percent; None where the town shows no figure (or too few)
    total: int | None


@dataclass(frozen=True)
class Comparison:
    survey: str
    question: str
    ours: TownShare
    median: float | None  # of every town with a share, ours included
    peers: tuple[TownShare, ...]

    @property
    def towns_shown(self) -> int:
        return sum(t.share is not None for t in (self.ours, *self.peers))


def _questions(payload: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Question code -> (survey code, entry); a code in two surveys counts in the first."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for survey in payload.get("surveys", []):
        for question in survey["questions"]:
            found.setdefault(question["code"], (survey["code"], question))
    return found


def _signature(question: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]] | None:
    headline = question.get("headline")
    options = frozenset(question["options"])
    return (options, frozenset(headline["options"])) if headline else (options, frozenset())


def _share(question: dict[str, Any] | None, k: int) -> tuple[float | None, int | None]:
    """The headline share, if the town shows one resting on at least our k answers."""
    if question is None or "headline" not in question or question["total"] < k:
        return None, None
    return 100 * question["headline"]["count"] / question["total"], question["total"]


def compare(
    ours: dict[str, Any], peers: Sequence[tuple[str, str, dict[str, Any]]], k: int
) -> list[Comparison]:
    """Our payload beside each peer's (code, name, payload), question by question, in our
    order; a question compares only where its codes agree, and only headline shares are set
    side by side. Questions no peer shares are left out."""
    mine = _questions(ours)
    theirs = [(code, name, _questions(payload)) for code, name, payload in peers]
    rows = []
    for code, (survey, question) in mine.items():
        if "headline" not in question:
            continue
        wanted = _signature(question)
        shares = []
        for peer_code, name, questions in theirs:
            other = questions.get(code)
            same = other is not None and _signature(other[1]) == wanted
            share, total = _share(other[1] if same and other else None, k)
            shares.append(TownShare(peer_code, name, share, total))
        if not any(s.share is not None for s in shares):
            continue
        own_share, own_total = _share(question, k)
        town = ours["town"]
        us = TownShare(town["code"], town["name"], own_share, own_total)
        values = [t.share for t in (us, *shares) if t.share is not None]
        rows.append(
            Comparison(
                survey, code, us, statistics.median(values) if values else None, tuple(shares)
            )
        )
    return rows
