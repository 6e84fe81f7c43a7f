"""Coordinators: /newlab (/nova_delavnica) step by step, then edit a lab field by field."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update

from bot.codec import NS, Callback, awaiting, encode
from bot.context import MagnetContext
from bot.domain import LabStatus, Role
from bot.services.hubs import HubView
from bot.services.labs.parsing import InputError
from bot.services.labs.types import (
    EDITABLE,
    LabAwaiting,
    LabError,
    LabProblem,
    LabStep,
    LabView,
)
from bot.services.labs.wording import input_text
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
from handlers.labs.fields import TEXT_STEPS, field_name, question, summary
from handlers.labs.manage import manage_lab
from handlers.labs.problems import BadButton, coordinator_button, numbers
from handlers.labs.screens import card_text

STEPS = {s.value: s for s in EDITABLE}


@requires_role(Role.COORDINATOR)
async def start_new_lab(update: Update, context: MagnetContext) -> None:
    telegram_id = context.me.telegram_id
    lab, new = await context.services.lab_admin.start(telegram_id, context.tr.locale)
    if not new:
        await send(
            update, escape(context.tr.gettext("You have an unfinished lab; let's continue it."))
        )
    await context.services.residents.set_awaiting(telegram_id, awaiting(LabAwaiting.DRAFT))
    await prompt(update, context, lab)


async def prompt(update: Update, context: MagnetContext, lab: LabView) -> None:
    """Ask for the draft's current step (or show its preview)."""
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
    hubs = await context.services.hubs.list_hubs()
    await show(update, text, _step_buttons(context, lab, step, hubs))


def _step_buttons(
    context: MagnetContext,
    lab: LabView,
    step: LabStep,
    hubs: Sequence[HubView],
    edit: bool = False,
) -> InlineKeyboardMarkup | None:
    """The buttons of a step (set/same/none...), for a draft or an edit of a published lab."""
    tr = context.tr
    rows: list[list[Button]] = []

    def b(label: str, value: str) -> Button:
        return label, encode(NS.LAB_ADMIN, "set", lab.id, step.value, value)

    if step in (LabStep.TITLE_EN, LabStep.DESCRIPTION_EN):
        same = encode(NS.LAB_ADMIN, "same_text", lab.id, step.value)
        rows.append([(tr.gettext("Same text as in Slovenian"), same)])
    elif step == LabStep.HUB:
        rows.append([b(hub.name(tr.locale), hub.code) for hub in hubs])
    elif step == LabStep.TOPIC:
        rows += in_rows([b(t.text(tr), t.code) for t in tr.town.topics], 2)
    elif step == LabStep.CAPACITY:
        rows.append([b(tr.gettext("No limit (open event)"), "0")])
    elif step == LabStep.DEADLINE:
        rows.append(
            [
                b(tr.gettext("Until it starts"), "0"),
                # TRANSLATORS: Registration-deadline option: sign-up closes one day before the lab.
                b(tr.gettext("Until the day before"), "day"),
            ]
        )
    elif step == LabStep.REMINDERS:
        rows.append(
            [b(tr.gettext("24 h and 2 h before"), "24.2"), b(tr.gettext("No reminders"), "0")]
        )
    elif step == LabStep.GUESTS:
        rows.append([b(tr.gettext("No guests"), "0"), b(tr.gettext("+1 guest allowed"), "1")])
    if edit:
        rows.append([(tr.gettext("« Back"), encode(NS.LAB_ADMIN, "manage", lab.id))])
    elif lab.status == LabStatus.DRAFT:
        rows.append([(tr.gettext("🗑 Discard"), encode(NS.LAB_ADMIN, "discard", lab.id))])
    return keyboard(rows) if rows else None


async def _preview(update: Update, context: MagnetContext, lab: LabView) -> None:
    tr = context.tr
    head = bold(tr.gettext("Preview: this is how residents will see the lab"))
    card = card_text(tr, lab, None)
    # TRANSLATORS: %(labs)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    note = tr.gettext("Check everything, then publish. Residents see it in %(labs)s at once.") % {
        "labs": screens.command(context.tr, "labs")
    }
    fallback = screens.english_fallback(tr)
    note = f"{note}\n{fallback}" if fallback else note
    text = f"{head}\n\n{card}\n\n{summary(context, lab)}\n\n{escape(note)}"
    await show(
        update,
        text,
        keyboard(
            [
                [(tr.gettext("✅ Publish"), encode(NS.LAB_ADMIN, "publish", lab.id))],
                [(tr.gettext("✏️ Change something"), encode(NS.LAB_ADMIN, "edit_menu", lab.id))],
                [(tr.gettext("🗑 Discard"), encode(NS.LAB_ADMIN, "discard", lab.id))],
            ]
        ),
    )


async def compose_text(update: Update, context: MagnetContext) -> bool:
    """Typed input for a coordinator's lab draft; False if there is none waiting for it."""
    resident, message = context.me, update.effective_message
    if not resident.has_role(Role.COORDINATOR):
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
    resident, message = context.me, update.effective_message
    if not resident.has_role(Role.COORDINATOR):
        return False
    assert message is not None and message.text is not None
    lab = await context.services.labs.get(lab_id)
    if lab is None or lab.status != LabStatus.PUBLISHED:
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
    tr = context.tr
    try:
        updated, told = await context.services.lab_admin.set_field(
            context.me.telegram_id, lab.id, step, raw
        )
    except InputError as exc:
        await send(update, escape(input_text(tr, exc)))
        return None
    if told:
        await send(update, escape(tr.gettext("Saved. Everyone signed up is being told.")))
    elif updated.status == LabStatus.PUBLISHED:
        await send(update, escape(tr.gettext("Saved.")))
    return updated


