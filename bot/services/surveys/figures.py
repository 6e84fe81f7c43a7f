"""A digest's figures beside the decision views: recent labs' attendance, each shown from k.
(The survey's figures are the decision views, `bot.services.surveys.views`; the rules that keep
them k-safe are in `bot.services.surveys.protect`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain import Bilingual
from bot.services.surveys.definition import Survey
from bot.services.surveys.protect import suppress
from bot.services.surveys.views import DecisionViews

__all__ = ["DigestData", "LabLine", "attendance", "suppress"]

VERY_USEFUL = 3


@dataclass(frozen=True)
class LabLine:
    title: Bilingual
    starts_at: datetime
    confirmed: int | None
    checked_in: int | None
    useful_share: int | None  # percent "very useful", None when too few answers


@dataclass
class DigestData:
    """A digest: the round's decision views, with what only the digest says (the change in
    counts since the last digest, unfinished responses, recent labs, shared ideas)."""

    views: DecisionViews
    partial: int
    change: int | None  # since the last digest
    labs: list[LabLine] = field(default_factory=list)
    ideas: list[str] = field(default_factory=list)
    top_ideas: list[Any] = field(default_factory=list)  # the week's most supported ideas
    network: list[Any] = field(default_factory=list)  # beside the peer towns (Comparison)

    @property
    def survey(self) -> Survey:
        return self.views.survey

    @property
    def round_number(self) -> int:
        return self.views.round_number

    @property
    def completed(self) -> int:
        return self.views.completed

    @property
    def k(self) -> int:
        return self.views.k


def attendance(
    title: Bilingual,
    starts_at: datetime,
    checked_in: list[bool],
    ratings: list[int],
    k: int,
) -> LabLine:
    """One lab's sign-ups, check-ins and share of "very useful" ratings, each shown from k."""
    confirmed, came = len(checked_in), sum(checked_in)
    useful = round(100 * ratings.count(VERY_USEFUL) / len(ratings)) if len(ratings) >= k else None
    return LabLine(
        title,
        starts_at,
        confirmed if confirmed >= k else None,
        came if came >= k else None,
        useful,
    )
