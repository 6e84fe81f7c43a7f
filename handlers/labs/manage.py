"""Managing a published lab: its card for coordinators, the roster (/roster, /udelezenci)
with its CSV, the poster QR code and check-in (/checkin, /prihod)."""

from __future__ import annotations

import csv
import io
import logging

from telegram import InputFile, Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.domain import AGE_BANDS, LabStatus, RegistrationStatus, Role, label_in
from bot.numbers import parse_int
from bot.services.labs.calendar import lab_link, qr_png
from bot.services.labs.types import LabError, LabProblem, Roster
from bot.services.labs.wording import feedback_text
from handlers import screens
from handlers.common import (
    Button,
    answer,
    bold,
    escape,
    keyboard,
    requires_role,
    send,
    show,
)
from handlers.labs.problems import coordinator_button, numbers, problem_text
from handlers.labs.screens import all_labs, card_text

log = logging.getLogger(__name__)


async def manage_lab(
    update: Update, context: MagnetContext, lab_id: int, fresh: bool = False
) -> None:
    tr, services = context.tr, context.services
    lab = await services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND, str(lab_id))
    roster = await services.lab_records.roster(lab_id)
    text = f"{card_text(tr, lab, None, details=False)}\n\n{_counts(context, roster)}"
    rows: list[list[Button]] = [
        [
            (tr.gettext("👥 Roster"), encode(NS.LAB_ADMIN, "roster", lab.id)),
            (tr.gettext("📄 Roster CSV"), encode(NS.LAB_ADMIN, "roster_csv", lab.id)),
        ],
        [(tr.gettext("🔳 Poster QR code"), encode(NS.LAB_ADMIN, "poster_qr", lab.id))],
    ]
    if lab.status == LabStatus.PUBLISHED:
        rows.append(
            [
                (tr.gettext("✏️ Edit"), encode(NS.LAB_ADMIN, "edit_menu", lab.id)),
                (tr.gettext("❌ Cancel the lab"), encode(NS.LAB_ADMIN, "cancel", lab.id)),
            ]
        )
    rows.append([all_labs(tr)])
    if fresh:
        await send(update, text, keyboard(rows))
    else:
        await show(update, text, keyboard(rows))


def _counts(context: MagnetContext, roster: Roster) -> str:
    tr = context.tr
    lab = roster.lab
    seats = (
        tr.gettext("%(taken)d of %(capacity)d seats taken")
        % {"taken": roster.confirmed_seats, "capacity": lab.capacity}
        if lab.capacity is not None
        else tr.ngettext("%(count)d seat taken", "%(count)d seats taken", roster.confirmed_seats)
        % {"count": roster.confirmed_seats}
    )
    lines = [
        seats,
        # TRANSLATORS: Seats offered to waitlisted people who have not yet accepted or declined.
        tr.ngettext("%(count)d offer open", "%(count)d offers open", len(roster.offered))
        % {"count": len(roster.offered)},
        tr.ngettext(
            "%(count)d on the waitlist", "%(count)d on the waitlist", len(roster.waitlisted)
        )
        % {"count": len(roster.waitlisted)},
        # TRANSLATORS: People whose arrival at the lab has been recorded.
        tr.ngettext("%(count)d checked in", "%(count)d checked in", roster.checked_in)
        % {"count": roster.checked_in},
    ]
    return "\n".join(escape(line) for line in lines)


