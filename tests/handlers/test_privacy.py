"""/mydata and /forget end to end: everything is shown, then erased; seats pass on, anonymous
answers and aggregates stay; withdrawing consent erases the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.models import (
    AuditEntry,
    LabRegistration,
    OutboxMessage,
    Resident,
    SurveyAnswer,
    SurveyResponse,
)
from tests.support.harness import Harness, seed_resident
from tests.support.labs import insert_lab
from tests.support.surveys import answer_survey


async def aggregates(bot: Harness) -> list[tuple[str, str]]:
    async with bot.services.sessions() as session:
        rows = await session.execute(
            select(SurveyAnswer.question_code, SurveyAnswer.value).order_by(SurveyAnswer.id)
        )
        return [(code, json.dumps(value)) for code, value in rows.all()]


async def test_mydata_then_forget(bot: Harness) -> None:
    ana = await seed_resident(bot, 901, "Ana", "sl", topics=("housing",))
    ben = await seed_resident(bot, 902, "Ben", "en")
    lab_id = await insert_lab(
        bot.services.sessions, starts=datetime.now(UTC) + timedelta(days=3), capacity=1
    )
    await bot.services.labs.sign_up(lab_id, ana.id)
    await bot.services.labs.sign_up(lab_id, ben.id)  # waiting for Ana's seat
    await bot.services.surveys.rounds.open(1, "stay_or_leave")
    await answer_survey(bot, ana.id, anonymous=False)
    before = await aggregates(bot)

    await ana.send("/moji_podatki")
    document = ana.last.document
    assert document.name == "magnet-my-data.json" and "/pozabi" in ana.last.caption
    data = json.loads(document.data)
    assert data["telegram_id"] == ana.id
    assert data["profile"]["municipality"] == "celje" and data["profile"]["topics"] == ["housing"]
    assert data["lab_registrations"][0]["status"] == "confirmed"
    assert data["survey_responses"][0]["answers"]["idea"] == "Več zelenja."

    await ana.send("/pozabi")
    await ana.click("Ne, obdrži")
    assert "Nič ni bilo izbrisano." in ana.last.text
    await ana.send("/pozabi")
    await ana.click("🗑 Da, izbriši vse")
    assert "vsi vaši podatki so izbrisani" in ana.last.text
    await ben.wait_for_message("A seat has come free")  # her seat went to the waitlist

    async with bot.services.sessions() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.telegram_id == ana.id))
        ).scalar_one_or_none()
        regs = (await session.execute(select(LabRegistration.resident_id))).scalars().all()
        response = (await session.execute(select(SurveyResponse))).scalar_one()
        queued = await session.scalar(select(func.count()).where(OutboxMessage.chat_id == ana.id))
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert resident is None  # nothing personal remains
    assert len(regs) == 1  # only Ben's
    assert response.resident_id is None and response.anonymous and response.status == "completed"
    assert queued == 0
    assert "privacy.export" in actions and "privacy.forget" in actions
    assert await aggregates(bot) == before  # the anonymous answers are unchanged
    # Coming back: a bare row, as for anyone new; the old answers are not hers any more.
    await ana.send("/moji_podatki")
    again = json.loads(ana.last.document.data)
    assert again["profile"]["consent_version"] is None and again["survey_responses"] == []


async def test_withdrawing_consent_erases_the_same(bot: Harness) -> None:
    ana = await seed_resident(bot, 911, "Ana", "sl")
    lab_id = await insert_lab(
        bot.services.sessions, starts=datetime.now(UTC) + timedelta(days=3), capacity=5
    )
    await bot.services.labs.sign_up(lab_id, ana.id)
    await bot.services.surveys.rounds.open(1, "stay_or_leave")
    await bot.services.surveys.responses.begin(
        "stay_or_leave", ana.id, anonymous=False
    )  # unfinished
    await ana.send("/nastavitve")
    await ana.click("Prekliči soglasje")
    await ana.click("Da, prekliči")
    async with bot.services.sessions() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.telegram_id == ana.id))
        ).scalar_one()
        regs = await session.scalar(select(func.count()).select_from(LabRegistration))
        responses = await session.scalar(select(func.count()).select_from(SurveyResponse))
    assert resident.consent_version is None and resident.municipality is None
    assert regs == 0 and responses == 0
    assert await bot.services.lab_records.invariant(lab_id) == (0, 0)


async def test_a_coordinator_who_forgets_leaves_no_trace_and_no_role(bot: Harness) -> None:
    from tests.support.harness import ADMIN_ID
    from tests.support.scan import find_traces

    cvetka = await seed_resident(bot, 987654321, "Cvetka", "sl")
    admin = bot.user(ADMIN_ID, "Maja", "sl")
    await admin.send("/dodeli 987654321 koordinator")
    await cvetka.send("/obvesti")  # a draft announcement under her id
    await cvetka.send("/moji_podatki")  # audit-logged under her id
    assert json.loads(cvetka.last.document.data)["roles"][0]["role"] == "coordinator"
    await cvetka.send("/pozabi")
    await cvetka.click("🗑 Da, izbriši vse")
    assert await bot.services.roles.list_grants() == []
    assert await find_traces(bot.services.sessions, ["987654321", "Cvetka"]) == []


async def test_after_forget_nothing_links_a_person_to_their_anonymous_answers(bot: Harness) -> None:
    """Even with the hash key, a copy of the database cannot find whose answers are whose:
    finished responses carry no hash, and /forget erases the record that they took part."""
    from storage.models import SurveyParticipation
    from tests.support.scan import find_traces

    dora = await seed_resident(bot, 123456789, "Dora", "sl")
    await bot.services.surveys.rounds.open(1, "stay_or_leave")
    await answer_survey(bot, dora.id, anonymous=True)
    await dora.send("/moji_podatki")
    data = json.loads(dora.last.document.data)
    assert data["survey_rounds_taken_part_in"] == [{"survey": "stay_or_leave", "round": 1}]
    assert data["survey_responses"] == []  # anonymous: not listed as hers
    before = await aggregates(bot)
    await dora.send("/pozabi")
    await dora.click("🗑 Da, izbriši vse")
    async with bot.services.sessions() as session:
        (response,) = (await session.execute(select(SurveyResponse))).scalars().all()
        taken = (await session.execute(select(SurveyParticipation))).scalars().all()
    assert response.dedupe_hash is None and response.resident_id is None
    assert taken == []
    assert await find_traces(bot.services.sessions, ["123456789", "Dora"]) == []
    assert await aggregates(bot) == before


async def test_forget_during_a_lab_that_has_started_hands_back_the_seat(bot: Harness) -> None:
    """A started lab cancels no sign-up the normal way; its seat counter must still be right."""
    eva = await seed_resident(bot, 1301, "Eva", "sl")
    lab_id = await insert_lab(
        bot.services.sessions, starts=datetime.now(UTC) + timedelta(days=1), capacity=5
    )
    await bot.services.labs.sign_up(lab_id, eva.id)
    async with bot.services.sessions.begin() as session:  # the lab began an hour ago
        from sqlalchemy import update

        from storage.models import Lab

        await session.execute(
            update(Lab)
            .where(Lab.id == lab_id)
            .values(starts_at=datetime.now(UTC) - timedelta(hours=1))
        )
    await eva.send("/pozabi")
    await eva.click("🗑 Da, izbriši vse")
    assert await bot.services.lab_records.invariant(lab_id) == (0, 0)
