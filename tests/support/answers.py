"""Made-up answers to any survey question, for benchmarks and tests that seed many responses."""

from __future__ import annotations

import random

from bot.services.surveys.definition import Kind, Question

TEXT = "Več stanovanj za mlade in boljši avtobus."


def random_value(
    question: Question, rng: random.Random, *, picks: tuple[int, int] = (2, 2), text: str = TEXT
) -> object:
    """An answer of the question's kind: an option, `picks` options, 1-5, 0-40 or `text`."""
    if question.type == Kind.SINGLE:
        return rng.choice(question.options).code
    if question.type == Kind.MULTI:
        low, high = picks
        count = low if low == high else rng.randint(low, high)
        return [o.code for o in rng.sample(question.options, count)]
    if question.type == Kind.SCALE:
        return rng.randint(1, 5)
    if question.type == Kind.NUMBER:
        return rng.randint(0, 40)
    return text
