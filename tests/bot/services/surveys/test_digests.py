"""Digests: the decision views of a stored round, its scrubbed ideas, the lab funnel, the
chart, and when digests are due."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from bot.i18n import I18n
from bot.services.surveys.chart import chart_png
from bot.services.surveys.definition import Role, Survey, load_file, shipped
from bot.services.surveys.digests import DigestConfig, DigestService
from bot.services.surveys.figures import DigestData, suppress
from bot.services.surveys.notices import digest_text
from bot.services.surveys.service import Surveys
from bot.services.surveys.views import DecisionViewService
from bot.timeparse import last_slot, parse_schedule
from storage.models import (
    OutboxMessage,
    SurveyAnswer,
    SurveyFunnel,
    SurveyResponse,
    SurveyRound,
    SurveyVersion,
)
from tests.bot.services.surveys.test_versions_export import V1
from tests.bot.services.surveys.test_views import fixture_survey

TZ = ZoneInfo("Europe/Ljubljana")


def test_primary_and_complementary_suppression() -> None:
    cells, total = suppress({"stay": 6, "maybe": 4, "leave": 1, "unsure": 1}, 5)
    assert cells == {"stay": 6, "maybe": None, "leave": None, "unsure": None} and total
    # One small cell alone could be worked out from the total: the next smallest goes too.
    cells, total = suppress({"stay": 8, "maybe": 6, "leave": 2, "unsure": 0}, 5)
    assert cells == {"stay": 8, "maybe": None, "leave": None, "unsure": 0} and total
    # Two hidden cells that together hold fewer than k people: a third is hidden.
    cells, total = suppress({"a": 9, "b": 7, "c": 2, "d": 1}, 5)
    assert cells["c"] is None and cells["d"] is None and cells["b"] is None and cells["a"] == 9
    # Two cells, one small: both are hidden, only the total is shown.
    cells, total = suppress({"a": 6, "b": 2}, 5)
    assert total and set(cells.values()) == {None}
    # A total below k: nothing at all.
    cells, total = suppress({"a": 3, "b": 1}, 5)
    assert not total and set(cells.values()) == {None}
    # No small cells: everything shown.
    assert suppress({"a": 5, "b": 7}, 5) == ({"a": 5, "b": 7}, True)


async def seed(
    sessions, people: list[dict[str, object]], municipality=None, round_number=None
) -> None:  # type: ignore[no-untyped-def]
    """Completed responses to the latest round (or round `round_number`), as stored."""
    async with sessions.begin() as session:
        version_id = await session.scalar(
            select(SurveyVersion.id).order_by(SurveyVersion.id.desc())
        )
        query = select(SurveyRound.id).order_by(SurveyRound.number.desc())
        if round_number is not None:
            query = query.where(SurveyRound.number == round_number)
        round_id = await session.scalar(query)
        now = datetime.now(UTC)
        # Ids after any response already stored (one answered through the bot, say).
        first = (await session.scalar(select(func.max(SurveyResponse.id)))) or 0
        for i, answers in enumerate(people):
            rid = first + 1 + i
            await session.execute(
                insert(SurveyResponse).values(
                    id=rid,
                    round_id=round_id,
                    version_id=version_id,
                    respondent=f"{rid:032x}",
                    dedupe_hash=None,
                    anonymous=True,
                    status="completed",
                    editing=False,
                    municipality=(municipality or ["celje"])[i % len(municipality or ["celje"])],
                    age_band="18_24" if i % 3 else "25_34",
                    resident_status="employed",
                    started_at=now,
                    updated_at=now,
                    completed_at=now,
                )
            )
            for code, value in answers.items():
                await session.execute(
                    insert(SurveyAnswer).values(
                        response_id=rid,
                        version_id=version_id,
                        question_code=code,
                        value=value,
                        answered_at=now,
                    )
                )


async def ready(sessions, survey: Survey | None = None) -> Surveys:  # type: ignore[no-untyped-def]
    surveys = Surveys(sessions, [survey] if survey else shipped(), I18n(TZ, "sl"), "k")
    await surveys.sync()
    await surveys.rounds.open(1, survey.code if survey else "stay_or_leave")
    return surveys


def digests(sessions, surveys: Surveys, every: int, schedule: str) -> DigestService:  # type: ignore[no-untyped-def]
    config = DigestConfig(-1001, "sl", 5, TZ, every=every, schedule=schedule)
    return DigestService(sessions, I18n(TZ, "sl"), list(surveys.shipped), config)


async def test_a_digest_reads_the_roles_its_stored_version_declares(sessions) -> None:  # type: ignore[no-untyped-def]
    """A survey of its own, recorded as the bot records shipped ones: its key, push and pull
    questions come from its definition, and the previous round gives the trend."""
    survey = fixture_survey()
    surveys = await ready(sessions, survey)
    leaving = {"plans": "go", "why_go": ["flats", "wages"], "mood": 2}
    staying = {"plans": "stay", "why_stay": ["family"], "mood": 4}
    await seed(sessions, [leaving] * 12 + [staying] * 8, municipality=["celje", "prebold"])
    await surveys.rounds.close(1, "decisions")
    await surveys.rounds.open(1, "decisions")
    await seed(
        sessions,
        [staying] * 14 + [leaving] * 10 + [{**staying, "plans": "maybe", "why_go": ["buses"]}] * 2,
        municipality=["celje", "prebold"],
    )
    sender = digests(sessions, surveys, every=0, schedule="")
    data = await sender.gather("decisions")
    assert data is not None and data.round_number == 2 and data.completed == 26
    views = data.views
    assert views.roles_declared and [k.question for k in views.key] == ["plans", "mood"]
    assert views.previous_round == 1 and views.previous_completed == 20
    change = views.key[0].change
    assert (
        change is not None
        and round(change.previous or 0) == 40
        and round(change.current or 0) == 54
    )
    assert [r.question for r in views.push] == ["why_go"] and views.push[0].people == 12
    assert [r.question for r in views.pull] == ["why_stay"]
    text = digest_text(I18n(TZ, "sl").get("sl"), data)
    assert (
        "Ali nameravate ostati?" in text and "ostali bodo: 54 % (Celje 54 %, Prebold 54 %)" in text
    )
    assert "Od 1. kroga: +14 odstotnih točk" in text and "ni jasne spremembe" in text
    assert "V 1. krogu je bilo 20 izpolnjenih anket." in text
    png = chart_png(I18n(TZ, "sl").get("sl"), data)
    assert png is not None and png.startswith(b"\x89PNG")


async def test_a_version_without_roles_gives_counts_only(sessions) -> None:  # type: ignore[no-untyped-def]
    """A round answered with an older definition that declares no roles (the first version of
    the shipped survey): counts, said so."""
    v1, problems = load_file(V1)
    assert v1 is not None and not problems and not any(q.report for q in v1.ordered)
    surveys = await ready(sessions, v1)
    await seed(sessions, [{"lives": "celje", "intention": "stay"}] * 7, municipality=["celje"])
    data = await digests(sessions, surveys, every=0, schedule="").gather("stay_or_leave")
    assert data is not None and data.completed == 7 and not data.views.roles_declared
    text = digest_text(I18n(TZ, "sl").get("sl"), data)
    assert "ne določa, katera vprašanja so ključna" in text and "7 izpolnjenih anket" in text
    assert "• Celje: 7" in text


async def test_a_digest_keeps_shared_ideas_scrubbed(sessions) -> None:  # type: ignore[no-untyped-def]
    surveys = await ready(sessions)
    people = [{"idea": "Piši na ana@example.com za kolesa", "share_idea": "yes"}] * 2 + [
        {"idea": "Ne deli tega", "share_idea": "no"}
    ] * 5
    await seed(sessions, people)
    data = await digests(sessions, surveys, every=0, schedule="").gather("stay_or_leave")
    assert data is not None and data.ideas == ["Piši na […] za kolesa", "Piši na […] za kolesa"]
    text = digest_text(I18n(TZ, "sl").get("sl"), data)
    assert "Ne deli tega" not in text and "ana@example.com" not in text


async def test_lab_suggestions_are_counted_per_round_and_shown_from_k(sessions) -> None:  # type: ignore[no-untyped-def]
    survey = fixture_survey()
    surveys = await ready(sessions, survey)
    service = DecisionViewService(sessions, 5)
    for _ in range(6):
        await service.count_suggested("decisions", 1)
    for _ in range(4):
        await service.count_signed_up("decisions", 1)
    await service.count_suggested("decisions", 99)  # no such round: nothing
    async with sessions() as session:
        rows = (await session.execute(select(SurveyFunnel))).scalars().all()
        assert [(r.suggested, r.signed_up) for r in rows] == [(6, 4)]
    await seed(sessions, [{"plans": "stay", "mood": 3}] * 3 + [{"plans": "go", "mood": 2}] * 3)
    views = await service.decision_views("decisions")
    assert views is not None and views.funnel.suggested == 6 and views.funnel.signed_up is None
    text = digest_text(I18n(TZ, "sl").get("sl"), DigestData(views, 0, None))
    assert "predlagana 6 anketirancem" in text and "manj kot 5 prijav" in text
    await service.count_signed_up("decisions", 1)
    views = await service.decision_views("decisions")
    assert views is not None and views.funnel.signed_up == 5
    assert surveys is not None


async def test_digests_are_due_on_schedule_and_every_n_responses(sessions) -> None:  # type: ignore[no-untyped-def]
    surveys = await ready(sessions)
    sender = digests(sessions, surveys, every=3, schedule="mon 08:00")
    async with sessions() as session:
        opened = (await session.execute(select(SurveyRound.opened_at))).scalar_one()
    # The first Monday 08:00 in Ljubljana after the round opened.
    local = opened.astimezone(TZ)
    day = local.date() + timedelta(days=(7 - local.weekday()) % 7)
    monday = datetime.combine(day, time(8, 0), TZ).astimezone(UTC)
    if monday <= opened:
        monday += timedelta(days=7)
    soon = opened + timedelta(minutes=1)
    # A round that just opened: no digest on the next tick, before anyone could answer.
    assert await sender.tick(soon) == {"digests": 0}
    await seed(sessions, [{"lives": "celje", "intention": "definitely_stay"}] * 2)
    assert await sender.tick(soon) == {"digests": 0}  # 2 new, N is 3
    await seed(sessions, [{"lives": "celje", "intention": "definitely_stay"}])
    assert await sender.tick(soon) == {"digests": 1}  # the third new response
    await seed(sessions, [{"lives": "prebold", "intention": "definitely_leave"}] * 2)
    assert await sender.tick(soon) == {"digests": 0}
    monday += timedelta(minutes=30)
    assert await sender.tick(monday) == {"digests": 1}  # the first Monday 08:00 has come
    assert await sender.tick(monday + timedelta(hours=1)) == {"digests": 0}
    async with sessions() as session:
        rows = list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )
    texts = [r for r in rows if r.attachment is None]
    charts = [r for r in rows if r.attachment is not None]
    assert len(texts) == 2 and {r.chat_id for r in rows} == {-1001}
    assert "+2 od zadnjega povzetka" in texts[1].text
    assert all(c.attachment.startswith(b"\x89PNG") for c in charts)


def test_schedules_as_weekday_and_time_or_crontab() -> None:
    weekly = parse_schedule("mon 08:00", TZ)
    cron = parse_schedule("0 8 * * mon", TZ)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    monday_8 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Ljubljana (CET)
    assert last_slot(weekly, now, TZ) == monday_8 == last_slot(cron, now, TZ)
    summer = datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    assert last_slot(cron, summer, TZ) == datetime(2027, 6, 7, 6, 0, tzinfo=UTC)  # CEST
    assert last_slot(parse_schedule("", TZ), now, TZ) is None
    for bad in ("someday 08:00", "mon eight", "99 * * * *"):
        with pytest.raises(ValueError):
            parse_schedule(bad, TZ)


def test_reasons_name_their_question_and_count_what_is_hidden_once() -> None:
    from bot.services.surveys import wording
    from bot.services.surveys.view_types import Reasons

    tr = I18n(TZ, "sl").get("sl")
    survey = shipped()[0]
    leave = Reasons("reasons_leave", Role.PUSH, None, 12, (("housing", 7), ("pay", 5)))
    left = Reasons("reasons_left", Role.PUSH, None, None, ())
    stay = Reasons("reasons_stay", Role.PULL, None, None, ())
    back = Reasons("bring_back", Role.PULL, None, None, ())
    text = "\n".join(wording.reasons_block(tr, survey, [leave, left, stay, back]))
    assert text.count("Najpogostejši razlogi, da ljudje odidejo") == 1
    assert text.count("Najpogostejši razlogi, da ljudje ostanejo") == 1
    assert "Zaradi česa razmišljate o odhodu?" in text  # the shown question's own words
    assert "Še 1 vprašanje ni prikazano" in text
    assert text.count("Ni prikazano: premalo ljudi") == 1  # both pull questions, one line
    assert "• " in text and "58 %" in text  # 7 of 12


def test_the_same_shared_idea_from_several_people_is_listed_once_with_a_count() -> None:
    from bot.services.surveys.figures import DigestData
    from bot.services.surveys.view_types import DecisionViews

    survey = shipped()[0]
    views = DecisionViews(survey, survey.code, 1, 12, 5, roles_declared=True)
    data = DigestData(views, 0, None, ideas=["Več klopi."] * 3 + ["Kolesarska pot."])
    text = digest_text(I18n(TZ, "sl").get("sl"), data)
    assert text.count("Več klopi.") == 1 and "Več klopi.</i> (×3)" in text
    assert "Kolesarska pot.</i>\n" in text + "\n" and "(×1)" not in text
