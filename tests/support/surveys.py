"""Survey answers given straight through the services (the flow itself has its own tests)."""

from __future__ import annotations

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
