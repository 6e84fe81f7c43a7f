"""/labs (/delavnice) and /mylabs (/moje_delavnice): residents browse labs, sign up, leave,
take or decline a seat offer, add a lab to their calendar and give feedback afterwards."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InputFile, Update

from bot.codec import NS, Callback, decode, encode
from bot.context import MagnetContext
from bot.domain import TOPICS, Role
from bot.services.labs.calendar import deep_link, lab_ics, lab_link, qr_png
from bot.services.labs.types import LabError, LabProblem, LabView, RegistrationView
from handlers.common import answer, bold, escape, keyboard, requires_onboarding, send, show
from handlers.common import stale_button as _stale
from handlers.labs import screens as ls

log = logging.getLogger(__name__)

FEEDBACK_TEXT_MAX = 500


def problem_text(context: MagnetContext, problem: LabProblem) -> str:
    tr = context.tr
    texts = {
        LabProblem.NOT_FOUND: tr.gettext(
            "I couldn't find that lab: it may have been cancelled, or the link is incomplete."
        ),
        LabProblem.CANCELLED: tr.gettext("This lab has been cancelled."),
        LabProblem.STARTED: tr.gettext("This lab has already started."),
        LabProblem.CLOSED: tr.gettext("Registration for this lab has closed."),
        LabProblem.STALE: tr.gettext(
            "This lab was changed in the meantime. Here it is as it is now; please check "
            "and try again."
        ),
        LabProblem.ALREADY: tr.gettext("You are already signed up for this lab."),
        LabProblem.NOT_SIGNED_UP: tr.gettext("You are not signed up for this lab."),
        LabProblem.NO_OFFER: tr.gettext("This offer is no longer open."),
        LabProblem.OFFER_EXPIRED: tr.gettext(
            "Sorry, this offer has expired and the seat went to the next person waiting."
        ),
        LabProblem.GUESTS: tr.gettext("This lab doesn't take guests."),
        LabProblem.NOT_YOURS: tr.gettext("This button is no longer valid."),
        LabProblem.NOT_ENDED: tr.gettext("The lab hasn't ended yet."),
        LabProblem.NOT_CONFIRMED: tr.gettext("This registration is not confirmed."),
    }
    return texts.get(problem, tr.gettext("This button is no longer valid."))


async def _problem(update: Update, context: MagnetContext, exc: LabError) -> None:
    user = update.effective_user
    log.info("lab request from %s refused: %s", user.id if user else "?", exc)
    await answer(update, problem_text(context, exc.problem), alert=True)
    if update.callback_query is None:
        await send(update, escape(problem_text(context, exc.problem)))


@requires_onboarding
async def show_labs(update: Update, context: MagnetContext) -> None:
    await _list(update, context, None, None)


async def _list(update: Update, context: MagnetContext, hub: str | None, topic: str | None) -> None:
    tr, services = context.tr, context.services
    labs = await services.labs.upcoming(hub=hub, topic=topic)
    hubs = await services.lab_admin.hubs()
    text = ls.list_text(tr, labs, filtered=hub is not None or topic is not None)
    await answer(update)
    await show(update, text, ls.list_buttons(tr, labs, hubs, hub, topic))


async def show_lab(
    update: Update, context: MagnetContext, lab_id: int, answered: bool = False
) -> None:
    """A lab's card, for a resident (and for a coordinator, with Manage)."""
    services = context.services
    resident = context.resident
    assert resident is not None
    lab = await services.labs.get(lab_id)
    if not answered:
        await answer(update)
    if lab is None:
        await send(update, escape(problem_text(context, LabProblem.NOT_FOUND)))
        return
    reg = await services.labs.registration(lab.id, resident.telegram_id)
    await show(update, *_card(context, lab, reg))


