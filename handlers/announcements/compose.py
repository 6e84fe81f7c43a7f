"""/announce (/obvesti) and /announcements (/obvestila): coordinators compose, preview, send,
schedule and cancel announcements. The draft lives in the database, step by step."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update

from bot.codec import NS, decode, encode
from bot.context import MagnetContext
from bot.domain import Role
from bot.services.announcements.report import render_progress, render_report
from bot.services.announcements.service import (
    MAX_CAPTION,
    MAX_TEXT,
    AnnouncementError,
    AnnouncementView,
    Audience,
    Compose,
    plain_length,
    plain_text,
)
from bot.timeparse import parse_local_datetime
from handlers import screens
from handlers.announcements.screens import audience_label, prompt
from handlers.common import answer, bold, escape, keyboard, requires_role, send, show, stale_button

log = logging.getLogger(__name__)

TEXT_STEPS = {Compose.TEXT_SL, Compose.TEXT_EN, Compose.SCHEDULE}


@requires_role(Role.COORDINATOR)
async def start_announcement(update: Update, context: MagnetContext) -> None:
    resident = context.resident
    assert resident is not None
    draft, new = await context.services.announcements.start(resident.telegram_id, context.tr.locale)
    await context.services.residents.set_awaiting(resident.telegram_id, "ann")
    if not new:
        await send(
            update,
            escape(context.tr.gettext("You have an unfinished announcement; let's continue it.")),
        )
    await prompt(update, context, draft)


async def _draft_of(context: MagnetContext) -> AnnouncementView | None:
    """The draft of a coordinator who is composing, else None (one query, residents none)."""
    resident = context.resident
    if resident is None or not resident.has_role(Role.COORDINATOR):
        return None
    return await context.services.announcements.draft(resident.telegram_id)


async def compose_text(update: Update, context: MagnetContext) -> bool:
    """Typed input for a coordinator's draft; False if there is no draft to take it."""
    draft = await _draft_of(context)
    if draft is None:
        return False
    resident, message = context.resident, update.effective_message
    assert resident is not None and message is not None and message.text is not None
    service, tr = context.services.announcements, context.tr
    if draft.step not in TEXT_STEPS:
        await send(update, escape(tr.gettext("Please choose one of the options below.")))
        await prompt(update, context, draft)
        return True
    if draft.step == Compose.SCHEDULE:
        await _schedule_at(update, context, draft, message.text)
        return True
    limit = MAX_TEXT - service.footer_length()
    length = plain_length(message.text_html)
    if length > limit:
        text = tr.gettext(
            "The text can be at most %(limit)d characters long; yours has %(length)d. "
            "Please send a shorter one."
        ) % {"limit": limit, "length": length}
        await send(update, escape(text))
        return True
    if draft.step == Compose.TEXT_SL:
        draft = await service.update_draft(
            resident.telegram_id,
            draft.id,
            {Compose.TEXT_SL},
            text_sl=message.text_html,
            step=Compose.TEXT_EN,
        )
    else:
        draft = await service.update_draft(
            resident.telegram_id,
            draft.id,
            {Compose.TEXT_EN},
            text_en=message.text_html,
            step=Compose.PHOTO,
        )
    await prompt(update, context, draft)
    return True


async def compose_photo(update: Update, context: MagnetContext) -> bool:
    """A photo for a coordinator's draft; False if there is no draft (or it is no photo)."""
    message = update.effective_message
    if message is None or not message.photo:
        return False
    draft = await _draft_of(context)
    if draft is None:
        return False
    resident = context.resident
    assert resident is not None
    service, tr = context.services.announcements, context.tr
    if draft.step != Compose.PHOTO:
        await send(update, escape(tr.gettext("Please choose one of the options below.")))
        await prompt(update, context, draft)
        return True
    limit = MAX_CAPTION - service.footer_length()
    longest = max(plain_length(draft.text_sl or ""), plain_length(draft.text_en or ""))
    if longest > limit:
        text = tr.gettext(
            "With a photo, each text can be at most %(limit)d characters long; yours has "
            "%(length)d. Skip the photo, or discard and start again with a shorter text."
        ) % {"limit": limit, "length": longest}
        await send(update, escape(text))
        await prompt(update, context, draft)
        return True
    photo = message.photo[-1]  # the largest size
    draft = await service.update_draft(
        resident.telegram_id,
        draft.id,
        {Compose.PHOTO},
        photo_file_id=photo.file_id,
        step=Compose.AUDIENCE,
    )
    await prompt(update, context, draft)
    return True


async def _schedule_at(
    update: Update, context: MagnetContext, draft: AnnouncementView, text: str
) -> None:
    tr, settings = context.tr, context.services.settings
    now = datetime.now(UTC)
    when = parse_local_datetime(text, now, settings.tz)
    if when is None:
        message = tr.gettext(
            "I couldn't read that as a date and time. Please write it like %(example)s."
        )
        await send(update, escape(message % {"example": "24. 11. 18:00"}))
        return
    if when <= now:
        await send(
            update,
            escape(
                tr.gettext("That moment has already passed. Please choose a time in the future.")
            ),
        )
        return
    assert context.resident is not None
    scheduled = await context.services.announcements.schedule(
        context.resident.telegram_id, draft.id, when
    )
    assert scheduled.scheduled_at is not None
    done = tr.gettext(
        "🕒 Announcement #%(id)d is scheduled for %(when)s. %(list)s shows it and can cancel it."
    ) % {
        "id": scheduled.id,
        "when": tr.when(scheduled.scheduled_at),
        "list": screens.command(tr, "announcements"),
    }
    await send(update, escape(done))


