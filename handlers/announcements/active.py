"""/announcements (/obvestila): the scheduled and running announcements, and cancelling one."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import MagnetContext
from bot.domain import Role
from bot.services.announcements.types import Report
from handlers.announcements import screens
from handlers.announcements.compose import announcement_button
from handlers.common import answer, requires_role, show

log = logging.getLogger(__name__)


@requires_role(Role.COORDINATOR)
async def list_announcements(update: Update, context: MagnetContext) -> None:
    screen = screens.active(context.tr, await context.services.announcements.sending.active())
    await show(update, screen.text, screen.markup)


@announcement_button
async def cancel(update: Update, context: MagnetContext, aid: int, _: str | None) -> None:
    sending = context.services.announcements.sending
    await sending.cancel(context.me.telegram_id, aid)
    # TRANSLATORS: Answer after a coordinator cancels a broadcast (sl "Obvestilo je preklicano.").
    await answer(update, context.tr.pgettext("announcement", "Cancelled."))
    report = await sending.report(aid)
    if report is not None:  # it was going out: its live report becomes the final one
        await _close(context, aid, report)
    await list_announcements(update, context)


async def _close(context: MagnetContext, aid: int, report: Report) -> None:
    try:
        await context.bot.edit_message_text(
            report.text, chat_id=report.chat_id, message_id=report.message_id
        )
    except TelegramError as exc:  # gone, or already so: the cancel stands regardless
        log.warning("could not close report %s: %s", aid, exc)