def _step(callback: Callback) -> LabStep:
    step = STEPS.get(callback.arg(1) or "")
    if step is None:
        raise BadButton(f"step {callback.args}")
    return step


@coordinator_button
async def set_value(update: Update, context: MagnetContext, callback: Callback) -> None:
    """A value chosen with a button (a hub, a theme, "no limit"...)."""
    (lab_id,) = numbers(callback, 1)
    step, value = _step(callback), callback.arg(2) or ""
    if step == LabStep.REMINDERS and value == "24.2":
        value = "24, 2"  # what the button means, as a coordinator would type it
    lab, _ = await context.services.lab_admin.set_field(context.me.telegram_id, lab_id, step, value)
    await _after_button_set(update, context, lab)


@coordinator_button
async def same_text(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The English text is the Slovenian one."""
    (lab_id,) = numbers(callback, 1)
    lab = await context.services.lab_admin.same_text(
        context.me.telegram_id, lab_id, _step(callback)
    )
    await _after_button_set(update, context, lab)


async def _after_button_set(update: Update, context: MagnetContext, lab: LabView) -> None:
    """A draft goes on to its next step; an edited lab goes back to its management view."""
    await answer(update)
    if lab.status == LabStatus.DRAFT:
        await prompt(update, context, lab)
        return
    await context.services.residents.set_awaiting(context.me.telegram_id, None)
    await manage_lab(update, context, lab.id)


@coordinator_button
async def publish_lab(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    actor = context.me.telegram_id
    lab = await context.services.lab_admin.publish(actor, lab_id)
    await context.services.residents.set_awaiting(actor, None)
    await answer(update, context.tr.gettext("Published."))
    await manage_lab(update, context, lab.id)


@coordinator_button
async def discard_draft(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    actor = context.me.telegram_id
    if not await context.services.lab_admin.discard(actor, lab_id):
        raise LabError(LabProblem.NOT_FOUND)
    await context.services.residents.set_awaiting(actor, None)
    await answer(update)
    await show(update, escape(context.tr.gettext("The lab is discarded.")))


@coordinator_button
async def back_to_preview(update: Update, context: MagnetContext, callback: Callback) -> None:
    (lab_id,) = numbers(callback, 1)
    lab = await context.services.lab_admin.back_to_preview(context.me.telegram_id, lab_id)
    await answer(update)
    await prompt(update, context, lab)


async def _lab_any(context: MagnetContext, lab_id: int) -> LabView:
    """A published or cancelled lab, or the coordinator's own draft."""
    lab = await context.services.labs.get(lab_id)
    if lab is None:
        draft = await context.services.lab_admin.draft(context.me.telegram_id)
        if draft is None or draft.id != lab_id:
            raise LabError(LabProblem.NOT_FOUND, str(lab_id))
        return draft
    return lab


@coordinator_button
async def show_edit_menu(update: Update, context: MagnetContext, callback: Callback) -> None:
    """Which field to change."""
    (lab_id,) = numbers(callback, 1)
    tr = context.tr
    await answer(update)
    lab = await _lab_any(context, lab_id)
    if lab.status == LabStatus.CANCELLED:
        raise LabError(LabProblem.CANCELLED)
    buttons = [
        (field_name(context, s), encode(NS.LAB_ADMIN, "edit", lab.id, s.value)) for s in EDITABLE
    ]
    back = (
        encode(NS.LAB_ADMIN, "manage", lab.id)
        if lab.status == LabStatus.PUBLISHED
        else encode(NS.LAB_ADMIN, "preview", lab.id)
    )
    rows = [*in_rows(buttons, 2), [(tr.gettext("« Back"), back)]]
    await show(update, bold(tr.gettext("What would you like to change?")), keyboard(rows))


@coordinator_button
async def edit_field(update: Update, context: MagnetContext, callback: Callback) -> None:
    """Change one field: of a draft, back through its step; of a published lab, in place."""
    (lab_id,) = numbers(callback, 1)
    step = _step(callback)
    telegram_id = context.me.telegram_id
    residents = context.services.residents
    lab = await _lab_any(context, lab_id)
    await answer(update)
    if lab.status == LabStatus.DRAFT:
        lab = await context.services.lab_admin.go_to(telegram_id, lab.id, step)
        await residents.set_awaiting(telegram_id, awaiting(LabAwaiting.DRAFT))
        await prompt(update, context, lab)
        return
    if lab.status != LabStatus.PUBLISHED:
        raise LabError(LabProblem.CANCELLED)
    if step in TEXT_STEPS:
        await residents.set_awaiting(telegram_id, awaiting(LabAwaiting.EDIT, lab.id, step.value))
    text = f"{bold(field_name(context, step))}\n{escape(question(context, step))}"
    hubs = await context.services.hubs.list_hubs()
    await show(update, text, _step_buttons(context, lab, step, hubs, edit=True))
