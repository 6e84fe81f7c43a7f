"""Coordinators and ideas: approve, reject with a reason or correct a submitted idea (from the
coordinators' group or a private chat), and give a published idea its official answer.

Buttons in the group have no resident behind them in the gate, so each press is checked here
against the presser's roles; typed follow-ups (a reason, a correction, an answer) are asked
for in the coordinator's private chat.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler

from bot.codec import NS, Callback, awaiting, decode, matcher
from bot.context import MagnetContext
from bot.domain import Role
from bot.services.ideas.types import (
    Editable,
    IdeaAwaiting,
    IdeaError,
    IdeaProblem,
    IdeaView,
    Outcome,
)
from handlers.common import answer, escape, keyboard, send, show, stale_button
from handlers.ideas import compose, screens
from handlers.ideas.show import put

log = logging.getLogger(__name__)

Moderation = Callable[[Update, MagnetContext, Callback, int], Awaitable[Any]]


def coordinator_press(action: str, handler: Moderation) -> CallbackQueryHandler:  # type: ignore[type-arg]
    """A coordinator's idea button, wherever it was pressed (their chat or the group)."""

    async def pressed(update: Update, context: MagnetContext) -> None:
        query, user = update.callback_query, update.effective_user
        callback = decode(query.data if query else None)
        idea_id = callback.int_arg(0) if callback else None
        if callback is None or idea_id is None or user is None:
            await stale_button(update, context, "idea moderation button of a forged shape")
            return
        presser = context.resident or await context.services.residents.get(user.id)
        if presser is None or not presser.has_role(Role.COORDINATOR):
            log.warning("idea %s: %s pressed without the coordinator role", idea_id, action)
            await answer(update, context.tr.gettext("Sorry, only coordinators can do that."), True)
            return
        if context.resident is None:  # in the group: word it in the coordinator's language
            context.tr = context.services.i18n.resolve(presser.locale, user.language_code)
        try:
            await handler(update, context, callback, idea_id)
        except IdeaError as exc:
            log.info("idea %s: %s refused: %s", idea_id, action, exc.problem.value)
            if exc.problem == IdeaProblem.STALE:
                await stale_button(update, context, f"idea moderation {callback.args}")
            else:
                await answer(update, screens.problem_text(context.tr, exc), alert=True)

    functools.update_wrapper(pressed, handler)
    return CallbackQueryHandler(pressed, pattern=matcher(NS.IDEA_ADMIN, action))


async def _settled(update: Update, context: MagnetContext, line: str) -> None:
    """The moderation card loses its buttons and says what was decided."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        log.info("moderation card not updated: %s", exc.message)
    await send(update, escape(line))


async def _private(update: Update, context: MagnetContext, text: str, markup=None) -> bool:  # type: ignore[no-untyped-def]
    """A question in the coordinator's private chat; False (and an alert) if it is closed."""
    user = update.effective_user
    assert user is not None
    if context.resident is not None:  # pressed in the private chat itself
        await send(update, text, markup)
        return True
    try:
        await context.bot.send_message(user.id, text, reply_markup=markup)
    except (Forbidden, BadRequest) as exc:
        log.info("coordinator's private chat is closed: %s", exc.message)
        await answer(
            update,
            context.tr.gettext("Please start a private chat with me first, then press again."),
            alert=True,
        )
        return False
    return True


async def approve(update: Update, context: MagnetContext, _: Callback, idea_id: int) -> None:
    await compose.service(context).approve(update.effective_user.id, idea_id)  # type: ignore[union-attr]
    tr = context.tr
    await answer(update, tr.gettext("Approved."))
    await _settled(update, context, tr.gettext("✅ Idea #%(id)d is published.") % {"id": idea_id})


async def reject(update: Update, context: MagnetContext, _: Callback, idea_id: int) -> None:
    user = update.effective_user
    assert user is not None
    ideas = compose.service(context)
    idea = await _pending_view(context, idea_id)
    if await _private(update, context, screens.ask_reason(context.tr, idea)):
        await ideas.ask_reason(user.id, idea_id)
        await answer(update, context.tr.gettext("Write the reason in our private chat."))


async def _pending_view(context: MagnetContext, idea_id: int) -> IdeaView:
    for idea in await compose.service(context).pending():
        if idea.id == idea_id:
            return idea
    raise IdeaError(IdeaProblem.MODERATED, str(idea_id))


async def edit(update: Update, context: MagnetContext, _: Callback, idea_id: int) -> None:
    idea = await _pending_view(context, idea_id)
    screen = screens.edit_menu(context.tr, idea)
    if await _private(update, context, screen.text, screen.markup):
        await answer(update)


async def edit_field(
    update: Update, context: MagnetContext, callback: Callback, idea_id: int
) -> None:
    try:
        field = Editable(callback.arg(1) or "")
    except ValueError:
        raise IdeaError(IdeaProblem.STALE, f"field {callback.args}") from None
    user = update.effective_user
    assert user is not None
    idea = await compose.service(context).ask_edit(user.id, idea_id, field)
    await answer(update)
    await show(update, screens.ask_edit(context.tr, idea, field))


