"""Composing an announcement on a real database (both backends): each input picks the next step,
and refuses what does not fit the step."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.delivery.quiet import QuietHours
from bot.domain import CONSENT_VERSION, AnnouncementStatus, OutboxStatus
from bot.i18n import I18n
from bot.services.announcements import notices
from bot.services.announcements.service import AnnouncementService
from bot.services.announcements.types import (
    MAX_TEXT,
    AnnouncementError,
    Audience,
    Compose,
    Problem,
    Progress,
    plain_length,
)
from storage.models import OutboxMessage, Resident, utcnow
from storage.repositories import announcements as repo

TZ = ZoneInfo("Europe/Ljubljana")
AUTHOR = 77


def make(sessions, quiet: str = "21:00-08:00") -> AnnouncementService:  # type: ignore[no-untyped-def]
    return AnnouncementService(sessions, I18n(TZ, "sl"), QuietHours.parse(quiet, TZ))


async def add_resident(sessions, telegram_id: int, **fields) -> None:  # type: ignore[no-untyped-def]
    values = {
        "consent_version": CONSENT_VERSION,
        "consented_at": utcnow(),
        "onboarding_step": "done",
        "municipality": "celje",
        "language_code": "sl",
        **fields,
    }
    async with sessions.begin() as session:
        session.add(Resident(telegram_id=telegram_id, **values))


def refused(problem: Problem):  # type: ignore[no-untyped-def]
    return pytest.raises(AnnouncementError, match=f"^{problem.value}")


async def test_each_input_decides_the_next_step(sessions) -> None:  # type: ignore[no-untyped-def]
    drafts = make(sessions).drafts
    draft, new = await drafts.start(AUTHOR, "sl")
    assert new and draft.step == Compose.TEXT_SL
    assert await drafts.start(AUTHOR, "sl") == (draft, False)
    draft = await drafts.set_text(AUTHOR, draft.id, "<b>Zdravo</b>")
    assert (draft.step, draft.text_sl) == (Compose.TEXT_EN, "<b>Zdravo</b>")
    draft = await drafts.set_text(AUTHOR, draft.id, "Hello")
    assert (draft.step, draft.text_en) == (Compose.PHOTO, "Hello")
    draft = await drafts.skip_photo(AUTHOR, draft.id)
    assert draft.step == Compose.AUDIENCE and draft.photo_file_id is None
    draft = await drafts.choose_audience(AUTHOR, draft.id, Audience.TOPIC)
    assert draft.step == Compose.AUDIENCE_VALUES
    with refused(Problem.NOTHING_CHOSEN):
        await drafts.confirm_values(AUTHOR, draft.id)
    with refused(Problem.STALE):
        await drafts.toggle_value(AUTHOR, draft.id, "prebold")  # a municipality, not a topic
    draft = await drafts.toggle_value(AUTHOR, draft.id, "housing")
    draft = await drafts.toggle_value(AUTHOR, draft.id, "energy")
    draft = await drafts.toggle_value(AUTHOR, draft.id, "housing")
    assert draft.audience_values == ("energy",)
    draft = await drafts.back_to_audiences(AUTHOR, draft.id)
    assert (draft.step, draft.audience_values) == (Compose.AUDIENCE, ())
    draft = await drafts.choose_audience(AUTHOR, draft.id, Audience.ALL)
    assert draft.step == Compose.URGENCY  # there are quiet hours
    draft = await drafts.set_urgency(AUTHOR, draft.id, True)
    assert (draft.step, draft.urgent) == (Compose.PREVIEW, True)
    assert await drafts.draft(AUTHOR) == draft


async def test_without_quiet_hours_urgency_is_not_asked(sessions) -> None:  # type: ignore[no-untyped-def]
    drafts = make(sessions, quiet="").drafts
    assert not drafts.asks_urgency
    draft, _ = await drafts.start(AUTHOR, "en")
    draft = await drafts.set_text(AUTHOR, draft.id, "Zdravo")
    draft = await drafts.same_text(AUTHOR, draft.id)
    assert draft.text_en == "Zdravo"
    draft = await drafts.set_photo(AUTHOR, draft.id, "photo-id")
    draft = await drafts.choose_audience(AUTHOR, draft.id, Audience.LANGUAGE)
    draft = await drafts.toggle_value(AUTHOR, draft.id, "en")
    draft = await drafts.confirm_values(AUTHOR, draft.id)
    assert draft.step == Compose.PREVIEW and draft.photo_file_id == "photo-id"


async def test_inputs_that_do_not_fit_the_step_are_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    drafts = make(sessions).drafts
    draft, _ = await drafts.start(AUTHOR, "sl")
    with refused(Problem.WANTS_BUTTON):
        await drafts.set_photo(AUTHOR, draft.id, "photo-id")  # the text comes first
    with refused(Problem.STALE):
        await drafts.skip_photo(AUTHOR, draft.id)  # a later step's button
    with refused(Problem.STALE):
        await drafts.set_text(AUTHOR, draft.id + 1, "x")  # another draft
    limit = drafts.limit(photo=False)
    footers = [notices.footer(I18n(TZ, "sl").get(locale)) for locale in ("sl", "en")]
    assert limit == MAX_TEXT - max(plain_length("\n\n" + f) for f in footers)
    with pytest.raises(AnnouncementError) as too_long:
        await drafts.set_text(AUTHOR, draft.id, "x" * (limit + 1))
    assert too_long.value.problem == Problem.TEXT_TOO_LONG
    assert (too_long.value.limit, too_long.value.length) == (limit, limit + 1)
    draft = await drafts.set_text(AUTHOR, draft.id, "x" * (drafts.limit(photo=True) + 1))
    draft = await drafts.same_text(AUTHOR, draft.id)
    with refused(Problem.CAPTION_TOO_LONG):
        await drafts.set_photo(AUTHOR, draft.id, "photo-id")
    with refused(Problem.WANTS_BUTTON):
        await drafts.set_text(AUTHOR, draft.id, "more text")
    with refused(Problem.STALE):
        await drafts.choose_audience(AUTHOR, draft.id, "nobody")
    await drafts.discard(AUTHOR, draft.id)
    assert await drafts.draft(AUTHOR) is None
    with refused(Problem.STALE):
        await drafts.discard(AUTHOR, draft.id)


async def test_starting_a_draft_takes_the_typed_text_from_other_features(sessions) -> None:  # type: ignore[no-untyped-def]
    await add_resident(sessions, AUTHOR, awaiting="lab")
    await make(sessions).drafts.start(AUTHOR, "sl")
    async with sessions() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.telegram_id == AUTHOR))
        ).scalar_one()
    assert resident.awaiting is None


async def test_the_preview_counts_the_reachable_residents_of_the_audience(sessions) -> None:  # type: ignore[no-untyped-def]
    await add_resident(sessions, 1)
    await add_resident(sessions, 2, language_code="en")
    await add_resident(sessions, 3, municipality="prebold")
    await add_resident(sessions, 4, is_active=False)  # blocked the bot
    await add_resident(sessions, 5, onboarding_step="topics")  # not done yet
    await add_resident(sessions, 6, consent_version=None, consented_at=None)
    drafts = make(sessions).drafts
    draft, _ = await drafts.start(AUTHOR, "sl")
    for step in (
        drafts.set_text(AUTHOR, draft.id, "Celje!"),
        drafts.same_text(AUTHOR, draft.id),
        drafts.skip_photo(AUTHOR, draft.id),
        drafts.choose_audience(AUTHOR, draft.id, Audience.MUNICIPALITY),
        drafts.toggle_value(AUTHOR, draft.id, "celje"),
        drafts.confirm_values(AUTHOR, draft.id),
        drafts.set_urgency(AUTHOR, draft.id, False),
    ):
        draft = await step
    preview = await drafts.preview(draft)
    assert (preview.recipients, preview.by_locale) == (2, {"sl": 1, "en": 1})
    assert preview.bodies["sl"].startswith("Celje!\n\n<i>")
    assert "/nastavitve" in preview.bodies["sl"] and "/settings" in preview.bodies["en"]


async def test_a_scheduled_announcement_is_released_once_with_the_authors_notice(sessions) -> None:  # type: ignore[no-untyped-def]
    await add_resident(sessions, 1)
    service = make(sessions, quiet="")
    drafts, sending = service.drafts, service.sending
    draft, _ = await drafts.start(AUTHOR, "en")
    for step in (
        drafts.set_text(AUTHOR, draft.id, "Tonight"),
        drafts.same_text(AUTHOR, draft.id),
        drafts.skip_photo(AUTHOR, draft.id),
        drafts.choose_audience(AUTHOR, draft.id, Audience.ALL),
        drafts.ask_when(AUTHOR, draft.id),
    ):
        draft = await step
    with refused(Problem.IN_THE_PAST):
        await sending.schedule(AUTHOR, draft.id, utcnow())
    later = utcnow() + timedelta(hours=1)
    scheduled = await sending.schedule(AUTHOR, draft.id, later)
    assert scheduled.status == AnnouncementStatus.SCHEDULED and scheduled.step is None
    assert await sending.due(utcnow()) == []
    assert [a.id for a in await sending.due(later)] == [draft.id]
    assert await sending.release(draft.id) and not await sending.release(draft.id)
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        kinds = [(r.kind, r.chat_id, r.text) for r in rows]
    assert kinds[0] == ("report", AUTHOR, f"📣 Announcement #{draft.id} is going out now…")
    assert kinds[1][:2] == ("announcement", 1) and kinds[1][2].startswith("Tonight\n\n")
    [live] = await sending.active()
    assert live.status == AnnouncementStatus.SENDING
    assert await sending.report(draft.id) is None  # the notice is not sent yet
    cancelled = await sending.cancel(AUTHOR, draft.id)
    assert cancelled.status == AnnouncementStatus.CANCELLED
    with refused(Problem.NOT_CANCELLABLE):
        await sending.cancel(AUTHOR, draft.id)


async def test_the_live_report_turns_into_the_delivery_report(sessions) -> None:  # type: ignore[no-untyped-def]
    i18n = I18n(TZ, "sl")
    tr = i18n.get("en")
    service = make(sessions, quiet="")
    draft, _ = await service.drafts.start(AUTHOR, "en")
    async with sessions.begin() as session:
        await repo.set_report_message(session, draft.id, AUTHOR, 5)
    progress = await service.sending.progress(draft.id)
    assert progress is not None
    running = Progress(
        progress.announcement,
        {OutboxStatus.SENT: 3, OutboxStatus.PENDING: 1},
        recent_rate=1.0,
    )
    assert "⏱ 1.0 messages/s, about 1 s left" in notices.live_report(tr, running, final=False)
    final = notices.live_report(tr, running, final=True)
    assert "delivery report" in final and "✅ Delivered: 3" in final
    report = await service.sending.report(draft.id)
    assert report is not None and (report.chat_id, report.message_id) == (AUTHOR, 5)
    assert not report.final  # a draft is not over
