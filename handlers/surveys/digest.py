"""/povzetek (/digest) for coordinators and staff: the decision views of the latest round as
buttons (overview, by municipality, by age, trend, push and pull), each a chart and a short
k-safe text; and the weekly digest sent to the coordinators' channel on request."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.error import BadRequest

from bot.codec import Callback
from bot.context import MagnetContext
from bot.domain import Role
from bot.numbers import ROW_ID_MAX
from bot.services.surveys.chart import View, view_png
from bot.textfit import CAPTION_MAX, cut
from handlers.common import answer, escape, requires_role, send, stale_button
from handlers.surveys.decisions import view_buttons, view_text, view_title

log = logging.getLogger(__name__)


@requires_role(Role.COORDINATOR, Role.STAFF)
async def send_digest(update: Update, context: MagnetContext) -> None:
    """/povzetek: the overview of the latest round, with buttons to the other views."""
    await _show(update, context, View.OVERVIEW, None)


@requires_role(Role.COORDINATOR, Role.STAFF)
async def show_view(update: Update, context: MagnetContext, callback: Callback) -> None:
    name, number = callback.arg(0), callback.int_arg(1, 1, ROW_ID_MAX)
    view = next((v for v in View if v.value == name), None)
    if view is None or number is None:
        await stale_button(update, context, f"digest view {name!r} of round {callback.arg(1)!r}")
        return
    await _show(update, context, view, number)


@requires_role(Role.COORDINATOR, Role.STAFF)
async def send_to_channel(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The weekly digest, now, to the coordinators' channel."""
    tr, digests = context.tr, context.services.digests
    if digests.channel is None:
        await stale_button(update, context, "digest to a channel that is not configured")
        return
    sent = await digests.send(context.services.surveys.default_code(), "manual")
    await answer(update)
    if sent:
        await send(
            update, escape(tr.gettext("The digest is on its way to the coordinators' channel."))
        )
    else:
        await send(update, escape(tr.gettext("There is nothing to sum up yet: no survey round.")))


async def _show(update: Update, context: MagnetContext, view: View, number: int | None) -> None:
    tr, services = context.tr, context.services
    digests = services.digests
    views = await digests.views.decision_views(services.surveys.default_code(), number)
    if views is None:
        if number is not None:
            await stale_button(update, context, f"digest view of unknown round {number}")
            return
        await send(update, escape(tr.gettext("There is nothing to sum up yet: no survey round.")))
        return
    await answer(update)
    await _unbutton(update)
    chart = await asyncio.to_thread(view_png, tr, views, view)
    chat = update.effective_chat
    if chart is not None and chat is not None:
        caption = cut(f"📊 {view_title(tr, view)}", CAPTION_MAX)
        await chat.send_photo(InputFile(chart, filename=f"{view.value}.png"), caption=caption)
    markup = view_buttons(tr, views, view, digests.channel is not None)
    await send(update, view_text(tr, views, view), markup)
    log.info("digest view %s of round %d shown", view.value, views.round_number)


async def _unbutton(update: Update) -> None:
    """The pressed message keeps its text and loses its buttons: the new view comes below."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        log.info("could not take the buttons off a digest view: %s", exc.message)
