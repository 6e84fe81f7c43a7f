"""Deep links (`t.me/<bot>?start=hub_celje`): kept through onboarding, acted on afterwards."""

from __future__ import annotations

import logging
import re

from telegram import Update

from bot.context import MagnetContext
from bot.numbers import parse_int
from handlers.common import escape, send

log = logging.getLogger(__name__)

PAYLOAD = re.compile(r"^(hub|lab|ci)_[a-z0-9]{1,27}$")


def valid_payload(payload: str) -> str | None:
    return payload if PAYLOAD.match(payload) else None


async def act_on_payload(update: Update, context: MagnetContext, payload: str) -> None:
    kind, _, key = payload.partition("_")
    if kind == "hub":
        await show_hub(update, context, key)
    elif kind == "lab" and parse_int(key) is not None:
        from handlers.labs.browse import show_lab

        await show_lab(update, context, int(key))
    elif kind == "ci":
        from handlers.labs.manage import check_in

        await check_in(update, context, key)
    else:
        await send(
            update,
            escape(
                context.tr.gettext(
                    "I couldn't find that lab: it may have been cancelled, or the link is incomplete."
                )
            ),
        )


async def show_hub(update: Update, context: MagnetContext, code: str) -> None:
    tr = context.tr
    hub = await context.services.hubs.get(code)
    if hub is None:
        log.info("deep link to an unknown hub %r", code)
        await send(update, escape(tr.gettext("I don't know that hub.")))
        return
    about = tr.gettext(
        "%(hub)s hosts RealLife Learning Labs and events on housing, mobility, jobs, culture "
        "and energy. News on the topics you follow will reach you here."
    ) % {"hub": hub.name(tr.locale)}
    text = f"<b>{escape(hub.name(tr.locale))}</b>\n📍 {escape(hub.address)}\n\n{escape(about)}"
    await send(update, text)
