"""A resident and one lab: sign up, leave, take or decline a seat offer, add it to the calendar,
show the check-in code, and choose whether the organisers see their name."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.domain import RegistrationStatus
from bot.services.labs.calendar import deep_link, lab_ics, lab_link, qr_png
from bot.services.labs.types import LabError, LabProblem, LabView
from handlers.common import answer, escape, keyboard, send, show
from handlers.labs import screens
from handlers.labs.browse import card, show_lab
from handlers.labs.problems import numbers, problem_text, resident_button


@resident_button
async def join_lab(update: Update, context: MagnetContext, callback: Callback) -> None:
    """Sign up (or onto the waitlist), alone or with a guest, from the card of this version."""
    lab_id, version, guests = numbers(callback, 3)
    tr = context.tr
    try:
        change = await context.services.labs.sign_up(
            lab_id, context.me.telegram_id, guests=guests, version=version
        )
    except LabError as exc:
        if exc.problem not in (LabProblem.STALE, LabProblem.ALREADY):
            raise
        # Shown the lab as it is now; a changed lab deserves an alert, a second tap a toast.
        await answer(update, problem_text(tr, exc.problem), alert=exc.problem == LabProblem.STALE)
        await show_lab(update, context, lab_id, answered=True)
        return
    reg = change.registration
    assert reg is not None
    if reg.status == RegistrationStatus.CONFIRMED:
        await answer(update, tr.gettext("You're in!"))
        await show(update, *card(context, change.lab, reg))
        await _send_ics(update, context, change.lab, quiet=True)
        return
    await answer(update, tr.gettext("You're on the waitlist."))
    await show(update, *card(context, change.lab, reg))
    text = tr.gettext(
        "The lab is full, so you are number %(position)d on the waitlist. If a seat comes "
        "free, I'll hold it for you and ask you here."
    ) % {"position": reg.position or 0}
    await send(update, escape(text))


@resident_button
async def leave_lab(update: Update, context: MagnetContext, callback: Callback) -> None:
    """Ask first: leaving gives the seat away."""
    (lab_id,) = numbers(callback, 1)
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
                    (tr.gettext("Yes, cancel"), encode(NS.LAB, "confirm_leave", lab_id)),
                    (tr.gettext("No, keep it"), encode(NS.LAB, "card", lab_id)),
                ]
            ]
        ),
    )


@resident_button
async def confirm_leave(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    tr = context.tr
    change = await context.services.labs.cancel(lab_id, context.me.telegram_id)
    # TRANSLATORS: Answer after a resident cancels their own sign-up (sl "Prijava je preklicana.").
    await answer(update, tr.pgettext("sign-up", "Cancelled."))
    done = tr.gettext("Your place at %(title)s is cancelled. Thank you for letting us know!") % {
        "title": change.lab.title(tr.locale)
    }
    await show(update, escape(done), keyboard([[screens.all_labs(tr)]]))


@resident_button
async def accept_offer(update: Update, context: MagnetContext, callback: Callback) -> None:
    (reg_id,) = numbers(callback, 1)
    change = await context.services.labs.answer_offer(reg_id, context.me.telegram_id, True)
    await answer(update, context.tr.gettext("You're in!"))
    await show(update, *card(context, change.lab, change.registration))
    await _send_ics(update, context, change.lab, quiet=True)


@resident_button
async def decline_offer(update: Update, context: MagnetContext, callback: Callback) -> None:
    (reg_id,) = numbers(callback, 1)
    tr = context.tr
    await context.services.labs.answer_offer(reg_id, context.me.telegram_id, False)
    await answer(update, tr.gettext("Declined."))
    await show(update, escape(tr.gettext("Thank you: the seat goes to the next person waiting.")))


@resident_button
async def send_calendar(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    lab = await context.services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND)
    await _send_ics(update, context, lab)


async def _send_ics(
    update: Update, context: MagnetContext, lab: LabView, quiet: bool = False
) -> None:
    """The lab as a calendar file; `quiet` when the button press was answered already."""
    tr = context.tr
    if lab.starts_at is None or lab.ends_at is None:
        raise LabError(LabProblem.NOT_FOUND)
    if not quiet:
        await answer(update)
    link = lab_link(context.bot.username, lab.id)
    data = lab_ics(lab, tr.locale, context.services.settings.tz, link)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        InputFile(data, filename=f"magnet-lab-{lab.id}.ics"),
        caption=escape(tr.gettext("📅 Open this file to add the lab to your calendar.")),
    )


@resident_button
async def send_ticket(update: Update, context: MagnetContext, callback: Callback) -> None:
    """A QR code of the resident's check-in link: a coordinator's phone camera checks them in."""
    (lab_id,) = numbers(callback, 1)
    tr, services = context.tr, context.services
    reg = await services.labs.registration(lab_id, context.me.telegram_id)
    lab = await services.labs.get(lab_id)
    if lab is None or reg is None or reg.status != RegistrationStatus.CONFIRMED:
        raise LabError(LabProblem.NOT_CONFIRMED)
    await answer(update)
    link = deep_link(context.bot.username, f"ci_{reg.checkin_code.lower()}")
    caption = tr.gettext(
        "🎫 Your check-in for %(title)s: show this code at the door. Code: %(code)s"
    ) % {"title": lab.title(tr.locale), "code": reg.checkin_code}
    chat = update.effective_chat
    assert chat is not None
    await chat.send_photo(qr_png(link, scale=8), caption=escape(caption))


@resident_button
async def show_name(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _name_shown(update, context, callback, True)


@resident_button
async def hide_name(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _name_shown(update, context, callback, False)


async def _name_shown(
    update: Update, context: MagnetContext, callback: Callback, shown: bool
) -> None:
    """Whether the organisers see the resident's name on the participants' list."""
    (lab_id,) = numbers(callback, 1)
    tr, services = context.tr, context.services
    user = update.effective_user
    assert user is not None
    reg = await services.lab_records.set_show_name(
        lab_id, context.me.telegram_id, shown, user.full_name if shown else None
    )
    lab = await services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND)
    await answer(
        update,
        tr.gettext("The organisers will see your name.")
        if shown
        else tr.gettext("Your name is hidden from the organisers."),
    )
    await show(update, *card(context, lab, reg))
