"""From the survey to the labs: the lab suggested at the end of the survey is counted per
round, and so is a sign-up from it, with nothing that ties either to the answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.codec import decode
from storage.models import SurveyFunnel
from tests.support.harness import ADMIN_ID, Harness, seed_resident
from tests.support.labs import insert_lab

CODE = "stay_or_leave"


async def answer_all_but_submit(bot: Harness, telegram_id: int) -> None:
    """Through the service up to the summary, choosing the first option of each question
    (the shipped survey's first reasons point to housing)."""
    svc = bot.services.surveys.responses
    position = await svc.begin(CODE, telegram_id, anonymous=True)
    while position.question is not None:
        q, ordinal = position.question, position.ordinal(position.question)
        if q.type.value in ("single", "multi", "scale"):
            pick = 3 if q.type.value == "scale" else 0
            position = await svc.choose(CODE, telegram_id, position.version_id, ordinal, pick)
            if q.type.value == "multi":
                position = await svc.done(CODE, telegram_id, position.version_id, ordinal)
        elif q.type.value == "number":
            position = await svc.type_in(CODE, telegram_id, "7")
        else:
            position = await svc.type_in(CODE, telegram_id, "Več zelenja.")


async def funnel(bot: Harness) -> tuple[int, int]:
    async with bot.services.sessions() as session:
        row = (await session.execute(select(SurveyFunnel))).scalar_one_or_none()
    return (row.suggested, row.signed_up) if row else (0, 0)


async def test_the_suggestion_and_a_sign_up_from_it_are_counted(bot: Harness) -> None:
    await bot.services.surveys.rounds.open(ADMIN_ID, CODE)
    lab_id = await insert_lab(
        bot.services.sessions, starts=datetime.now(UTC) + timedelta(days=5), capacity=10
    )
    ana = await seed_resident(bot, 801, "Ana", "sl")
    await answer_all_but_submit(bot, ana.id)
    await ana.send("/anketa")  # back at the summary
    await ana.click("✅ Oddaj")
    assert "Bi se je udeležili?" in ana.last.text  # the answers point to housing
    assert await funnel(bot) == (1, 0)
    _, data = ana.find_button("✍️ Prijava")
    callback = decode(data)
    assert callback is not None and callback.ns == "survey" and callback.action == "join"
    assert callback.args[0] == "1"  # the round, not the response
    await ana.click("✍️ Prijava")
    assert (await bot.services.labs.registration(lab_id, ana.id)).status == "confirmed"
    assert await funnel(bot) == (1, 1)
    # A second tap signs no one up again, and counts nothing more.
    await ana.click("✍️ Prijava", ana.last, data=data)
    assert await funnel(bot) == (1, 1)
    # A forged suggestion button is refused politely.
    await ana.click("x", ana.last, data="survey:v1:join:1:x:1")
    assert [e.text for e in ana.events() if e.kind == "callback_answer"][-1] == (
        "Ta gumb ni več veljaven."
    )
    assert await funnel(bot) == (1, 1)