def _card(context: MagnetContext, lab: LabView, reg: RegistrationView | None):  # type: ignore[no-untyped-def]
    resident = context.resident
    coordinator = resident is not None and resident.has_role(Role.COORDINATOR)
    now = datetime.now(UTC)
    active = (
        reg if reg is not None and reg.status in ("confirmed", "waitlisted", "offered") else None
    )
    return ls.card_text(context.tr, lab, active), ls.card_buttons(
        context.tr, lab, active, open_now=lab.open_for_signup(now), coordinator=coordinator
    )


@requires_onboarding
async def lab_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    if callback is None:
        await _stale(update, context, "undecodable lab button")
        return
    args = callback.args
    try:
        if callback.action == "list" and len(args) == 2:
            hub = None if args[0] == "all" else args[0]
            topic = None if args[1] == "all" or args[1] not in {t.code for t in TOPICS} else args[1]
            await _list(update, context, hub, topic)
        elif callback.action == "card" and _ints(args, 1):
            await show_lab(update, context, int(args[0]))
        elif callback.action == "join" and _ints(args, 3):
            await _join(update, context, int(args[0]), int(args[1]), int(args[2]))
        elif callback.action == "leave" and _ints(args, 1):
            await _confirm_leave(update, context, int(args[0]))
        elif callback.action == "leavey" and _ints(args, 1):
            await _leave(update, context, int(args[0]))
        elif callback.action == "offer" and _ints(args, 2) and args[1] in ("0", "1"):
            await _answer_offer(update, context, int(args[0]), args[1] == "1")
        elif callback.action == "ics" and _ints(args, 1):
            await _send_ics(update, context, int(args[0]))
        elif callback.action == "ticket" and _ints(args, 1):
            await _send_ticket(update, context, int(args[0]))
        elif callback.action == "name" and _ints(args, 2):
            await _show_name(update, context, int(args[0]), args[1] == "1")
        elif callback.action == "fb":
            await _feedback(update, context, callback)
        elif callback.action == "mine":
            await answer(update)
            await show_my_labs(update, context)
        else:
            await _stale(update, context, f"lab action {callback.action} {args}")
    except LabError as exc:
        await _problem(update, context, exc)


def _ints(args: tuple[str, ...], count: int) -> bool:
    return len(args) >= count and all(a.isdigit() for a in args[:count])


async def _join(
    update: Update, context: MagnetContext, lab_id: int, version: int, guests: int
) -> None:
    tr, services = context.tr, context.services
    assert context.resident is not None
    try:
        outcome = await services.labs.sign_up(
            lab_id, context.resident.telegram_id, guests=guests, version=version
        )
    except LabError as exc:
        if exc.problem == LabProblem.STALE:
            await answer(update, problem_text(context, exc.problem), alert=True)
            await show_lab(update, context, lab_id, answered=True)
            return
        if exc.problem == LabProblem.ALREADY:
            await answer(update, problem_text(context, exc.problem))
            await show_lab(update, context, lab_id, answered=True)
            return
        raise
    reg = outcome.registration
    assert reg is not None
    if reg.status == "confirmed":
        await answer(update, tr.gettext("You're in!"))
        await show(update, *_card(context, outcome.lab, reg))
        await _send_ics(update, context, lab_id, quiet=True)
    else:
        await answer(update, tr.gettext("You're on the waitlist."))
        await show(update, *_card(context, outcome.lab, reg))
        text = tr.gettext(
            "The lab is full, so you are number %(position)d on the waitlist. If a seat comes "
            "free, I'll hold it for you and ask you here."
        ) % {"position": reg.position or 0}
        await send(update, escape(text))


async def _confirm_leave(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr = context.tr
    lab = await context.services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND)
    await answer(update)
    question = tr.gettext("Cancel your place at %(title)s?") % {"title": lab.title(tr.locale)}
    await show(
        update,
        escape(question),
        keyboard(
            [
                [
                    (tr.gettext("Yes, cancel"), encode(NS.LAB, "leavey", lab_id)),
                    (tr.gettext("No, keep it"), encode(NS.LAB, "card", lab_id)),
                ]
            ]
        ),
    )


