"""/mydata (/moji_podatki) and /forget (/pozabi): a resident sees everything stored about
them, and can have it erased after a confirmation."""

from __future__ import annotations

import json
import logging

from telegram import InputFile, Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from handlers import screens
from handlers.common import answer, bold, button, command, escape, keyboard, send, show

log = logging.getLogger(__name__)


async def send_my_data(update: Update, context: MagnetContext) -> None:
    resident = context.resident
    assert resident is not None
    tr = context.tr
    data = await context.services.privacy.export(resident.telegram_id)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    chat = update.effective_chat
    assert chat is not None
    # TRANSLATORS: %(forget)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    caption = tr.gettext(
        "📄 Everything the bot stores about you. To erase it, send %(forget)s."
    ) % {"forget": screens.command(tr, "forget")}
    await chat.send_document(
        InputFile(body, filename="magnet-my-data.json"), caption=escape(caption)
    )


async def ask_forget(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    text = tr.gettext(
        "This erases your profile, your lab sign-ups (your seats go to the next people "
        "waiting), your drafts and your supports of ideas, the messages queued for you, and "
        "the link between you and your survey answers, your conversation votes and the ideas "
        "and stories you published (those stay, without your name). Answers and votes stay "
        "only as anonymous numbers. This cannot be undone."
    )
    title = bold(tr.gettext("Erase everything about you?"))
    await send(
        update,
        f"{title}\n\n{escape(text)}",
        keyboard(
            [
                [(tr.gettext("🗑 Yes, erase everything"), encode(NS.PRIVACY, "forget"))],
                # TRANSLATORS: Used for two things: keep your data (erase dialog) and keep your sign-up (cancel dialog).
                [(tr.gettext("No, keep it"), encode(NS.PRIVACY, "keep"))],
            ]
        ),
    )


async def keep_data(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    await show(update, escape(context.tr.gettext("Nothing was erased.")))


async def forget(update: Update, context: MagnetContext, callback: Callback) -> None:
    tr = context.tr
    await answer(update)
    await context.services.privacy.forget(context.me.telegram_id)
    # TRANSLATORS: %(start)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    text = tr.gettext(
        "Done: everything about you is erased. If you ever want to come back, send %(start)s."
    ) % {"start": "/start"}
    await show(update, escape(text))


HANDLERS = [
    command("mydata", send_my_data),
    command("forget", ask_forget),
    button(NS.PRIVACY, "forget", forget),
    button(NS.PRIVACY, "keep", keep_data),
]
