"""The error handler: log first (no message texts), then a polite word to the resident."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import MagnetContext
from handlers.common import escape

log = logging.getLogger(__name__)


async def handle_error(update: object, context: MagnetContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or isinstance(context.error, Forbidden):
        return
    if context.bot_data.services is None:  # failed before start-up finished
        return
    # Resolved as the gate does, since the gate itself may be what failed.
    tr = context.services.i18n.resolve(
        context.resident.locale if context.resident else None,
        update.effective_user.language_code if update.effective_user else None,
    )
    text = tr.gettext("Sorry, something went wrong on our side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await update.effective_chat.send_message(escape(text))
    except TelegramError as exc:
        log.warning("could not tell the resident about the error: %s", exc)
