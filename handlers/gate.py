"""Group -1 for every update: record the resident, resolve their language and role."""

from __future__ import annotations

from telegram import Update

from bot.context import MagnetContext
from bot.logs import RESIDENT


async def gate(update: Update, context: MagnetContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    i18n = context.services.i18n
    language_code = user.language_code if user else None
    if user is None or chat is None or chat.type != "private" or update.my_chat_member:
        # Groups, channels and membership changes do not make anyone a resident.
        context.tr = i18n.resolve(None, language_code)
        return
    resident = await context.services.residents.touch(user.id, language_code)
    context.resident = resident
    RESIDENT.set(resident.id)
    context.tr = i18n.resolve(resident.locale, language_code)
