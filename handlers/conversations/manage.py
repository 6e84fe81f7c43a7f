"""/conversations (/pogovori) for coordinators: open one from a YAML or CSV file, invite
residents, see the opinion groups so far, close and send the results; and the moderation of
residents' statements, in the coordinators' group (or a coordinator's private chat)."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.codec import Callback, decode
from bot.context import MagnetContext
from bot.domain import Role
from bot.services.conversations import notices
from bot.services.conversations.seeds import SeedError, parse_seed
from bot.services.conversations.service import Analysis
from bot.services.conversations.types import ConversationError, ConversationProblem
from handlers.common import answer, escape, requires_role, send, show, stale_button
from handlers.conversations import screens
from handlers.conversations.vote import problem_text

log = logging.getLogger(__name__)

FILE_MAX = 256 * 1024  # a seed file is a few kilobytes


@requires_role(Role.COORDINATOR)
async def list_conversations(update: Update, context: MagnetContext) -> None:
    views = await context.services.conversations.states()
    await show(update, *screens.list_screen(context.tr, views))


@requires_role(Role.COORDINATOR)
async def list_button(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    await list_conversations(update, context)


@requires_role(Role.COORDINATOR)
async def open_from_file(update: Update, context: MagnetContext) -> None:
    """A coordinator's YAML or CSV file: checked line by line, then the conversation opens."""
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        return
    tr = context.tr
    if (document.file_size or 0) > FILE_MAX:
        await send(
            update,
            escape(tr.gettext("That file is too large for a conversation (at most 256 KB).")),
        )
        return
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download a seed file: %s", exc)
        await send(
            update, escape(tr.gettext("I could not download that file. Please send it again."))
        )
        return
    try:
        seed = parse_seed(document.file_name or "", data)
    except SeedError as exc:
        log.info("a seed file with %d problems", len(exc.problems))
        await send(update, screens.seed_problems(tr, exc.problems))
        return
    view = await context.services.conversations.open(context.me.telegram_id, seed)
    log.info("conversation %s opened from a file", view.id)
    await send(update, *screens.opened_screen(tr, view))


async def _cid(update: Update, context: MagnetContext, callback: Callback) -> int | None:
    cid = callback.int_arg(0)
    if cid is None:
        await stale_button(update, context, f"convadmin {callback.action} {callback.args}")
    return cid


async def _refused(update: Update, context: MagnetContext, exc: ConversationError) -> None:
    tr = context.tr
    texts = {
        ConversationProblem.ALREADY_INVITED: tr.gettext(
            "The residents have already been invited to this conversation."
        ),
        ConversationProblem.TOO_FEW_VOTERS: tr.ngettext(
            "Only %(count)d person has voted; groups of opinion are looked for once %(needed)d have.",
            "Only %(count)d people have voted; groups of opinion are looked for once %(needed)d have.",
            exc.count,
        )
        % {"count": exc.count, "needed": exc.needed},
        ConversationProblem.CLOSED: tr.gettext("This conversation is closed."),
    }
    if exc.problem == ConversationProblem.UNKNOWN:
        await stale_button(update, context, f"convadmin: {exc}")
        return
    await answer(update, texts.get(exc.problem, problem_text(context, exc)), alert=True)


@requires_role(Role.COORDINATOR)
async def invite_residents(update: Update, context: MagnetContext, callback: Callback) -> None:
    if (cid := await _cid(update, context, callback)) is None:
        return
    try:
        count = await context.services.conversations.invite(context.me.telegram_id, cid)
    except ConversationError as exc:
        await _refused(update, context, exc)
        return
    await answer(
        update,
        context.tr.ngettext("Inviting %(count)d resident.", "Inviting %(count)d residents.", count)
        % {"count": count},
    )
    await list_conversations(update, context)


