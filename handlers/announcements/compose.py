"""/announce (/obvesti): a coordinator composes an announcement, previews it, sends or schedules it.

The draft and its step live in the database; the service decides each next step, and these
handlers parse the input and show the step's question.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Update

from bot.codec import Callback
from bot.context import MagnetContext
from bot.domain import Role
from bot.services.announcements.drafts import Drafts
from bot.services.announcements.types import (
    AnnouncementError,
    AnnouncementView,
    Audience,
    Compose,
    Problem,
)
from bot.timeparse import parse_local_datetime
from handlers.announcements import screens
from handlers.announcements.screens import Screen
from handlers.common import ButtonHandler, answer, escape, requires_role, send, show, stale_button

log = logging.getLogger(__name__)

# Steps asked with buttons only: their question replaces the message whose button was pressed.
IN_PLACE = {Compose.AUDIENCE, Compose.AUDIENCE_VALUES, Compose.URGENCY}
# Refused input that the question, asked again, helps with.
ASK_AGAIN = {Problem.WANTS_BUTTON, Problem.CAPTION_TOO_LONG}

DraftAction = Callable[[Update, MagnetContext, int, str | None], Awaitable[None]]


def _drafts(context: MagnetContext) -> Drafts:
    return context.services.announcements.drafts


@requires_role(Role.COORDINATOR)
async def start_announcement(update: Update, context: MagnetContext) -> None:
    draft, new = await _drafts(context).start(context.me.telegram_id, context.tr.locale)
    if not new:
        text = context.tr.gettext("You have an unfinished announcement; let's continue it.")
        await send(update, escape(text))
    await ask(update, context, draft)


async def ask(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    """Ask for whatever the draft needs next."""
    tr, drafts = context.tr, _drafts(context)
    if draft.step == Compose.PREVIEW:
        for screen in screens.preview(tr, await drafts.preview(draft)):
            await _send(update, screen)
        return
    choosing_labs = draft.step == Compose.AUDIENCE_VALUES and draft.audience == Audience.LAB
    labs = await drafts.audience_labs() if choosing_labs else ()
    screen = screens.step(tr, draft, labs=labs, quiet_hours=context.services.settings.quiet_hours)
    if draft.step in IN_PLACE:
        await show(update, screen.text, screen.markup)
    else:
        await _send(update, screen)


async def _send(update: Update, screen: Screen) -> None:
    if screen.photo is None:
        await send(update, screen.text, screen.markup)
        return
    chat = update.effective_chat
    assert chat is not None
    await chat.send_photo(screen.photo, caption=screen.text, reply_markup=screen.markup)


async def _draft_of(context: MagnetContext) -> AnnouncementView | None:
    """The draft of a coordinator who is composing, else None (one query, residents none)."""
    resident = context.resident
    if resident is None or not resident.has_role(Role.COORDINATOR):
        return None
    return await _drafts(context).draft(resident.telegram_id)


async def _refuse_input(
    update: Update, context: MagnetContext, exc: AnnouncementError, draft: AnnouncementView
) -> None:
    await send(update, escape(screens.problem_text(context.tr, exc)))
    if exc.problem in ASK_AGAIN:
        await ask(update, context, draft)


async def compose_text(update: Update, context: MagnetContext) -> bool:
    """Typed input for a coordinator's draft; False if there is no draft to take it."""
    draft = await _draft_of(context)
    if draft is None:
        return False
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        if draft.step == Compose.SCHEDULE:
            scheduled = await _schedule(context, draft, message.text)
            await send(update, screens.scheduled(context.tr, scheduled))
            return True
        changed = await _drafts(context).set_text(
            context.me.telegram_id, draft.id, message.text_html
        )
    except AnnouncementError as exc:
        await _refuse_input(update, context, exc, draft)
        return True
    await ask(update, context, changed)
    return True