async def _leave(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr, services = context.tr, context.services
    assert context.resident is not None
    outcome = await services.labs.cancel(lab_id, context.resident.telegram_id)
    await answer(update, tr.gettext("Cancelled."))
    done = tr.gettext("Your place at %(title)s is cancelled. Thank you for letting us know!") % {
        "title": outcome.lab.title(tr.locale)
    }
    await show(
        update,
        escape(done),
        keyboard([[(tr.gettext("« All labs"), encode(NS.LAB, "list", "all", "all"))]]),
    )


async def _answer_offer(update: Update, context: MagnetContext, reg_id: int, accept: bool) -> None:
    tr, services = context.tr, context.services
    assert context.resident is not None
    outcome = await services.labs.answer_offer(reg_id, context.resident.telegram_id, accept)
    if accept:
        await answer(update, tr.gettext("You're in!"))
        await show(update, *_card(context, outcome.lab, outcome.registration))
        await _send_ics(update, context, outcome.lab.id, quiet=True)
    else:
        await answer(update, tr.gettext("Declined."))
        text = tr.gettext("Thank you: the seat goes to the next person waiting.")
        await show(update, escape(text))


async def _send_ics(
    update: Update, context: MagnetContext, lab_id: int, quiet: bool = False
) -> None:
    tr, services = context.tr, context.services
    lab = await services.labs.get(lab_id)
    if lab is None or lab.starts_at is None or lab.ends_at is None:
        raise LabError(LabProblem.NOT_FOUND)
    if not quiet:
        await answer(update)
    link = lab_link(context.bot.username, lab.id)
    data = lab_ics(lab, tr.locale, services.settings.tz, link)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        InputFile(data, filename=f"magnet-lab-{lab.id}.ics"),
        caption=escape(tr.gettext("📅 Open this file to add the lab to your calendar.")),
    )


async def _send_ticket(update: Update, context: MagnetContext, lab_id: int) -> None:
    """A QR code of the resident's check-in link: a coordinator's phone camera checks them in."""
    tr, services = context.tr, context.services
    assert context.resident is not None
    reg = await services.labs.registration(lab_id, context.resident.telegram_id)
    lab = await services.labs.get(lab_id)
    if lab is None or reg is None or reg.status != "confirmed":
        raise LabError(LabProblem.NOT_CONFIRMED)
    await answer(update)
    link = deep_link(context.bot.username, f"ci_{reg.checkin_code.lower()}")
    caption = tr.gettext(
        "🎫 Your check-in for %(title)s: show this code at the door. Code: %(code)s"
    ) % {"title": lab.title(tr.locale), "code": reg.checkin_code}
    chat = update.effective_chat
    assert chat is not None
    await chat.send_photo(qr_png(link, scale=8), caption=escape(caption))


async def _show_name(update: Update, context: MagnetContext, lab_id: int, show_it: bool) -> None:
    tr, services = context.tr, context.services
    user = update.effective_user
    assert context.resident is not None and user is not None
    reg = await services.labs.set_show_name(
        lab_id, context.resident.telegram_id, show_it, user.full_name if show_it else None
    )
    lab = await services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND)
    await answer(
        update,
        tr.gettext("The organisers will see your name.")
        if show_it
        else tr.gettext("Your name is hidden from the organisers."),
    )
    await show(update, *_card(context, lab, reg))


