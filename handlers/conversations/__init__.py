"""Conversations in Telegram ("What do we agree on?"): voting, statements, moderation and the
coordinators' list."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.codec import NS, matcher
from handlers.common import PRIVATE_MESSAGES, button, command
from handlers.conversations import manage, vote

SEED_FILES = (
    filters.Document.FileExtension("yaml")
    | filters.Document.FileExtension("yml")
    | filters.Document.FileExtension("csv")
)

HANDLERS = [
    command("conversation", vote.show_conversation),
    command("conversations", manage.list_conversations),
    MessageHandler(PRIVATE_MESSAGES & SEED_FILES, manage.open_from_file),
    button(NS.CONVERSATION, "show", vote.open_card),
    button(NS.CONVERSATION, "vote", vote.cast_vote),
    button(NS.CONVERSATION, "add", vote.write_statement),
    button(NS.CONVERSATION, "stop", vote.stop_writing),
    button(NS.CONVERSATION_ADMIN, "list", manage.list_button),
    button(NS.CONVERSATION_ADMIN, "invite", manage.invite_residents),
    button(NS.CONVERSATION_ADMIN, "report", manage.show_report),
    button(NS.CONVERSATION_ADMIN, "close", manage.ask_to_close),
    button(NS.CONVERSATION_ADMIN, "closeyes", manage.close_conversation),
    # Not `button()`: these are pressed in the coordinators' group, where nobody is a resident.
    CallbackQueryHandler(manage.moderate_statement, pattern=matcher(NS.CONVERSATION_MOD)),
]

# What a resident's next text is (`resident.awaiting`): the statement they are writing.
AWAITING = {vote.WRITING: vote.statement_text}