@requires_role(Role.COORDINATOR)
async def announcement_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    resident = context.resident
    assert resident is not None
    if callback is None or not (callback.arg(0) or "").isdigit():
        await stale_button(update, context, "undecodable announcement button")
        return
    aid, value = int(callback.arg(0) or 0), callback.arg(1)
    service, tr, author = context.services.announcements, context.tr, resident.telegram_id
    try:
        if callback.action == "cancel":
            await _cancel(update, context, aid)
            return
        if callback.action == "discard":
            if not await service.discard(author, aid):
                raise AnnouncementError("no such draft")
            await answer(update)
            await show(update, escape(tr.gettext("The announcement is discarded.")))
            return
        draft = await _advance(context, author, aid, callback.action, value)
    except AnnouncementError as exc:
        await stale_button(update, context, f"announcement {aid}: {exc}")
        return
    if draft is None:
        return
    if callback.action == "send":
        await answer(update)
        await _send_now(update, context, draft)
        return
    if callback.action == "vals" and not draft.audience_values:
        await answer(update, tr.gettext("Choose at least one."), alert=True)
        return
    await answer(update)
    await prompt(update, context, draft)


async def _advance(
    context: MagnetContext, author: int, aid: int, action: str, value: str | None
) -> AnnouncementView | None:
    service = context.services.announcements
    if action == "same":
        draft = await service.draft(author)
        text = draft.text_sl if draft else None
        return await service.update_draft(
            author, aid, {Compose.TEXT_EN}, text_en=text, step=Compose.PHOTO
        )
    if action == "nophoto":
        return await service.update_draft(
            author, aid, {Compose.PHOTO}, photo_file_id=None, step=Compose.AUDIENCE
        )
    # Without quiet hours there is nothing to be urgent about: straight to the preview.
    after_audience = (
        Compose.URGENCY if context.services.settings.quiet_hours.strip() else Compose.PREVIEW
    )
    if action == "aud" and value in {a.value for a in Audience}:
        audience = Audience(value or "all")
        step = after_audience if audience == Audience.ALL else Compose.AUDIENCE_VALUES
        return await service.update_draft(
            author, aid, {Compose.AUDIENCE}, audience_kind=audience, audience_values=[], step=step
        )
    if action == "audback":
        return await service.update_draft(
            author, aid, {Compose.AUDIENCE_VALUES}, audience_values=[], step=Compose.AUDIENCE
        )
    if action == "val" and value is not None:
        return await service.toggle_value(author, aid, value)
    if action == "vals":
        draft = await service.draft(author)
        if draft is None or draft.id != aid or draft.step != Compose.AUDIENCE_VALUES:
            raise AnnouncementError("not choosing values")
        if not draft.audience_values:
            return draft
        return await service.update_draft(
            author, aid, {Compose.AUDIENCE_VALUES}, step=after_audience
        )
    if action == "urgent" and value in ("0", "1"):
        return await service.update_draft(
            author, aid, {Compose.URGENCY}, urgent=value == "1", step=Compose.PREVIEW
        )
    if action == "later":
        return await service.update_draft(author, aid, {Compose.PREVIEW}, step=Compose.SCHEDULE)
    if action == "send":
        draft = await service.draft(author)
        if draft is None or draft.id != aid or draft.step != Compose.PREVIEW:
            raise AnnouncementError("not ready to send")
        return draft
    raise AnnouncementError(f"unknown action {action}")


async def _send_now(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    tr, service = context.tr, context.services.announcements
    query = update.callback_query
    assert query is not None and query.message is not None and context.resident is not None
    chat_id, message_id = query.message.chat.id, query.message.message_id
    count = await service.dispatch(context.resident.telegram_id, draft.id, chat_id, message_id)
    progress = await service.progress(draft.id)
    assert progress is not None
    text = render_report(tr, progress) if count == 0 else render_progress(tr, progress, None)
    await show(update, text)


async def _cancel(update: Update, context: MagnetContext, aid: int) -> None:
    tr, service = context.tr, context.services.announcements
    assert context.resident is not None
    try:
        cancelled = await service.cancel(context.resident.telegram_id, aid)
    except AnnouncementError:
        await answer(
            update, tr.gettext("This announcement can no longer be cancelled."), alert=True
        )
        return
    await answer(update, tr.gettext("Cancelled."))
    progress = await service.progress(cancelled.id)
    assert progress is not None and context.services.scheduler is not None
    await context.services.scheduler.show(progress, final=True)
    await list_announcements(update, context)


@requires_role(Role.COORDINATOR)
async def list_announcements(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    active = await context.services.announcements.active()
    if not active:
        await show(update, escape(tr.gettext("There are no scheduled or running announcements.")))
        return
    lines = [bold(tr.gettext("Scheduled and running announcements"))]
    rows = []
    for item in active:
        if item.status == "scheduled" and item.scheduled_at is not None:
            state = tr.gettext("scheduled for %(when)s") % {"when": tr.when(item.scheduled_at)}
        else:
            state = tr.gettext("sending now")
        preview = (item.text(tr.locale) or "").replace("\n", " ")
        lines.append(escape(f"#{item.id} · {state} · {audience_label(tr, item)}"))
        lines.append(f"<i>{escape(_shorten(plain_text(preview), 80))}</i>")
        label = tr.gettext("✖ Cancel #%(id)d") % {"id": item.id}
        rows.append([(label, encode(NS.ANNOUNCE, "cancel", item.id))])
    await show(update, "\n".join(lines), keyboard(rows))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
