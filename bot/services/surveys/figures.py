"""A digest's figures: what residents answered, at a glance, without exposing anyone.

Every figure resting on fewer than k respondents is suppressed, and so is any other figure
that would let someone work a suppressed one out from the totals (complementary
suppression): in a distribution that adds up to a shown total, hidden cells come at least in
twos and together hold at least k people, or the total is hidden too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain import Bilingual
from bot.services.surveys.definition import Survey

KEY_QUESTIONS = ("intention", "return", "qol_overall", "take_part")
STAY_REASONS = ("reasons_stay",)
LEAVE_REASONS = ("reasons_leave", "reasons_left")
VERY_USEFUL = 3


def suppress(counts: dict[str, int], k: int) -> tuple[dict[str, int | None], bool]:
    """Cells below k hidden, then complementary cells, so none can be worked out from the
    total. Returns the cells (None = hidden) and whether the total may be shown."""
    total = sum(counts.values())
    if total < k:
        return {key: None for key in counts}, False
    hidden = {key for key, n in counts.items() if 0 < n < k}
    while hidden and (len(hidden) == 1 or sum(counts[h] for h in hidden) < k):
        visible = sorted((n, key) for key, n in counts.items() if key not in hidden and n > 0)
        if not visible:
            return {key: None for key in counts}, False
        hidden.add(visible[0][1])
    return {key: (None if key in hidden else n) for key, n in counts.items()}, True


@dataclass(frozen=True)
class Distribution:
    question: str
    total: int | None  # None: hidden
    cells: dict[str, int | None]  # option (or value) -> count, None when hidden


@dataclass(frozen=True)
class LabLine:
    title: Bilingual
    starts_at: datetime
    confirmed: int | None
    checked_in: int | None
    useful_share: int | None  # percent "very useful", None when too few answers


@dataclass
class DigestData:
    survey: Survey
    round_number: int
    completed: int
    partial: int
    change: int | None  # since the last digest
    k: int
    key: list[Distribution] = field(default_factory=list)
    stay: Distribution | None = None
    leave: Distribution | None = None
    municipality: Distribution | None = None
    age_band: Distribution | None = None
    labs: list[LabLine] = field(default_factory=list)
    ideas: list[str] = field(default_factory=list)
    top_ideas: list[Any] = field(default_factory=list)  # ideas (issue 16): bot.services.ideas


def key_answers(survey: Survey, answers: dict[str, list[Any]], k: int) -> list[Distribution]:
    """The key questions' distributions, those that were asked and answered."""
    return [
        _single(survey, code, answers[code], k)
        for code in KEY_QUESTIONS
        if survey.question(code) is not None and answers.get(code)
    ]


def _single(survey: Survey, code: str, values: list[Any], k: int) -> Distribution:
    question = survey.question(code)
    assert question is not None
    options = [o.code for o in question.options] or [str(n) for n in range(1, 6)]
    counts = {option: 0 for option in options}
    for value in values:
        key = str(value)
        counts[key] = counts.get(key, 0) + 1
    cells, show_total = suppress(counts, k)
    return Distribution(code, sum(counts.values()) if show_total else None, cells)


def reasons(
    survey: Survey, codes: tuple[str, ...], answers: dict[str, list[Any]], k: int
) -> Distribution | None:
    """How many respondents named each reason (several per person): below k hidden."""
    asked = [c for c in codes if survey.question(c) is not None and answers.get(c)]
    if not asked:
        return None
    counts: Counter[str] = Counter()
    people = 0
    for code in asked:
        for chosen in answers[code]:
            people += 1
            counts.update(set(chosen))
    if people < k:
        return Distribution(codes[0], None, {})
    cells = {key: (n if n >= k else None) for key, n in counts.most_common()}
    return Distribution(codes[0], people, cells)


def breakdown(name: str, values: list[str], k: int) -> Distribution:
    counts = dict(Counter(values))
    cells, show_total = suppress(counts, k)
    return Distribution(name, len(values) if show_total else None, cells)


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
