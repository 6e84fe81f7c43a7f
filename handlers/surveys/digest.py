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
    digests = services.digests
    code = services.surveys.default_code()
    nothing = escape(tr.gettext("There is nothing to sum up yet: no survey round."))
    if digests.channel is not None:
        if await digests.send(code, "manual"):
            await send(
                update, escape(tr.gettext("The digest is on its way to the coordinators' channel."))
            )
        else:
            await send(update, nothing)
        return
    notice = await digests.compose(code)
    if notice is None:
        await send(update, nothing)
        return
    await send(update, notice.text)
    chat = update.effective_chat
    if notice.chart is not None and chat is not None:
        await chat.send_photo(InputFile(notice.chart, filename="digest.png"))
