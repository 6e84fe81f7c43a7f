"""my_chat_member: a resident who blocks the bot is marked inactive, and active again on return."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update

from bot.context import MagnetContext

log = logging.getLogger(__name__)


async def track_membership(update: Update, context: MagnetContext) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    active = change.new_chat_member.status not in (ChatMember.BANNED, ChatMember.LEFT)
    log.info("user %s %s the bot", change.chat.id, "unblocked" if active else "blocked")
    await context.services.residents.set_active(change.chat.id, active)
