"""Coordinators: /newlab (/nova_delavnica) step by step, then manage a lab: edit, cancel,
the roster (/roster, /udelezenci) with its CSV, the poster QR code and /checkin (/prijava)."""

from __future__ import annotations

import csv
import io
import logging

from telegram import InputFile, Update

from bot.calendar import lab_link, qr_png
from bot.context import MagnetContext
from bot.domain import AGE_BANDS, MUNICIPALITIES, TOPICS, Role, label_of
from bot.services.lab_input import InputError
from bot.services.lab_views import EDITABLE, LabError, LabProblem, LabStep, LabView, Roster
from handlers import lab_screens as ls
from handlers.codec import Callback, decode, encode
from handlers.common import (
    Button,
    answer,
    bold,
    escape,
    in_rows,
    keyboard,
    requires_role,
    send,
    show,
)
from handlers.common import stale_button as _stale
from handlers.labs import problem_text

log = logging.getLogger(__name__)

TEXT_STEPS = {
    LabStep.TITLE_SL,
    LabStep.TITLE_EN,
    LabStep.DESCRIPTION_SL,
    LabStep.DESCRIPTION_EN,
    LabStep.START,
    LabStep.END,
    LabStep.CAPACITY,
    LabStep.DEADLINE,
    LabStep.REMINDERS,
}


def field_name(context: MagnetContext, step: LabStep) -> str:
    tr = context.tr
    return {
        LabStep.TITLE_SL: tr.gettext("Title in Slovenian"),
        LabStep.TITLE_EN: tr.gettext("Title in English"),
        LabStep.DESCRIPTION_SL: tr.gettext("Description in Slovenian"),
        LabStep.DESCRIPTION_EN: tr.gettext("Description in English"),
        LabStep.HUB: tr.gettext("Hub"),
        LabStep.TOPIC: tr.gettext("Theme"),
        LabStep.START: tr.gettext("Start"),
        LabStep.END: tr.gettext("End"),
        LabStep.CAPACITY: tr.gettext("Seats"),
        LabStep.DEADLINE: tr.gettext("Registration deadline"),
        LabStep.REMINDERS: tr.gettext("Reminders"),
        LabStep.GUESTS: tr.gettext("Guests"),
        LabStep.PREVIEW: tr.gettext("Preview"),
    }[step]


def question(context: MagnetContext, step: LabStep) -> str:
    tr = context.tr
    return {
        LabStep.TITLE_SL: tr.gettext("What is the lab called? Write the title in Slovenian."),
        LabStep.TITLE_EN: tr.gettext("Now the title in English (or use the same text)."),
        LabStep.DESCRIPTION_SL: tr.gettext(
            "Describe the lab in Slovenian: what happens, for whom, what to bring."
        ),
        LabStep.DESCRIPTION_EN: tr.gettext("The description in English (or use the same text)."),
        LabStep.HUB: tr.gettext("Where does it take place?"),
        LabStep.TOPIC: tr.gettext("Which theme is it about?"),
        LabStep.START: tr.gettext("When does it start? For example %(example)s.")
        % {"example": "3. 12. 17:00"},
        LabStep.END: tr.gettext(
            "When does it end? Write the end time (%(time)s) or the length (%(length)s)."
        )
        % {"time": "19:00", "length": "2 h"},
        LabStep.CAPACITY: tr.gettext("How many seats are there? Write a number."),
        LabStep.DEADLINE: tr.gettext(
            "Until when can residents sign up? Choose below or write a date and time."
        ),
        LabStep.REMINDERS: tr.gettext(
            "When should residents be reminded? Write hours before the start, like %(example)s."
        )
        % {"example": "24, 2"},
        LabStep.GUESTS: tr.gettext("May residents bring a guest (+1)?"),
        LabStep.PREVIEW: "",
    }[step]


def _reminders(context: MagnetContext, lab: LabView) -> str:
    tr = context.tr
    if not lab.reminder_minutes:
        return tr.gettext("none")
    hours = [tr.decimal(m / 60, "0.##") for m in lab.reminder_minutes]
    return tr.gettext("%(hours)s h before") % {"hours": ", ".join(hours)}


