"""/ideas (/ideje): published ideas by theme, newest or most supported; supporting one, and
an author's own ideas (which they may delete)."""

from __future__ import annotations

import functools
import logging

from telegram import Update

from bot.codec import Callback
from bot.context import MagnetContext
from bot.domain import Role, codes
from bot.services.ideas.types import IdeaError, IdeaProblem, Order
from handlers.common import ButtonHandler, answer, escape, requires_onboarding, show, stale_button
from handlers.ideas import compose, screens
from handlers.ideas.show import put

log = logging.getLogger(__name__)


def _coordinator(context: MagnetContext) -> bool:
    return context.me.has_role(Role.COORDINATOR)


async def _listing(
    update: Update, context: MagnetContext, topic: str | None, order: Order, offset: int
) -> None:
    ideas = compose.service(context)
    page = await ideas.published(topic, order, offset)
    pending = len(await ideas.pending()) if _coordinator(context) else 0
    screen = screens.listing(context.tr, page, coordinator=_coordinator(context), pending=pending)
    await show(update, screen.text, screen.markup)


@requires_onboarding
async def show_ideas(update: Update, context: MagnetContext) -> None:
    await _listing(update, context, None, Order.NEWEST, 0)


def resident_button(handler: ButtonHandler) -> ButtonHandler:
    """A resident's idea button: onboarded residents only; refusals answered politely."""

    @requires_onboarding
    @functools.wraps(handler)
    async def wrapper(update: Update, context: MagnetContext, callback: Callback) -> None:
        try:
            await handler(update, context, callback)
        except IdeaError as exc:
            log.info("idea button refused: %s", exc.problem.value)
            if exc.problem == IdeaProblem.STALE:
                await stale_button(update, context, f"idea {callback.action}: {exc}")
            else:
                await answer(update, screens.problem_text(context.tr, exc), alert=True)

    return wrapper


def _id(callback: Callback) -> int:
    idea_id = callback.int_arg(0)
    if idea_id is None:
        raise IdeaError(IdeaProblem.STALE, f"{callback.action} {callback.args}")
    return idea_id


@resident_button
async def list_ideas(update: Update, context: MagnetContext, callback: Callback) -> None:
    topic, order, offset = callback.arg(0), callback.arg(1), callback.int_arg(2, 0, 100_000)
    if topic != screens.ALL and topic not in codes(context.tr.town.topics):
        raise IdeaError(IdeaProblem.STALE, f"topic {topic!r}")
    if order not in (Order.NEWEST, Order.SUPPORTED) or offset is None:
        raise IdeaError(IdeaProblem.STALE, f"order {order!r} offset {offset!r}")
    await answer(update)
    await _listing(update, context, None if topic == screens.ALL else topic, Order(order), offset)


@resident_button
async def choose_theme(update: Update, context: MagnetContext, callback: Callback) -> None:
    order = callback.arg(0)
    if order not in (Order.NEWEST, Order.SUPPORTED):
        raise IdeaError(IdeaProblem.STALE, f"order {order!r}")
    await answer(update)
    screen = screens.themes(context.tr, Order(order))
    await show(update, screen.text, screen.markup)


async def open_card(update: Update, context: MagnetContext, idea_id: int) -> None:
    ideas = compose.service(context)
    card = await ideas.card(context.me.telegram_id, idea_id)
    title = await ideas.lab_title(card.idea.lab_id)
    screen = screens.card(
        context.tr,
        card,
        coordinator=_coordinator(context),
        lab_title=title.get(context.tr.locale) if title else None,
    )
    await answer(update)
    await put(update, screen)


@resident_button
async def open_idea(update: Update, context: MagnetContext, callback: Callback) -> None:
    await open_card(update, context, _id(callback))


async def _support(update: Update, context: MagnetContext, callback: Callback, on: bool) -> None:
    idea_id = _id(callback)
    await compose.service(context).support(context.me.telegram_id, idea_id, on)
    tr = context.tr
    await answer(
        update,
        tr.gettext("Thank you for your support!") if on else tr.gettext("Support withdrawn."),
    )
    await open_card(update, context, idea_id)


@resident_button
async def support_idea(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _support(update, context, callback, True)


@resident_button
async def withdraw_support(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _support(update, context, callback, False)


@resident_button
async def my_ideas(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    screen = screens.mine(context.tr, await compose.service(context).mine(context.me.telegram_id))
    await show(update, screen.text, screen.markup)


@resident_button
async def new_idea(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    await compose.start_idea(update, context)


@resident_button
async def delete_idea(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    screen = screens.confirm_delete(context.tr, _id(callback))
    await show(update, screen.text, screen.markup)


@resident_button
async def confirm_delete(update: Update, context: MagnetContext, callback: Callback) -> None:
    await compose.service(context).delete_own(context.me.telegram_id, _id(callback))
    await answer(update)
    await show(update, escape(context.tr.gettext("Your idea is deleted.")))
