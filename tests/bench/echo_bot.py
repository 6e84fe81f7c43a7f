"""The baseline of the update benchmark: a minimal python-telegram-bot echo bot, default
settings (one update at a time, long polling), or with `concurrent` as its third argument
`concurrent_updates(True)`. It echoes text, and answers a button press by editing the message,
so that it meets the same load as magnet-bot.

    python echo_bot.py TOKEN BASE_URL [concurrent]
"""

from __future__ import annotations

import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("echo", callback_data="echo")]])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        update.effective_message.text or "", reply_markup=BUTTONS
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(
        f"pressed {query.data} ({update.update_id})", reply_markup=BUTTONS
    )


def main() -> None:
    token, base_url = sys.argv[1], sys.argv[2]
    builder = ApplicationBuilder().token(token).base_url(base_url)
    if sys.argv[3:] == ["concurrent"]:
        builder = builder.concurrent_updates(True)
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling()


if __name__ == "__main__":
    main()