def summary(context: MagnetContext, lab: LabView) -> str:
    """Every field of a lab, for the preview and the manage view."""
    tr = context.tr
    dash = "—"
    rows = [
        (LabStep.TITLE_SL, lab.title_sl or dash),
        (LabStep.TITLE_EN, lab.title_en or dash),
        (LabStep.HUB, ls.place(tr, lab) if lab.hub_code else dash),
        (LabStep.TOPIC, ls.topic_label(tr, lab.topic) if lab.topic else dash),
        (LabStep.START, tr.when(lab.starts_at) if lab.starts_at else dash),
        (LabStep.END, tr.when(lab.ends_at) if lab.ends_at else dash),
        (
            LabStep.CAPACITY,
            str(lab.capacity) if lab.capacity is not None else tr.gettext("no limit"),
        ),
        (
            LabStep.DEADLINE,
            tr.when(lab.deadline) if lab.deadline else tr.gettext("until it starts"),
        ),
        (LabStep.REMINDERS, _reminders(context, lab)),
        (LabStep.GUESTS, tr.gettext("+1 allowed") if lab.guests else tr.gettext("no guests")),
    ]
    lines = [f"{escape(field_name(context, step))}: {escape(value)}" for step, value in rows]
    for step, text in (
        (LabStep.DESCRIPTION_SL, lab.description_sl),
        (LabStep.DESCRIPTION_EN, lab.description_en),
    ):
        lines += ["", bold(field_name(context, step)), escape(text or dash)]
    return "\n".join(lines)


# ---- composing ---------------------------------------------------------------------------


@requires_role(Role.COORDINATOR)
async def start_new_lab(update: Update, context: MagnetContext) -> None:
    resident = context.resident
    assert resident is not None
    lab, new = await context.services.lab_admin.start(resident.telegram_id, context.tr.locale)
    if not new:
        await send(
            update, escape(context.tr.gettext("You have an unfinished lab; let's continue it."))
        )
    await context.services.residents.set_awaiting(resident.telegram_id, "lab")
    await prompt(update, context, lab)


async def prompt(update: Update, context: MagnetContext, lab: LabView) -> None:
    tr = context.tr
    step = lab.compose_step
    if step is None:
        return
    if step == LabStep.PREVIEW:
        await _preview(update, context, lab)
        return
    number = list(LabStep).index(step) + 1
    head = tr.gettext("New lab, step %(step)d of %(count)d") % {
        "step": number,
        "count": len(EDITABLE),
    }
    text = f"<i>{escape(head)}</i>\n\n{bold(question(context, step))}"
    hubs = await context.services.lab_admin.hubs()
    await show(update, text, _step_buttons(context, lab, step, hubs))


def _step_buttons(  # type: ignore[no-untyped-def]
    context: MagnetContext,
    lab: LabView,
    step: LabStep,
    hubs: list[tuple[str, str, str]],
    edit: bool = False,
):
    """The buttons of a step (set/same/none...), for a draft or an edit of a published lab."""
    tr = context.tr
    rows: list[list[Button]] = []

    def b(label: str, value: str) -> Button:
        return label, encode("lba", "set", lab.id, step.value, value)

    if step in (LabStep.TITLE_EN, LabStep.DESCRIPTION_EN):
        rows.append(
            [(tr.gettext("Same text as in Slovenian"), encode("lba", "same", lab.id, step.value))]
        )
    elif step == LabStep.HUB:
        rows.append([b(sl if tr.locale == "sl" else en, code) for code, sl, en in hubs])
    elif step == LabStep.TOPIC:
        rows += in_rows([b(tr.gettext(t.label), t.code) for t in TOPICS], 2)
    elif step == LabStep.CAPACITY:
        rows.append([b(tr.gettext("No limit (open event)"), "0")])
    elif step == LabStep.DEADLINE:
        rows.append(
            [b(tr.gettext("Until it starts"), "0"), b(tr.gettext("Until the day before"), "day")]
        )
    elif step == LabStep.REMINDERS:
        rows.append(
            [b(tr.gettext("24 h and 2 h before"), "24.2"), b(tr.gettext("No reminders"), "0")]
        )
    elif step == LabStep.GUESTS:
        rows.append([b(tr.gettext("No guests"), "0"), b(tr.gettext("+1 guest allowed"), "1")])
    if edit:
        rows.append([(tr.gettext("« Back"), encode("lba", "manage", lab.id))])
    elif lab.status == "draft":
        rows.append([(tr.gettext("🗑 Discard"), encode("lba", "discard", lab.id))])
    return keyboard(rows) if rows else None