@requires_role(Role.COORDINATOR)
async def show_report(update: Update, context: MagnetContext, callback: Callback) -> None:
    if (cid := await _cid(update, context, callback)) is None:
        return
    service = context.services.conversations
    try:
        view = await service.view(cid)
        needed = service.config.min_voters
        if view.voters < needed:
            raise ConversationError(
                ConversationProblem.TOO_FEW_VOTERS, count=view.voters, needed=needed
            )
    except ConversationError as exc:
        await _refused(update, context, exc)
        return
    # The press is answered at once: finding the groups may take a few seconds.
    await answer(update, context.tr.gettext("Finding the groups of opinion…"))
    try:
        analysis = await service.analyse(cid)
    except ConversationError as exc:
        await send(update, escape(problem_text(context, exc)))
        return
    await _send_report(update, context, analysis)


async def _send_report(update: Update, context: MagnetContext, analysis: Analysis) -> None:
    tr = context.tr
    chart = await context.services.conversations.chart(analysis, tr.locale)
    chat = update.effective_chat
    if chart is not None and chat is not None:
        name = f"conversation-{analysis.conversation.id}.png"
        await chat.send_photo(
            InputFile(chart, filename=name), caption=escape(tr.gettext("Groups of opinion"))
        )
    await send(update, notices.report(tr, analysis))


@requires_role(Role.COORDINATOR)
async def ask_to_close(update: Update, context: MagnetContext, callback: Callback) -> None:
    if (cid := await _cid(update, context, callback)) is None:
        return
    try:
        view = await context.services.conversations.view(cid)
    except ConversationError as exc:
        await _refused(update, context, exc)
        return
    if not view.is_open:
        await _refused(update, context, ConversationError(ConversationProblem.CLOSED))
        return
    await answer(update)
    await show(update, *screens.confirm_close_screen(context.tr, view))


@requires_role(Role.COORDINATOR)
async def close_conversation(update: Update, context: MagnetContext, callback: Callback) -> None:
    if (cid := await _cid(update, context, callback)) is None:
        return
    try:
        _, told = await context.services.conversations.close(context.me.telegram_id, cid)
    except ConversationError as exc:
        await _refused(update, context, exc)
        return
    log.info("conversation %s closed, %d voters told", cid, told)
    await answer(
        update,
        context.tr.ngettext(
            "Closed. Sending the result to %(count)d voter.",
            "Closed. Sending the result to %(count)d voters.",
            told,
        )
        % {"count": told},
    )
    await list_conversations(update, context)


async def moderate_statement(update: Update, context: MagnetContext) -> None:
    """Approve or Reject under a resident's statement: in the coordinators' group, or in a
    coordinator's private chat when the bot has no group."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    callback = decode(query.data if query else None)
    tr = context.tr
    if callback is None or chat is None or user is None:
        await stale_button(update, context, "a moderation button without data")
        return
    services = context.services
    where_allowed = chat.type == "private" or chat.id == services.settings.coordinator_chat_id
    if not where_allowed:
        log.warning("a moderation button pressed in another group")
        await answer(
            update, tr.gettext("Please use this button in the coordinators' group."), alert=True
        )
        return
    if not await services.conversations.is_coordinator(user.id):
        log.warning("moderation tried without the coordinator role")
        await answer(update, tr.gettext("Sorry, only coordinators can do that."), alert=True)
        return
    sid = callback.int_arg(0)
    if sid is None or callback.action not in ("ok", "no") or len(callback.args) != 1:
        await stale_button(update, context, f"convmod {callback.action} {callback.args}")
        return
    try:
        moderation = await services.conversations.moderate(user.id, sid, callback.action == "ok")
    except ConversationError as exc:
        if exc.problem == ConversationProblem.ALREADY_MODERATED:
            text = tr.gettext("Someone has already decided on this statement.")
        elif exc.problem == ConversationProblem.CLOSED:
            text = tr.gettext("This conversation is closed.")
        else:
            await stale_button(update, context, f"convmod: {exc}")
            return
        await answer(update, text, alert=True)
        return
    log.info("statement %s %s", sid, "approved" if moderation.approved else "rejected")
    await answer(
        update, tr.gettext("Approved.") if moderation.approved else tr.gettext("Rejected.")
    )
    await show(update, screens.moderated_screen(tr, moderation))
