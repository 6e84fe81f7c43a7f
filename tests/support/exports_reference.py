"""The survey export's rows as they were built before the streamed pivot: an ORM-free but
per-answer reading, kept only so tests can show the streamed export means the same."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.exports import FIXED, Plan, neutral
from bot.services.surveys.definition import Kind
from storage.repositories import surveys as surveys_repo


async def reference_rows(
    sessions: async_sessionmaker[AsyncSession], plan: Plan, batch: int = 7
) -> AsyncIterator[list[Any]]:
    index = {c.name: i for i, c in enumerate(plan.columns)}
    questions = {
        version_id: {q.code: q for q in survey.ordered}
        for version_id, (_, survey) in plan.versions.items()
    }
    number = last_id = 0
    while True:
        async with sessions() as session:
            responses = await surveys_repo.completed_after(session, plan.round_id, last_id, batch)
            if not responses:
                return
            last_id = responses[-1].id
            answers: dict[int, list[Any]] = {}
            for response_id, code, raw, other in await surveys_repo.raw_answers(
                session, [r.id for r in responses]
            ):
                value = json.loads(raw) if isinstance(raw, str) else raw
                answers.setdefault(response_id, []).append((code, value, other))
        for response in responses:
            number += 1
            row: list[Any] = [None] * len(plan.columns)
            completed = response.completed_at
            row[: len(FIXED)] = [
                f"R{number:06d}",
                plan.round_number,
                plan.versions[response.version_id][0],
                completed.date().isoformat() if completed else None,
                response.municipality,
                response.age_band,
                response.resident_status,
            ]
            asked = questions[response.version_id]
            for code, value, other in answers.get(response.id, []):
                question = asked.get(code)
                if question is not None:
                    _fill(row, index, question, value, other)
            yield row


def _fill(row: list[Any], index: dict[str, int], question: Any, value: Any, other: Any) -> None:
    if question.type == Kind.MULTI:
        chosen = set(value or [])
        for code in question.values:
            column = index.get(f"{question.code}.{code}")
            if column is not None:
                row[column] = 1 if code in chosen else 0
    else:
        column = index.get(question.code)
        if column is not None:
            row[column] = neutral(value)
    if other and f"{question.code}.other_text" in index:
        row[index[f"{question.code}.other_text"]] = neutral(other)
