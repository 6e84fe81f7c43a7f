"""/labs (/delavnice) and /mylabs (/moje_delavnice): residents look at what is on, filter it,
open a lab's card and see the labs they are signed up for."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.domain import ACTIVE, LabStatus, RegistrationStatus, Role
from bot.services.labs.types import LabProblem, LabView, RegistrationView
from handlers.common import answer, bold, escape, keyboard, requires_onboarding, send, show
from handlers.labs import screens
from handlers.labs.problems import BadButton, numbers, problem_text, resident_button
from storage.models import utcnow


@requires_onboarding
async def show_labs(update: Update, context: MagnetContext) -> None:
    await _list(update, context, None, None)


@resident_button
async def list_labs(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The list again, filtered by hub and theme ("all" for either)."""
    if len(callback.args) != 2:
        raise BadButton(f"list {callback.args}")
    hub, topic = callback.args
    known = {t.code for t in context.tr.town.topics}
    await _list(
        update,
        context,
        None if hub == "all" else hub,
        None if topic == "all" or topic not in known else topic,
    )


async def _list(update: Update, context: MagnetContext, hub: str | None, topic: str | None) -> None:
    tr, services = context.tr, context.services
    labs = await services.labs.upcoming(hub=hub, topic=topic)
    hubs = await services.hubs.list_hubs()
    text = screens.list_text(tr, labs, filtered=hub is not None or topic is not None)
    await answer(update)
    await show(update, text, screens.list_buttons(tr, labs, hubs, hub, topic))


@resident_button
async def open_lab(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    await show_lab(update, context, lab_id)


async def show_lab(
    update: Update, context: MagnetContext, lab_id: int, answered: bool = False
) -> None:
    """A lab's card, for a resident (and for a coordinator, with Manage)."""
    services = context.services
    lab = await services.labs.get(lab_id)
    if not answered:
        await answer(update)
    if lab is None:
        await send(update, escape(problem_text(context.tr, LabProblem.NOT_FOUND)))
        return
    reg = await services.labs.registration(lab.id, context.me.telegram_id)
    await show(update, *card(context, lab, reg))


def card(
    context: MagnetContext, lab: LabView, reg: RegistrationView | None
) -> tuple[str, InlineKeyboardMarkup]:
    """A lab's card as this resident sees it, with what they can do next."""
    coordinator = context.me.has_role(Role.COORDINATOR)
    active = reg if reg is not None and reg.status in ACTIVE else None
    return screens.card_text(context.tr, lab, active), screens.card_buttons(
        context.tr,
        lab,
        active,
        open_now=lab.open_for_signup(utcnow()),
        coordinator=coordinator,
    )


@resident_button
async def open_my_labs(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    await show_my_labs(update, context)


@requires_onboarding
async def show_my_labs(update: Update, context: MagnetContext) -> None:
    tr, services = context.tr, context.services
    mine = await services.labs.mine(context.me.telegram_id)
    now = utcnow()
    coming = [
        (lab, reg)
        for lab, reg in mine
        if lab.ends_at
        and lab.ends_at > now
        and lab.status == LabStatus.PUBLISHED
        and reg.status in ACTIVE
    ]
    past = [
        (lab, reg)
        for lab, reg in mine
        if lab.ends_at and lab.ends_at <= now and reg.status == RegistrationStatus.CONFIRMED
    ]
    lines = [bold(tr.gettext("Your labs"))]
    rows = []
    if not coming and not past:
        lines += ["", escape(tr.gettext("You haven't signed up for any lab yet."))]
    for lab, reg in coming:
        assert lab.starts_at is not None
        state = screens.registration_line(tr, reg) or ""
        lines += ["", f"{bold(lab.title(tr.locale))}\n{escape(tr.when(lab.starts_at))}\n{state}"]
        rows.append([(lab.title(tr.locale)[:60], encode(NS.LAB, "card", lab.id))])
    if past:
        lines += ["", bold(tr.gettext("Past labs"))]
        for lab, reg in past[-10:]:
            assert lab.starts_at is not None
            mark = " ✓" if reg.checked_in_at else ""
            lines.append(escape(f"• {lab.title(tr.locale)} ({tr.date(lab.starts_at)}){mark}"))
    rows.append([screens.all_labs(tr)])
    await show(update, "\n".join(lines), keyboard(rows))
