"""Coordinators: /newlab (/nova_delavnica) step by step, then edit or cancel a lab."""

from __future__ import annotations

import logging

from telegram import Update

from bot.codec import NS, Callback, decode, encode
from bot.context import MagnetContext
from bot.domain import TOPICS, Role
from bot.services.labs.input import InputError
from bot.services.labs.types import EDITABLE, LabError, LabProblem, LabStep, LabView
from handlers import screens
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
from handlers.labs import screens as ls
from handlers.labs.fields import TEXT_STEPS, field_name, question, summary
from handlers.labs.manage import confirm_cancel, manage_lab, send_qr, send_roster_csv, show_roster
from handlers.labs.signup import problem_text

log = logging.getLogger(__name__)


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
        return label, encode(NS.LAB_ADMIN, "set", lab.id, step.value, value)

    if step in (LabStep.TITLE_EN, LabStep.DESCRIPTION_EN):
        rows.append(
            [
                (
                    tr.gettext("Same text as in Slovenian"),
                    encode(NS.LAB_ADMIN, "same", lab.id, step.value),
                )
            ]
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
        rows.append([(tr.gettext("« Back"), encode(NS.LAB_ADMIN, "manage", lab.id))])
    elif lab.status == "draft":
        rows.append([(tr.gettext("🗑 Discard"), encode(NS.LAB_ADMIN, "discard", lab.id))])
    return keyboard(rows) if rows else None


async def _preview(update: Update, context: MagnetContext, lab: LabView) -> None:
    tr = context.tr
    head = bold(tr.gettext("Preview: this is how residents will see the lab"))
    card = ls.card_text(tr, lab, None)
    note = tr.gettext("Check everything, then publish. Residents see it in %(labs)s at once.") % {
        "labs": screens.command(context.tr, "labs")
    }
    text = f"{head}\n\n{card}\n\n{summary(context, lab)}\n\n{escape(note)}"
    await show(
        update,
        text,
        keyboard(
            [
                [(tr.gettext("✅ Publish"), encode(NS.LAB_ADMIN, "publish", lab.id))],
                [(tr.gettext("✏️ Change something"), encode(NS.LAB_ADMIN, "editmenu", lab.id))],
                [(tr.gettext("🗑 Discard"), encode(NS.LAB_ADMIN, "discard", lab.id))],
            ]
        ),
    )


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
        await manage_lab(update, context, updated.id, fresh=True)
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
        await send(update, escape(context.tr.gettext("Saved. Everyone signed up is being told.")))
    elif updated.status == "published":
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
        await answer(update)
        if lab.status == "draft":
            await prompt(update, context, lab)
        else:
            await context.services.residents.set_awaiting(actor, None)
            await manage_lab(update, context, lab.id)
    elif action == "publish":
        lab = await admin.publish(actor, lab_id)
        await context.services.residents.set_awaiting(actor, None)
        await answer(update, tr.gettext("Published."))
        await manage_lab(update, context, lab.id)
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
        await manage_lab(update, context, lab_id)
    elif action == "cancel":
        await answer(update)
        await confirm_cancel(update, context, lab_id)
    elif action == "cancely":
        told = await admin.cancel(actor, lab_id)
        await answer(update, tr.gettext("Cancelled."))
        text = tr.ngettext(
            "The lab is cancelled; %(count)d person signed up is being told.",
            "The lab is cancelled; %(count)d people signed up are being told.",
            told,
        ) % {"count": told}
        await show(update, escape(text))
    elif action == "roster":
        await answer(update)
        await show_roster(update, context, lab_id)
    elif action == "csv":
        await answer(update)
        await send_roster_csv(update, context, lab_id)
    elif action == "qr":
        await answer(update)
        await send_qr(update, context, lab_id)
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
    buttons = [
        (field_name(context, s), encode(NS.LAB_ADMIN, "edit", lab.id, s.value)) for s in EDITABLE
    ]
    back = (
        encode(NS.LAB_ADMIN, "manage", lab.id)
        if lab.status == "published"
        else encode(NS.LAB_ADMIN, "preview", lab.id)
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