async def _feedback(update: Update, context: MagnetContext, callback: Callback) -> None:
    tr, services = context.tr, context.services
    resident = context.resident
    assert resident is not None
    reg_arg, kind, value = callback.arg(0), callback.arg(1), callback.arg(2)
    if not (reg_arg or "").isdigit() or kind not in ("useful", "again", "skip"):
        await _stale(update, context, f"feedback button {callback.args}")
        return
    reg_id = int(reg_arg or 0)
    if kind == "skip":
        await services.residents.set_awaiting(resident.telegram_id, None)
        await answer(update)
        await show(update, escape(tr.gettext("Thank you for your feedback!")))
        return
    if value not in ("1", "2", "3"):
        await _stale(update, context, f"feedback value {value}")
        return
    if kind == "useful":
        await services.labs.give_feedback(reg_id, resident.telegram_id, useful=int(value))
        await answer(update)
        await show(
            update,
            escape(tr.gettext("Would you come to a lab like this again?")),
            ls.again_buttons(tr, reg_id),
        )
        return
    await services.labs.give_feedback(reg_id, resident.telegram_id, again=int(value))
    await services.residents.set_awaiting(resident.telegram_id, f"fb:{reg_id}")
    await answer(update)
    text = tr.gettext(
        "Anything else you'd like to tell the organisers? Write one line, or tap Skip. "
        "It reaches them without your name."
    )
    await show(
        update,
        escape(text),
        keyboard([[(tr.gettext("Skip"), encode(NS.LAB, "fb", reg_id, "skip", 0))]]),
    )


async def feedback_text(update: Update, context: MagnetContext, reg_id: int) -> bool:
    """The optional line of feedback, typed after the buttons."""
    tr, services = context.tr, context.services
    resident, message = context.resident, update.effective_message
    assert resident is not None and message is not None and message.text is not None
    text = message.text.strip()
    if len(text) > FEEDBACK_TEXT_MAX:
        await send(
            update,
            escape(
                tr.gettext("Please keep it under %(limit)d characters; yours has %(length)d.")
                % {"limit": FEEDBACK_TEXT_MAX, "length": len(text)}
            ),
        )
        return True
    try:
        await services.labs.give_feedback(reg_id, resident.telegram_id, text=text)
    except LabError as exc:
        log.info("feedback text for %s refused: %s", reg_id, exc)
        await services.residents.set_awaiting(resident.telegram_id, None)
        return False
    await services.residents.set_awaiting(resident.telegram_id, None)
    await send(update, escape(tr.gettext("Thank you for your feedback!")))
    return True


@requires_onboarding
async def show_my_labs(update: Update, context: MagnetContext) -> None:
    tr, services = context.tr, context.services
    assert context.resident is not None
    mine = await services.labs.mine(context.resident.telegram_id)
    now = datetime.now(UTC)
    coming = [
        (lab, reg)
        for lab, reg in mine
        if lab.ends_at and lab.ends_at > now and lab.status == "published"
    ]
    coming = [
        (lab, reg) for lab, reg in coming if reg.status in ("confirmed", "waitlisted", "offered")
    ]
    past = [
        (lab, reg)
        for lab, reg in mine
        if lab.ends_at and lab.ends_at <= now and reg.status == "confirmed"
    ]
    lines = [bold(tr.gettext("Your labs"))]
    rows = []
    if not coming and not past:
        lines += ["", escape(tr.gettext("You haven't signed up for any lab yet."))]
    for lab, reg in coming:
        assert lab.starts_at is not None
        state = ls.registration_line(tr, reg) or ""
        lines += ["", f"{bold(lab.title(tr.locale))}\n{escape(tr.when(lab.starts_at))}\n{state}"]
        rows.append([(lab.title(tr.locale)[:60], encode(NS.LAB, "card", lab.id))])
    if past:
        lines += ["", bold(tr.gettext("Past labs"))]
        for lab, reg in past[-10:]:
            assert lab.starts_at is not None
            mark = " ✓" if reg.checked_in_at else ""
            lines.append(escape(f"• {lab.title(tr.locale)} ({tr.date(lab.starts_at)}){mark}"))
    rows.append([(tr.gettext("« All labs"), encode(NS.LAB, "list", "all", "all"))])
    await show(update, "\n".join(lines), keyboard(rows))