async def show_pending(update: Update, context: MagnetContext, _: Callback, __: int) -> None:
    await answer(update)
    pending = await compose.service(context).pending()
    if not pending:
        await send(update, escape(context.tr.gettext("No ideas are waiting for moderation.")))
    for idea in pending:
        card = screens.Screen(
            screens.notices.card(context.tr, idea),
            keyboard(screens.moderation_rows(context.tr, idea.id)),
            idea.photo_file_id,
        )
        await put(update, card, fresh=True)


async def choose_status(update: Update, context: MagnetContext, _: Callback, idea_id: int) -> None:
    card = await compose.service(context).card(update.effective_user.id, idea_id)  # type: ignore[union-attr]
    await answer(update)
    screen = screens.outcomes(context.tr, card.idea)
    await send(update, screen.text, screen.markup)


async def choose_outcome(
    update: Update, context: MagnetContext, callback: Callback, idea_id: int
) -> None:
    try:
        outcome = Outcome(callback.arg(1) or "")
    except ValueError:
        raise IdeaError(IdeaProblem.STALE, f"outcome {callback.args}") from None
    ideas = compose.service(context)
    card = await ideas.card(update.effective_user.id, idea_id)  # type: ignore[union-attr]
    await answer(update)
    if outcome == Outcome.LAB:
        screen = screens.labs(context.tr, card.idea, await ideas.linkable_labs())
        await show(update, screen.text, screen.markup)
        return
    await _ask_answer(update, context, card.idea, outcome, None)


async def choose_lab(
    update: Update, context: MagnetContext, callback: Callback, idea_id: int
) -> None:
    lab_id = callback.int_arg(1)
    ideas = compose.service(context)
    if lab_id is None or lab_id not in {lab.id for lab in await ideas.linkable_labs()}:
        raise IdeaError(IdeaProblem.STALE, f"lab {callback.args}")
    card = await ideas.card(update.effective_user.id, idea_id)  # type: ignore[union-attr]
    await answer(update)
    await _ask_answer(update, context, card.idea, Outcome.LAB, lab_id)


async def _ask_answer(
    update: Update, context: MagnetContext, idea: IdeaView, outcome: Outcome, lab_id: int | None
) -> None:

    parts: list[object] = [idea.id, outcome.value] + ([lab_id] if lab_id is not None else [])
    await context.services.residents.set_awaiting(
        context.me.telegram_id, awaiting(IdeaAwaiting.ANSWER, *parts)
    )
    await show(update, screens.ask_answer(context.tr, idea, outcome))


# --- typed follow-ups in the coordinator's private chat -----------------------------------


async def _typed(update: Update, context: MagnetContext) -> str | None:
    """The coordinator's typed text; None (after a polite word) for a photo or the like."""
    message = update.effective_message
    assert message is not None
    if not message.text:
        await send(
            update, escape(screens.problem_text(context.tr, IdeaError(IdeaProblem.WANTS_TEXT)))
        )
        return None
    return message.text


async def _as_coordinator(update: Update, context: MagnetContext) -> bool:
    if context.me.has_role(Role.COORDINATOR):
        return True
    await context.services.residents.set_awaiting(context.me.telegram_id, None)
    return False


async def reason_text(update: Update, context: MagnetContext, idea_id: int) -> bool:
    if not await _as_coordinator(update, context):
        return False
    text = await _typed(update, context)
    if text is None:
        return True
    tr = context.tr
    try:
        await compose.service(context).reject(context.me.telegram_id, idea_id, text)
    except IdeaError as exc:
        await send(update, escape(screens.problem_text(tr, exc)))
        if exc.problem == IdeaProblem.MODERATED:
            await context.services.residents.set_awaiting(context.me.telegram_id, None)
        return True
    await send(
        update,
        escape(tr.gettext("✖ Idea #%(id)d is rejected; the author is told why.") % {"id": idea_id}),
    )
    return True


async def edit_text(update: Update, context: MagnetContext, idea_id: int, field: Editable) -> bool:
    if not await _as_coordinator(update, context):
        return False
    text = await _typed(update, context)
    if text is None:
        return True
    tr = context.tr
    try:
        idea = await compose.service(context).edit(context.me.telegram_id, idea_id, field, text)
    except IdeaError as exc:
        await send(update, escape(screens.problem_text(tr, exc)))
        return True
    rows = screens.moderation_rows(tr, idea.id) if idea.status == "pending" else []
    await send(update, escape(tr.gettext("Saved. The idea now reads:")))
    await put(
        update,
        screens.Screen(
            screens.notices.card(tr, idea), keyboard(rows) if rows else None, idea.photo_file_id
        ),
        fresh=True,
    )
    return True


async def answer_text(
    update: Update, context: MagnetContext, idea_id: int, outcome: Outcome, lab_id: int | None
) -> bool:
    if not await _as_coordinator(update, context):
        return False
    text = await _typed(update, context)
    if text is None:
        return True
    try:
        _, told = await compose.service(context).answer(
            context.me.telegram_id, idea_id, outcome, text, lab_id
        )
    except IdeaError as exc:
        await send(update, escape(screens.problem_text(context.tr, exc)))
        if exc.problem != IdeaProblem.TOO_LONG and exc.problem != IdeaProblem.EMPTY:
            await context.services.residents.set_awaiting(context.me.telegram_id, None)
        return True
    await send(update, screens.answered(context.tr, told))
    return True
