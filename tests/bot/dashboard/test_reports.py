"""The dashboard's figures read from a real database, on SQLite and PostgreSQL: the survey by
round and group, labs past and upcoming, and each broadcast's reach by language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.dashboard.reports import broadcasts, labs_report
from bot.dashboard.survey_source import Group, survey_figures
from bot.domain import Role
from storage.models import LabRegistration, Resident, SurveyAnswer
from tests.support.announcements import ready_to_send
from tests.support.harness import ADMIN_ID, Harness, eventually, seed_resident
from tests.support.labs import insert_lab
from tests.support.surveys import answer_survey

K = 5


async def test_the_figures_on_both_backends(bot_on: Harness) -> None:
    bot = bot_on
    services = bot.services
    await services.surveys.rounds.open(ADMIN_ID, "stay_or_leave")
    for i in range(7):
        user = await seed_resident(bot, 8400 + i, f"R{i}", "sl" if i < 5 else "en")
        await answer_survey(bot, user.id, anonymous=i % 2 == 0)
    async with services.sessions.begin() as session:
        await session.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.question_code == "idea")
            .values(value="Kolesarska pot. Pišite mi: ana@example.com")
        )
    # The dashboard reads the digest's own decision views (one service, one population table).
    views = services.digests.views
    found = await survey_figures(views, services.sessions, "stay_or_leave", None, None)
    assert found.rounds == [1] and found.views is not None and found.views.completed == 7
    # All respondents of the latest round: exactly the digest's views.
    digest = await services.digests.gather("stay_or_leave")
    assert digest is not None
    assert found.views == digest.views and found.ideas == digest.ideas
    # Shared ideas, as in the digest: contact details stay out.
    assert found.ideas and all("example.com" not in idea for idea in found.ideas)
    assert "Kolesarska pot. Pišite mi: […]" in found.ideas
    group = await survey_figures(
        views, services.sessions, "stay_or_leave", 1, Group.parse("age_band:25_34")
    )
    assert group.views is not None and group.views.completed == 7 and not group.too_small
    assert group.ideas == []  # a group's ideas could tell who wrote them
    missing = await survey_figures(views, services.sessions, "stay_or_leave", 9, None)
    assert missing.views is None and not missing.too_small

    # A past lab with six sign-ups, five who came and five ratings; one upcoming.
    now = datetime.now(UTC)
    past = await insert_lab(services.sessions, starts=now - timedelta(days=3), capacity=10)
    await insert_lab(services.sessions, starts=now + timedelta(days=3), hub="prebold")
    async with services.sessions.begin() as session:
        ids = (await session.execute(select(Resident.id).order_by(Resident.id))).scalars().all()
        for n, resident_id in enumerate(ids[:6]):
            session.add(
                LabRegistration(
                    lab_id=past,
                    resident_id=resident_id,
                    status="confirmed",
                    seats=1,
                    ticket=n + 1,
                    checkin_code=f"C{n:05d}",
                    checked_in_at=now - timedelta(days=3) if n < 5 else None,
                    feedback_useful=3 if n < 4 else (2 if n < 5 else None),
                )
            )
    report = await labs_report(services.sessions, K)
    [upcoming] = report.upcoming
    assert (upcoming.booked, upcoming.waitlist, upcoming.capacity) == (0, 0, 2)
    [lab] = report.past
    assert (lab.confirmed, lab.checked_in, lab.attendance) == (6, 5, 83)
    assert lab.no_shows is None  # one person: not shown
    assert lab.useful == 2.8 and lab.answers == 5
    assert [(g.key, g.labs, g.confirmed) for g in report.by_hub] == [("celje", 1, 6)]

    # A broadcast to everyone: seven residents, five written to in Slovenian.
    await services.roles.grant(ADMIN_ID, 8400, Role.COORDINATOR)
    draft = await ready_to_send(services, 8400, "Večer energetske skupnosti.")
    await services.announcements.sending.dispatch(8400, draft.id, 8400, 1)

    async def delivered() -> bool:
        [found] = await broadcasts(services.sessions, K, "sl")
        return found.reach.delivered == 7

    await eventually(delivered, timeout=30)
    [sent] = await broadcasts(services.sessions, K, "sl")
    assert sent.recipients == 7 and sent.reach.blocked == 0
    assert sent.by_language["sl"].delivered == 5
    assert sent.by_language["en"].delivered is None  # two: not shown
