"""/digest (/povzetek) for coordinators: the digest now, to the coordinators' channel (or,
without one configured, here)."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.context import MagnetContext
from bot.domain import Role
from handlers.common import escape, requires_role, send


@requires_role(Role.COORDINATOR)
async def send_digest(update: Update, context: MagnetContext) -> None:
    tr, services = context.tr, context.services
    sender = services.digests
    code = services.surveys.default_code()
    if sender.chat_id is not None:
        if await sender.send(code, "manual"):
            await send(
                update, escape(tr.gettext("The digest is on its way to the coordinators' channel."))
            )
        else:
            await send(
                update, escape(tr.gettext("There is nothing to sum up yet: no survey round."))
            )
        return
    composed = await sender.compose(code)
    if composed is None:
        await send(update, escape(tr.gettext("There is nothing to sum up yet: no survey round.")))
        return
    _, text, chart = composed
    await send(update, text)
    chat = update.effective_chat
    if chart is not None and chat is not None:
        await chat.send_photo(InputFile(chart, filename="digest.png"))