@coordinator_button
async def open_management(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    await answer(update)
    await manage_lab(update, context, lab_id)


@coordinator_button
async def cancel_lab(update: Update, context: MagnetContext, callback: Callback) -> None:
    """Ask first: everyone signed up will be told."""
    (lab_id,) = numbers(callback, 1)
    tr = context.tr
    await answer(update)
    lab = await context.services.labs.get(lab_id)
    if lab is None or lab.status != LabStatus.PUBLISHED:
        raise LabError(LabProblem.NOT_FOUND)
    text = tr.gettext("Cancel %(title)s? Everyone signed up will be told.") % {
        "title": lab.title(tr.locale)
    }
    await show(
        update,
        escape(text),
        keyboard(
            [
                [
                    (
                        tr.gettext("Yes, cancel the lab"),
                        encode(NS.LAB_ADMIN, "confirm_cancel", lab_id),
                    ),
                    (tr.gettext("No"), encode(NS.LAB_ADMIN, "manage", lab_id)),
                ]
            ]
        ),
    )


@coordinator_button
async def confirm_cancel(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    tr = context.tr
    told = await context.services.lab_admin.cancel(context.me.telegram_id, lab_id)
    # TRANSLATORS: Answer after a coordinator cancels a whole lab (sl "Delavnica je odpovedana.").
    await answer(update, tr.pgettext("lab", "Cancelled."))
    text = tr.ngettext(
        "The lab is cancelled; %(count)d person signed up is being told.",
        "The lab is cancelled; %(count)d people signed up are being told.",
        told,
    ) % {"count": told}
    await show(update, escape(text))


@coordinator_button
async def open_roster(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    await answer(update)
    await show_roster(update, context, lab_id)


async def show_roster(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr = context.tr
    roster = await context.services.lab_records.roster(lab_id)
    lab = roster.lab
    lines = [bold(lab.title(tr.locale)), _counts(context, roster), ""]
    # TRANSLATORS: Heading of the roster list of people with a confirmed seat (plural noun).
    lines.append(bold(tr.gettext("Confirmed")))
    unnamed = tr.gettext("(name not shared)")
    for entry in roster.confirmed:
        reg = entry.registration
        mark = "✓ " if reg.checked_in_at else ""
        guest = " +1" if reg.seats > 1 else ""
        lines.append(escape(f"{mark}#{reg.id} {entry.name or unnamed}{guest}"))
    if roster.waitlisted:
        lines += ["", bold(tr.gettext("Waitlist"))]
        for entry in roster.waitlisted:
            reg = entry.registration
            lines.append(escape(f"{reg.position}. #{reg.id} {entry.name or unnamed}"))
    lines += [
        "",
        feedback_text(tr, lab, roster.feedback, context.services.settings.min_group_size),
    ]
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:3900].rsplit("\n", 1)[0] + "\n…"
    rows = [
        [(tr.gettext("📄 Roster CSV"), encode(NS.LAB_ADMIN, "roster_csv", lab.id))],
        [(tr.gettext("« Back"), encode(NS.LAB_ADMIN, "manage", lab.id))],
    ]
    await show(update, text, keyboard(rows))


def roster_csv(context: MagnetContext, roster: Roster) -> bytes:
    """The whole roster; names only of those who agreed to be listed, no Telegram ids."""
    tr = context.tr
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            # TRANSLATORS: Roster CSV column header: the registration number.
            tr.gettext("registration"),
            # TRANSLATORS: Roster CSV column header: the registration's status (confirmed, waitlisted…).
            tr.gettext("status"),
            tr.gettext("waitlist position"),
            # TRANSLATORS: Roster CSV column header: seats taken (1 or 2).
            tr.gettext("seats"),
            tr.gettext("name"),
            tr.gettext("municipality"),
            tr.gettext("age group"),
            # TRANSLATORS: Roster CSV column header: check-in time (a timestamp).
            tr.gettext("checked in"),
        ]
    )

    def label(choices, code):  # type: ignore[no-untyped-def]
        return label_in(tr, choices, code) or ""

    statuses = {
        # TRANSLATORS: Status of a registration in the roster CSV (sl: agrees with "prijava").
        RegistrationStatus.CONFIRMED: tr.gettext("confirmed"),
        # TRANSLATORS: Status of a registration in the roster CSV (sl: agrees with "prijava").
        RegistrationStatus.OFFERED: tr.gettext("offered"),
        # TRANSLATORS: Status of a registration in the roster CSV (sl: agrees with "prijava").
        RegistrationStatus.WAITLISTED: tr.gettext("waitlisted"),
    }
    for group in (roster.confirmed, roster.offered, roster.waitlisted):
        for entry in group:
            reg = entry.registration
            writer.writerow(
                [
                    reg.id,
                    statuses[reg.status],
                    reg.position or "",
                    reg.seats,
                    _cell(entry.name or ""),
                    label(tr.town.municipalities, entry.municipality),
                    label(AGE_BANDS, entry.age_band),
                    reg.checked_in_at.astimezone(context.services.settings.tz).strftime(
                        "%Y-%m-%d %H:%M"
                    )
                    if reg.checked_in_at
                    else "",
                ]
            )
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: str) -> str:
    """A name a spreadsheet would run as a formula is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@coordinator_button
async def send_roster_csv(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    await answer(update)
    roster = await context.services.lab_records.roster_export(lab_id, context.me.telegram_id)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        InputFile(roster_csv(context, roster), filename=f"lab-{lab_id}-roster.csv"),
        caption=escape(roster.lab.title(context.tr.locale)),
    )


@coordinator_button
async def send_poster_qr(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    tr = context.tr
    await answer(update)
    lab = await context.services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND)
    link = lab_link(context.bot.username, lab.id)
    chat = update.effective_chat
    assert chat is not None
    caption = tr.gettext("QR code for the poster of %(title)s. It opens: %(link)s") % {
        "title": lab.title(tr.locale),
        "link": link,
    }
    await chat.send_document(
        InputFile(qr_png(link), filename=f"lab-{lab.id}-qr.png"),
        caption=escape(caption),
    )


@requires_role(Role.COORDINATOR)
async def roster_command(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    args = context.args or []
    lab_id = parse_int(args[0]) if args else None
    if lab_id is not None:
        try:
            await show_roster(update, context, lab_id)
        except LabError as exc:
            await send(update, escape(problem_text(tr, LabProblem(exc.problem))))
        return
    labs = await context.services.labs.upcoming(limit=20)
    if not labs:
        await send(
            update,
            escape(tr.gettext("No labs are planned at the moment. Announcements will tell you.")),
        )
        return
    rows = [[(lab.title(tr.locale)[:60], encode(NS.LAB_ADMIN, "roster", lab.id))] for lab in labs]
    await send(update, bold(tr.gettext("Whose roster?")), keyboard(rows))


@requires_role(Role.COORDINATOR)
async def checkin_command(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    args = context.args or []
    if not args:
        text = tr.gettext("Write the resident's code after the command, like %(example)s.") % {
            "example": screens.command(tr, "checkin") + " K7M2QX"
        }
        await send(update, escape(text))
        return
    await check_in(update, context, args[0])


async def check_in(update: Update, context: MagnetContext, code: str) -> None:
    tr = context.tr
    resident = context.me
    if not resident.has_role(Role.COORDINATOR):
        log.warning("a check-in link was opened without the coordinator role")
        await send(update, escape(tr.gettext("Please show this code to a coordinator at the lab.")))
        return
    try:
        lab, reg, already = await context.services.lab_records.check_in(code, resident.telegram_id)
    except LabError as exc:
        await send(update, escape(problem_text(tr, LabProblem(exc.problem), exc.detail)))
        return
    roster = await context.services.lab_records.roster(lab.id)
    guest = reg.seats > 1
    if already and guest:
        text = tr.gettext("Already checked in: %(code)s at %(title)s, with a guest.")
    elif already:
        text = tr.gettext("Already checked in: %(code)s at %(title)s.")
    elif guest:
        text = tr.gettext("✅ Checked in: %(code)s at %(title)s, with a guest.")
    else:
        text = tr.gettext("✅ Checked in: %(code)s at %(title)s.")
    text = text % {"code": reg.checkin_code, "title": lab.title(tr.locale)}
    count = tr.ngettext("%(count)d checked in", "%(count)d checked in", roster.checked_in) % {
        "count": roster.checked_in
    }
    await send(update, escape(text) + "\n" + escape(count))