async def _preview(update: Update, context: MagnetContext, lab: LabView) -> None:
    tr = context.tr
    head = bold(tr.gettext("Preview: this is how residents will see the lab"))
    card = ls.card_text(tr, lab, None)
    note = tr.gettext("Check everything, then publish. Residents see it in %(labs)s at once.") % {
        "labs": "/" + _cmd(context, "labs")
    }
    text = f"{head}\n\n{card}\n\n{summary(context, lab)}\n\n{escape(note)}"
    await show(
        update,
        text,
        keyboard(
            [
                [(tr.gettext("✅ Publish"), encode("lba", "publish", lab.id))],
                [(tr.gettext("✏️ Change something"), encode("lba", "editmenu", lab.id))],
                [(tr.gettext("🗑 Discard"), encode("lba", "discard", lab.id))],
            ]
        ),
    )


def _cmd(context: MagnetContext, name: str) -> str:
    from handlers.menu import command_name

    return command_name(name, context.tr.locale)


async def compose_text(update: Update, context: MagnetContext) -> bool:
    """Typed input for a coordinator's lab draft; False if there is none waiting for it."""
    resident, message = context.resident, update.effective_message
    if resident is None or not resident.has_role(Role.COORDINATOR):
        return False
    assert message is not None and message.text is not None
    lab = await context.services.lab_admin.draft(resident.telegram_id)
    if lab is None or lab.compose_step is None:
        return False
    step = lab.compose_step
    if step not in TEXT_STEPS:
        await send(update, escape(context.tr.gettext("Please choose one of the options below.")))
        await prompt(update, context, lab)
        return True
    updated = await _set(update, context, lab, step, message.text)
    if updated is not None:
        await prompt(update, context, updated)
    return True


async def edit_text(update: Update, context: MagnetContext, lab_id: int, step: LabStep) -> bool:
    """Typed input for a field of a published lab being edited."""
    resident, message = context.resident, update.effective_message
    if resident is None or not resident.has_role(Role.COORDINATOR):
        return False
    assert message is not None and message.text is not None
    lab = await context.services.labs.get(lab_id)
    if lab is None or lab.status != "published":
        await context.services.residents.set_awaiting(resident.telegram_id, None)
        return False
    updated = await _set(update, context, lab, step, message.text)
    if updated is not None:
        await context.services.residents.set_awaiting(resident.telegram_id, None)
        await _manage(update, context, updated.id, fresh=True)
    return True


async def _set(
    update: Update, context: MagnetContext, lab: LabView, step: LabStep, raw: str
) -> LabView | None:
    """Store one field; a polite re-ask when the value doesn't fit."""
    resident = context.resident
    assert resident is not None
    try:
        updated, told = await context.services.lab_admin.set_field(
            resident.telegram_id, lab.id, step, raw
        )
    except InputError as exc:
        await send(update, escape(exc.render(context.tr.gettext)))
        return None
    if told:
        context.services.delivery_engine.wake()
        await send(update, escape(context.tr.gettext("Saved. Everyone signed up is being told.")))
    elif updated.status == "published":
        context.services.delivery_engine.wake()
        await send(update, escape(context.tr.gettext("Saved.")))
    return updated


