"""/conversation (/pogovor) for residents: one statement at a time in one message, edited in
place after each vote, and a statement of their own (which a coordinator approves)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.codec import Awaiting, Callback, awaiting
from bot.context import MagnetContext
from bot.services.conversations.types import VOTES, ConversationError, ConversationProblem
from handlers.common import answer, escape, requires_onboarding, send, show, stale_button
from handlers.conversations import screens

log = logging.getLogger(__name__)

WRITING = "convstmt"  # resident.awaiting while a statement is being written


def problem_text(context: MagnetContext, exc: ConversationError) -> str:
    tr = context.tr
    texts = {
        ConversationProblem.NONE_OPEN: tr.gettext(
            "There is no conversation open at the moment. We will let you know when there is one."
        ),
        ConversationProblem.CLOSED: tr.gettext("This conversation is closed."),
        ConversationProblem.ALREADY_VOTED: tr.gettext(
            "Your vote on this statement is already counted. Here is the next one."
        ),
        ConversationProblem.TOO_LONG: tr.ngettext(
            "Your statement is %(count)d character long; please keep it to %(max)d at most.",
            "Your statement is %(count)d characters long; please keep it to %(max)d at most.",
            exc.count,
        )
        % {"count": exc.count, "max": exc.needed},
        ConversationProblem.TOO_SHORT: tr.gettext(
            "Please write a whole statement, at least %(min)d characters long."
        )
        % {"min": exc.needed},
        ConversationProblem.TOO_MANY_PENDING: tr.ngettext(
            "You already have %(count)d statement waiting for a coordinator. Please wait until "
            "it has been read.",
            "You already have %(count)d statements waiting for a coordinator. Please wait until "
            "they have been read.",
            exc.needed,
        )
        % {"count": exc.needed},
    }
    return texts.get(exc.problem, tr.gettext("This button is no longer valid."))


@requires_onboarding
async def show_conversation(update: Update, context: MagnetContext) -> None:
    try:
        card = await context.services.conversations.card(context.me.telegram_id)
    except ConversationError as exc:
        await send(update, escape(problem_text(context, exc)))
        return
    await send(update, *screens.card_screen(context.tr, card))


async def _conversation_id(
    update: Update, context: MagnetContext, callback: Callback
) -> int | None:
    cid = callback.int_arg(0)
    if cid is None:
        await stale_button(update, context, f"conversation {callback.action} {callback.args}")
    return cid


async def _refused(update: Update, context: MagnetContext, exc: ConversationError) -> None:
    if exc.problem == ConversationProblem.UNKNOWN:
        await stale_button(update, context, f"conversation: {exc}")
        return
    if exc.problem == ConversationProblem.CLOSED:
        await answer(update, problem_text(context, exc), alert=True)
        await show(update, *screens.closed_screen(context.tr))
        return
    await answer(update, problem_text(context, exc), alert=True)


@requires_onboarding
async def open_card(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The invitation's button, or "back to voting"."""
    if (cid := await _conversation_id(update, context, callback)) is None:
        return
    try:
        card = await context.services.conversations.card(context.me.telegram_id, cid)
    except ConversationError as exc:
        await _refused(update, context, exc)
        return
    await answer(update)
    await show(update, *screens.card_screen(context.tr, card))


@requires_onboarding
async def cast_vote(update: Update, context: MagnetContext, callback: Callback) -> None:
    cid, sid = callback.int_arg(0), callback.int_arg(1)
    value = VOTES.get(callback.arg(2) or "")
    if cid is None or sid is None or value is None or len(callback.args) != 3:
        await stale_button(update, context, f"vote {callback.args}")
        return
    service = context.services.conversations
    try:
        card = await service.vote(context.me.telegram_id, cid, sid, value)
    except ConversationError as exc:
        if exc.problem != ConversationProblem.ALREADY_VOTED:
            await _refused(update, context, exc)
            return
        # A second tap on the same statement (or an older copy of the card): show where they are.
        log.info("a second vote on statement %s", sid)
        await answer(update, problem_text(context, exc))
        try:
            card = await service.card(context.me.telegram_id, cid)
        except ConversationError as again:
            await _refused(update, context, again)
            return
        await show(update, *screens.card_screen(context.tr, card))
        return
    await answer(update, context.tr.gettext("Counted."))
    await show(update, *screens.card_screen(context.tr, card))


@requires_onboarding
async def write_statement(update: Update, context: MagnetContext, callback: Callback) -> None:
    if (cid := await _conversation_id(update, context, callback)) is None:
        return
    me = context.me
    try:
        view = await context.services.conversations.check_statement(me.telegram_id, cid)
    except ConversationError as exc:
        await _refused(update, context, exc)
        return
    await context.services.residents.set_awaiting(me.telegram_id, awaiting(WRITING, cid))
    await answer(update)
    await show(update, *screens.write_screen(context.tr, view))


@requires_onboarding
async def stop_writing(update: Update, context: MagnetContext, callback: Callback) -> None:
    if (cid := await _conversation_id(update, context, callback)) is None:
        return
    await context.services.residents.set_awaiting(context.me.telegram_id, None)
    await open_card(update, context, Callback(callback.ns, "show", (str(cid),)))


async def statement_text(update: Update, context: MagnetContext, waiting: Awaiting) -> bool:
    """The resident's typed statement (resident.awaiting = convstmt:<conversation>)."""
    message = update.effective_message
    cid = waiting.arg(0)
    if message is None or message.text is None or cid is None or not cid.isdigit():
        return False
    me, tr = context.me, context.tr
    service = context.services.conversations
    try:
        await service.add_statement(me.telegram_id, int(cid), message.text, tr.locale)
    except ConversationError as exc:
        if exc.problem in (ConversationProblem.TOO_LONG, ConversationProblem.TOO_SHORT):
            await send(update, escape(problem_text(context, exc)))  # still waiting for it
            return True
        await context.services.residents.set_awaiting(me.telegram_id, None)
        await send(update, escape(problem_text(context, exc)))
        return True
    await context.services.residents.set_awaiting(me.telegram_id, None)
    log.info("a resident wrote a statement for conversation %s", cid)
    thanks = tr.gettext(
        "Thank you! A coordinator will read your statement; once it is approved, others will "
        "vote on it and I will let you know."
    )
    try:
        card = await service.card(me.telegram_id, int(cid))
    except ConversationError:
        await send(update, escape(thanks))
        return True
    await send(update, *screens.card_screen(tr, card, note=thanks))
    return True
