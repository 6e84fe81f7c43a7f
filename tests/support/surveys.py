"""Survey answers given straight through the services (the flow itself has its own tests)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.services.surveys.definition import Survey
from storage.models import SurveyAnswer, SurveyResponse, SurveyVersion
from storage.repositories import surveys as surveys_repo
from tests.support.harness import Harness


async def answer_survey(bot: Harness, telegram_id: int, anonymous: bool) -> None:
    """A quick response through the service (the survey flow has its own tests)."""
    svc = bot.services.surveys.responses
    position = await svc.begin("stay_or_leave", telegram_id, anonymous=anonymous)
    while position.question is not None:
        q = position.question
        ordinal = position.ordinal(q)
        if q.type.value in ("single", "multi"):
            position = await svc.choose(
                "stay_or_leave", telegram_id, position.version_id, ordinal, 0
            )
            if q.type.value == "multi":
                position = await svc.done(
                    "stay_or_leave", telegram_id, position.version_id, ordinal
                )
        elif q.type.value == "scale":
            position = await svc.choose(
                "stay_or_leave", telegram_id, position.version_id, ordinal, 3
            )
        elif q.type.value == "number":
            position = await svc.type_in("stay_or_leave", telegram_id, "7")
        else:
            position = await svc.type_in("stay_or_leave", telegram_id, "Več zelenja.")
    await svc.submit("stay_or_leave", telegram_id, position.version_id)


async def seed_completed(
    sessions,  # type: ignore[no-untyped-def]
    code: str,
    definition: Survey,
    people: list[tuple[str | None, str | None, dict[str, Any]]],
) -> None:
    """Completed responses (municipality, age band, answers) in the survey's latest round,
    given to `definition` recorded as a version of `code`: a round answered with a survey
    that declares its own roles, whatever the shipped one says."""
    data = {**definition.model_dump(mode="json", by_alias=True), "code": code}
    as_code = Survey.model_validate(data)
    async with sessions.begin() as session:
        await surveys_repo.add_version_if_new(session, code, as_code.checksum(), data)
        version = await session.scalar(
            select(SurveyVersion).where(
                SurveyVersion.survey_code == code, SurveyVersion.checksum == as_code.checksum()
            )
        )
        round_ = await surveys_repo.last_round(session, code)
        assert version is not None and round_ is not None
        now = datetime.now(UTC)
        for municipality, age_band, answers in people:
            response = SurveyResponse(
                round_id=round_.id,
                version_id=version.id,
                respondent=secrets.token_hex(16),
                anonymous=True,
                status="completed",
                municipality=municipality,
                age_band=age_band,
                resident_status="employed",
                completed_at=now,
            )
            session.add(response)
            await session.flush()
            for question, value in answers.items():
                session.add(
                    SurveyAnswer(
                        response_id=response.id,
                        version_id=version.id,
                        question_code=question,
                        value=value,
                        answered_at=now,
                    )
                )