@requires_role(Role.COORDINATOR)
async def admin_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    if callback is None or not (callback.arg(0) or "").isdigit():
        await _stale(update, context, "undecodable lab admin button")
        return
    lab_id = int(callback.arg(0) or 0)
    try:
        await _dispatch(update, context, callback, lab_id)
    except InputError as exc:
        await answer(update, exc.render(context.tr.gettext), alert=True)
    except LabError as exc:
        if exc.problem in (LabProblem.STALE, LabProblem.NOT_FOUND, LabProblem.NOT_YOURS):
            await _stale(update, context, f"lab {lab_id}: {exc}")
        else:
            await answer(update, problem_text(context, exc.problem), alert=True)


async def _dispatch(
    update: Update, context: MagnetContext, callback: Callback, lab_id: int
) -> None:
    tr, admin = context.tr, context.services.lab_admin
    resident = context.resident
    assert resident is not None
    actor, action = resident.telegram_id, callback.action
    steps = {s.value: s for s in EDITABLE}
    if action in ("set", "same") and callback.arg(1) in steps:
        step = steps[callback.arg(1) or ""]
        value = callback.arg(2) or ""
        if action == "set" and step == LabStep.REMINDERS and value == "24.2":
            value = "24, 2"
        if action == "same":
            lab = await admin.same_text(actor, lab_id, step)
        else:
            lab, told = await admin.set_field(actor, lab_id, step, value)
            if lab.status == "published":
                context.services.delivery_engine.wake()
        await answer(update)
        if lab.status == "draft":
            await prompt(update, context, lab)
        else:
            await context.services.residents.set_awaiting(actor, None)
            await _manage(update, context, lab.id)
    elif action == "publish":
        lab = await admin.publish(actor, lab_id)
        await context.services.residents.set_awaiting(actor, None)
        await answer(update, tr.gettext("Published."))
        await _manage(update, context, lab.id)
    elif action == "discard":
        if not await admin.discard(actor, lab_id):
            raise LabError(LabProblem.NOT_FOUND)
        await context.services.residents.set_awaiting(actor, None)
        await answer(update)
        await show(update, escape(tr.gettext("The lab is discarded.")))
    elif action == "editmenu":
        await answer(update)
        await _edit_menu(update, context, lab_id)
    elif action == "edit" and callback.arg(1) in steps:
        await _start_edit(update, context, lab_id, steps[callback.arg(1) or ""])
    elif action == "preview":
        lab = await admin.back_to_preview(actor, lab_id)
        await answer(update)
        await prompt(update, context, lab)
    elif action == "manage":
        await answer(update)
        await _manage(update, context, lab_id)
    elif action == "cancel":
        await answer(update)
        await _confirm_cancel(update, context, lab_id)
    elif action == "cancely":
        told = await admin.cancel(actor, lab_id)
        context.services.delivery_engine.wake()
        await answer(update, tr.gettext("Cancelled."))
        text = tr.ngettext(
            "The lab is cancelled; %(count)d person signed up is being told.",
            "The lab is cancelled; %(count)d people signed up are being told.",
            told,
        ) % {"count": told}
        await show(update, escape(text))
    elif action == "roster":
        await answer(update)
        await _roster(update, context, lab_id)
    elif action == "csv":
        await answer(update)
        await _roster_csv(update, context, lab_id)
    elif action == "qr":
        await answer(update)
        await _qr(update, context, lab_id)
    else:
        await _stale(update, context, f"lab admin action {action}")


async def _lab_any(context: MagnetContext, lab_id: int) -> LabView:
    resident = context.resident
    assert resident is not None
    lab = await context.services.labs.get(lab_id)
    if lab is None:
        draft = await context.services.lab_admin.draft(resident.telegram_id)
        if draft is None or draft.id != lab_id:
            raise LabError(LabProblem.NOT_FOUND, str(lab_id))
        return draft
    return lab


