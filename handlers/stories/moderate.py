"""Coordinators approve a resident's story (it is then published to followers of its theme) or
reject it with a reason typed in their private chat; the author hears either way."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler

from bot.codec import NS, decode, encode, matcher
from bot.context import MagnetContext
from bot.domain import Role
from bot.services.stories import notices
from bot.services.stories.types import Editable, StoryError, StoryProblem
from handlers.common import answer, escape, keyboard, send, show, stale_button
from handlers.ideas.show import put
from handlers.stories import compose, screens

log = logging.getLogger(__name__)

Moderation = Callable[[Update, MagnetContext, int], Awaitable[Any]]


def coordinator_press(action: str, handler: Moderation) -> CallbackQueryHandler:  # type: ignore[type-arg]
    """A coordinator's story button, in their chat or the group; others are refused."""

    async def pressed(update: Update, context: MagnetContext) -> None:
        query, user = update.callback_query, update.effective_user
        callback = decode(query.data if query else None)
        story_id = callback.int_arg(0) if callback else None
        if story_id is None or user is None:
            await stale_button(update, context, "story moderation button of a forged shape")
            return
        presser = context.resident or await context.services.residents.get(user.id)
        if presser is None or not presser.has_role(Role.COORDINATOR):
            log.warning("story %s: %s pressed without the coordinator role", story_id, action)
            await answer(update, context.tr.gettext("Sorry, only coordinators can do that."), True)
            return
        if context.resident is None:
            context.tr = context.services.i18n.resolve(presser.locale, user.language_code)
        try:
            await handler(update, context, story_id)
        except StoryError as exc:
            log.info("story %s: %s refused: %s", story_id, action, exc.problem.value)
            await answer(update, screens.problem_text(context.tr, exc), alert=True)

    functools.update_wrapper(pressed, handler)
    return CallbackQueryHandler(pressed, pattern=matcher(NS.STORY_ADMIN, action))


async def approve(update: Update, context: MagnetContext, story_id: int) -> None:
    story = await compose.service(context).approve(update.effective_user.id, story_id)  # type: ignore[union-attr]
    tr = context.tr
    await answer(update, tr.gettext("Approved."))
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        log.info("story moderation card not updated: %s", exc.message)
    text = tr.ngettext(
        "📣 Story #%(id)d is published; it is going to %(count)d resident.",
        "📣 Story #%(id)d is published; it is going to %(count)d residents.",
        story.recipients,
    ) % {"id": story.id, "count": story.recipients}
    await send(update, escape(text))


async def reject(update: Update, context: MagnetContext, story_id: int) -> None:
    user = update.effective_user
    assert user is not None
    story = await compose.service(context).ask_reason(user.id, story_id)
    await _ask_privately(update, context, screens.ask_reason(context.tr, story))


async def edit(update: Update, context: MagnetContext, story_id: int) -> None:
    tr = context.tr
    rows = [
        [
            (tr.gettext("Title"), encode(NS.STORY_ADMIN, "edit_field", story_id, Editable.TITLE)),
            (tr.gettext("Text"), encode(NS.STORY_ADMIN, "edit_field", story_id, Editable.TEXT)),
        ]
    ]
    text = tr.gettext("What should be corrected in story #%(id)d?") % {"id": story_id}
    await _ask_privately(update, context, escape(text), keyboard(rows))


async def edit_field(update: Update, context: MagnetContext, story_id: int) -> None:
    query = update.callback_query
    callback = decode(query.data if query else None)
    field = callback.arg(1) if callback else None
    if field not in set(Editable):
        await stale_button(update, context, f"story edit field {field!r}")
        return
    user = update.effective_user
    assert user is not None
    story = await compose.service(context).ask_edit(user.id, story_id, Editable(field))
    current = (
        story.title.get(story.author_locale)
        if field == Editable.TITLE
        else (story.text.get(story.author_locale))
    )
    ask = (
        context.tr.gettext("Send the corrected title of story #%(id)d. Now it reads:")
        if field == Editable.TITLE
        else context.tr.gettext("Send the corrected text of story #%(id)d. Now it reads:")
    )
    await answer(update)
    await show(update, escape(ask % {"id": story_id}) + "\n\n" + escape(current))


async def _ask_privately(  # type: ignore[no-untyped-def]
    update: Update, context: MagnetContext, question: str, markup=None
) -> None:
    """A question in the coordinator's private chat (an alert if that chat is closed)."""
    user = update.effective_user
    assert user is not None
    if context.resident is not None:
        await send(update, question, markup)
        await answer(update)
        return
    try:
        await context.bot.send_message(user.id, question, reply_markup=markup)
    except (Forbidden, BadRequest) as exc:
        log.info("coordinator's private chat is closed: %s", exc.message)
        await context.services.residents.set_awaiting(user.id, None)
        text = context.tr.gettext("Please start a private chat with me first, then press again.")
        await answer(update, text, alert=True)
        return
    await answer(update, context.tr.gettext("Please continue in our private chat."))


async def reason_text(update: Update, context: MagnetContext, story_id: int) -> bool:
    if not context.me.has_role(Role.COORDINATOR):
        await context.services.residents.set_awaiting(context.me.telegram_id, None)
        return False
    message = update.effective_message
    assert message is not None
    tr = context.tr
    if not message.text:
        await send(update, escape(screens.problem_text(tr, StoryError(StoryProblem.WANTS_TEXT))))
        return True
    try:
        await compose.service(context).reject(context.me.telegram_id, story_id, message.text)
    except StoryError as exc:
        await send(update, escape(screens.problem_text(tr, exc)))
        if exc.problem == StoryProblem.MODERATED:
            await context.services.residents.set_awaiting(context.me.telegram_id, None)
        return True
    text = tr.gettext("✖ Story #%(id)d is rejected; the author is told why.") % {"id": story_id}
    await send(update, escape(text))
    return True


async def edit_text(update: Update, context: MagnetContext, story_id: int, field: Editable) -> bool:
    if not context.me.has_role(Role.COORDINATOR):
        await context.services.residents.set_awaiting(context.me.telegram_id, None)
        return False
    message = update.effective_message
    assert message is not None
    tr = context.tr
    if not message.text:
        await send(update, escape(screens.problem_text(tr, StoryError(StoryProblem.WANTS_TEXT))))
        return True
    try:
        story = await compose.service(context).edit(
            context.me.telegram_id, story_id, field, message.text
        )
    except StoryError as exc:
        await send(update, escape(screens.problem_text(tr, exc)))
        if exc.problem == StoryProblem.MODERATED:
            await context.services.residents.set_awaiting(context.me.telegram_id, None)
        return True
    notice = notices.moderation(tr, story)
    rows = [
        [(b["text"], b["callback_data"]) for b in row]
        for row in (notice.reply_markup or {}).get("inline_keyboard", [])
    ]
    await send(update, escape(tr.gettext("Saved. The story now reads:")))
    await put(
        update,
        screens.Screen(notices.text(tr, story), keyboard(rows), story.photo_file_id),
        fresh=True,
    )
    return True