async def _schedule(context: MagnetContext, draft: AnnouncementView, text: str) -> AnnouncementView:
    when = parse_local_datetime(text, datetime.now(UTC), context.services.settings.tz)
    if when is None:
        raise AnnouncementError(Problem.NOT_A_DATE, text)
    return await context.services.announcements.sending.schedule(
        context.me.telegram_id, draft.id, when
    )


async def compose_photo(update: Update, context: MagnetContext) -> bool:
    """A photo for a coordinator's draft; False if there is no draft (or it is no photo)."""
    message = update.effective_message
    if message is None or not message.photo:
        return False
    draft = await _draft_of(context)
    if draft is None:
        return False
    largest = message.photo[-1]
    try:
        changed = await _drafts(context).set_photo(
            context.me.telegram_id, draft.id, largest.file_id
        )
    except AnnouncementError as exc:
        await _refuse_input(update, context, exc, draft)
        return True
    await ask(update, context, changed)
    return True


async def refuse(update: Update, context: MagnetContext, exc: AnnouncementError) -> None:
    """A button the announcement's state does not allow."""
    if exc.problem == Problem.STALE:
        await stale_button(update, context, f"announcement: {exc}")
    else:
        await answer(update, screens.problem_text(context.tr, exc), alert=True)


def announcement_button(action: DraftAction) -> ButtonHandler:
    """A coordinator's button about one announcement: its id, then perhaps a value."""

    @requires_role(Role.COORDINATOR)
    @functools.wraps(action)
    async def handle(update: Update, context: MagnetContext, callback: Callback) -> None:
        aid = callback.int_arg(0)
        if aid is None:
            await stale_button(update, context, f"announcement {callback.action} without an id")
            return
        try:
            await action(update, context, aid, callback.arg(1))
        except AnnouncementError as exc:
            await refuse(update, context, exc)

    return handle


async def _next(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    await answer(update)
    await ask(update, context, draft)


@announcement_button
async def same_text(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    await _next(update, context, await _drafts(context).same_text(context.me.telegram_id, aid))


@announcement_button
async def skip_photo(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    await _next(update, context, await _drafts(context).skip_photo(context.me.telegram_id, aid))


@announcement_button
async def choose_audience(
    update: Update, context: MagnetContext, aid: int, kind: str | None
) -> None:
    draft = await _drafts(context).choose_audience(context.me.telegram_id, aid, kind or "")
    await _next(update, context, draft)


@announcement_button
async def change_audience(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    draft = await _drafts(context).back_to_audiences(context.me.telegram_id, aid)
    await _next(update, context, draft)


@announcement_button
async def toggle_value(update: Update, context: MagnetContext, aid: int, value: str | None) -> None:
    draft = await _drafts(context).toggle_value(context.me.telegram_id, aid, value or "")
    await _next(update, context, draft)


@announcement_button
async def confirm_values(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    draft = await _drafts(context).confirm_values(context.me.telegram_id, aid)
    await _next(update, context, draft)


@announcement_button
async def set_urgency(update: Update, context: MagnetContext, aid: int, flag: str | None) -> None:
    if flag not in ("0", "1"):
        raise AnnouncementError(Problem.STALE, f"urgency {flag!r}")
    draft = await _drafts(context).set_urgency(context.me.telegram_id, aid, flag == "1")
    await _next(update, context, draft)


@announcement_button
async def ask_when(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    await _next(update, context, await _drafts(context).ask_when(context.me.telegram_id, aid))


@announcement_button
async def send_now(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    """The preview's summary becomes the live report, which the scheduler then keeps current."""
    query = update.callback_query
    assert query is not None and query.message is not None
    sending = context.services.announcements.sending
    chat_id, message_id = query.message.chat.id, query.message.message_id
    await sending.dispatch(context.me.telegram_id, aid, chat_id, message_id)
    await answer(update)
    report = await sending.report(aid)
    assert report is not None
    await show(update, report.text)


@announcement_button
async def discard(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    await _drafts(context).discard(context.me.telegram_id, aid)
    await answer(update)
    await show(update, escape(context.tr.gettext("The announcement is discarded.")))