async def _edit_menu(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr = context.tr
    lab = await _lab_any(context, lab_id)
    if lab.status == "cancelled":
        raise LabError(LabProblem.CANCELLED)
    buttons = [(field_name(context, s), encode("lba", "edit", lab.id, s.value)) for s in EDITABLE]
    back = (
        encode("lba", "manage", lab.id)
        if lab.status == "published"
        else encode("lba", "preview", lab.id)
    )
    rows = [*in_rows(buttons, 2), [(tr.gettext("« Back"), back)]]
    await show(update, bold(tr.gettext("What would you like to change?")), keyboard(rows))


async def _start_edit(update: Update, context: MagnetContext, lab_id: int, step: LabStep) -> None:
    admin = context.services.lab_admin
    resident = context.resident
    assert resident is not None
    lab = await _lab_any(context, lab_id)
    await answer(update)
    if lab.status == "draft":
        lab = await admin.go_to(resident.telegram_id, lab.id, step)
        await context.services.residents.set_awaiting(resident.telegram_id, "lab")
        await prompt(update, context, lab)
        return
    if lab.status != "published":
        raise LabError(LabProblem.CANCELLED)
    if step in TEXT_STEPS:
        await context.services.residents.set_awaiting(
            resident.telegram_id, f"labedit:{lab.id}:{step.value}"
        )
    text = f"{bold(field_name(context, step))}\n{escape(question(context, step))}"
    hubs = await context.services.lab_admin.hubs()
    await show(update, text, _step_buttons(context, lab, step, hubs, edit=True))


async def _manage(update: Update, context: MagnetContext, lab_id: int, fresh: bool = False) -> None:
    tr, services = context.tr, context.services
    lab = await services.labs.get(lab_id)
    if lab is None:
        raise LabError(LabProblem.NOT_FOUND, str(lab_id))
    roster = await services.labs.roster(lab_id)
    text = f"{ls.card_text(tr, lab, None, details=False)}\n\n{_counts(context, roster)}"
    rows: list[list[Button]] = [
        [
            (tr.gettext("👥 Roster"), encode("lba", "roster", lab.id)),
            (tr.gettext("📄 Roster CSV"), encode("lba", "csv", lab.id)),
        ],
        [(tr.gettext("🔳 Poster QR code"), encode("lba", "qr", lab.id))],
    ]
    if lab.status == "published":
        rows.append(
            [
                (tr.gettext("✏️ Edit"), encode("lba", "editmenu", lab.id)),
                (tr.gettext("❌ Cancel the lab"), encode("lba", "cancel", lab.id)),
            ]
        )
    rows.append([(tr.gettext("« All labs"), encode("lab", "list", "all", "all"))])
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
        tr.ngettext("%(count)d offer open", "%(count)d offers open", len(roster.offered))
        % {"count": len(roster.offered)},
        tr.ngettext(
            "%(count)d on the waitlist", "%(count)d on the waitlist", len(roster.waitlisted)
        )
        % {"count": len(roster.waitlisted)},
        tr.ngettext("%(count)d checked in", "%(count)d checked in", roster.checked_in)
        % {"count": roster.checked_in},
    ]
    return "\n".join(escape(line) for line in lines)


async def _confirm_cancel(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr = context.tr
    lab = await context.services.labs.get(lab_id)
    if lab is None or lab.status != "published":
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
                    (tr.gettext("Yes, cancel the lab"), encode("lba", "cancely", lab_id)),
                    (tr.gettext("No"), encode("lba", "manage", lab_id)),
                ]
            ]
        ),
    )


# ---- roster, QR code and check-in --------------------------------------------------------


async def _roster(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr = context.tr
    roster = await context.services.labs.roster(lab_id)
    lab = roster.lab
    lines = [bold(lab.title(tr.locale)), _counts(context, roster), ""]
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
        ls.feedback_text(tr, lab, roster.feedback, context.services.settings.min_group_size),
    ]
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:3900].rsplit("\n", 1)[0] + "\n…"
    rows = [
        [(tr.gettext("📄 Roster CSV"), encode("lba", "csv", lab.id))],
        [(tr.gettext("« Back"), encode("lba", "manage", lab.id))],
    ]
    await show(update, text, keyboard(rows))


def roster_csv(context: MagnetContext, roster: Roster) -> bytes:
    """The whole roster; names only of those who agreed to be listed, no Telegram ids."""
    tr = context.tr
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            tr.gettext("registration"),
            tr.gettext("status"),
            tr.gettext("waitlist position"),
            tr.gettext("seats"),
            tr.gettext("name"),
            tr.gettext("municipality"),
            tr.gettext("age group"),
            tr.gettext("checked in"),
        ]
    )

    def label(choices, code):  # type: ignore[no-untyped-def]
        found = label_of(choices, code)
        return tr.gettext(found) if found else ""

    statuses = {
        "confirmed": tr.gettext("confirmed"),
        "offered": tr.gettext("offered"),
        "waitlisted": tr.gettext("waitlisted"),
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
                    label(MUNICIPALITIES, entry.municipality),
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


async def _roster_csv(update: Update, context: MagnetContext, lab_id: int) -> None:
    resident = context.resident
    assert resident is not None
    roster = await context.services.labs.roster_export(lab_id, resident.telegram_id)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        InputFile(roster_csv(context, roster), filename=f"lab-{lab_id}-roster.csv"),
        caption=escape(roster.lab.title(context.tr.locale)),
    )


async def _qr(update: Update, context: MagnetContext, lab_id: int) -> None:
    tr = context.tr
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
    if args and args[0].isdigit():
        try:
            await _roster(update, context, int(args[0]))
        except LabError as exc:
            await send(update, escape(problem_text(context, exc.problem)))
        return
    labs = await context.services.labs.upcoming(limit=20)
    if not labs:
        await send(
            update,
            escape(tr.gettext("No labs are planned at the moment. Announcements will tell you.")),
        )
        return
    rows = [[(lab.title(tr.locale)[:60], encode("lba", "roster", lab.id))] for lab in labs]
    await send(update, bold(tr.gettext("Whose roster?")), keyboard(rows))


@requires_role(Role.COORDINATOR)
async def checkin_command(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    args = context.args or []
    if not args:
        text = tr.gettext("Write the resident's code after the command, like %(example)s.") % {
            "example": "/" + _cmd(context, "checkin") + " K7M2QX"
        }
        await send(update, escape(text))
        return
    await check_in(update, context, args[0])


async def check_in(update: Update, context: MagnetContext, code: str) -> None:
    tr = context.tr
    resident = context.resident
    assert resident is not None
    if not resident.has_role(Role.COORDINATOR):
        log.warning(
            "user %s opened a check-in link without the coordinator role", resident.telegram_id
        )
        await send(update, escape(tr.gettext("Please show this code to a coordinator at the lab.")))
        return
    try:
        lab, reg, already = await context.services.labs.check_in(code, resident.telegram_id)
    except LabError as exc:
        texts = {
            LabProblem.UNKNOWN_CODE: tr.gettext("No registration has the code %(code)s.")
            % {"code": code.upper()},
            LabProblem.NOT_CONFIRMED: tr.gettext(
                "This registration is not confirmed (waitlist or cancelled)."
            ),
            LabProblem.NOT_NOW: tr.gettext("Check-in is open only around the time of the lab."),
        }
        await send(update, escape(texts.get(exc.problem, problem_text(context, exc.problem))))
        return
    roster = await context.services.labs.roster(lab.id)
    if already:
        text = tr.gettext("Already checked in: %(code)s at %(title)s.")
    else:
        text = tr.gettext("✅ Checked in: %(code)s at %(title)s.")
    text = text % {"code": reg.checkin_code, "title": lab.title(tr.locale)}
    guest = tr.gettext(" (with a guest)") if reg.seats > 1 else ""
    count = tr.ngettext("%(count)d checked in", "%(count)d checked in", roster.checked_in) % {
        "count": roster.checked_in
    }
    await send(update, escape(text + guest) + "\n" + escape(count))
