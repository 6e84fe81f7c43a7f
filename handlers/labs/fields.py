"""What each field of a lab is called and how /newlab asks for it."""

from __future__ import annotations

from bot.context import MagnetContext
from bot.services.labs.types import LabStep, LabView
from bot.services.labs.wording import place, topic_label
from handlers.common import bold, escape

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
        # TRANSLATORS: Field label of the lab form: the venue.
        LabStep.HUB: tr.gettext("Hub"),
        LabStep.TOPIC: tr.gettext("Theme"),
        # TRANSLATORS: Field label of the lab form: the start time.
        LabStep.START: tr.gettext("Start"),
        # TRANSLATORS: Field label of the lab form: the end time.
        LabStep.END: tr.gettext("End"),
        # TRANSLATORS: Field label of the lab form: the number of seats.
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
        # TRANSLATORS: Value after "Reminders:" in the lab summary (sl "Opomniki: brez").
        return tr.gettext("none")
    hours = [tr.decimal(m / 60, "0.##") for m in lab.reminder_minutes]
    # TRANSLATORS: %(hours)s is a list of hours, comma-separated, e.g. "24, 2".
    return tr.gettext("%(hours)s h before") % {"hours": ", ".join(hours)}


def summary(context: MagnetContext, lab: LabView) -> str:
    """Every field of a lab, for the preview and the manage view."""
    tr = context.tr
    dash = "—"
    rows = [
        (LabStep.TITLE_SL, lab.title_sl or dash),
        (LabStep.TITLE_EN, lab.title_en or dash),
        (LabStep.HUB, place(tr, lab) if lab.hub_code else dash),
        (LabStep.TOPIC, topic_label(tr, lab.topic) if lab.topic else dash),
        (LabStep.START, tr.when(lab.starts_at) if lab.starts_at else dash),
        (LabStep.END, tr.when(lab.ends_at) if lab.ends_at else dash),
        (
            LabStep.CAPACITY,
            # TRANSLATORS: Value after "Seats:" in the lab summary.
            str(lab.capacity) if lab.capacity is not None else tr.gettext("no limit"),
        ),
        (
            LabStep.DEADLINE,
            # TRANSLATORS: Value after "Registration deadline:" in the lab summary.
            tr.when(lab.deadline) if lab.deadline else tr.gettext("until it starts"),
        ),
        (LabStep.REMINDERS, _reminders(context, lab)),
        (
            LabStep.GUESTS,
            # TRANSLATORS: Value after "Guests:" in the lab summary.
            tr.gettext("+1 allowed")
            if lab.guests
            # TRANSLATORS: Value after "Guests:" in the lab summary (sl "Gostje: brez gostov").
            else tr.gettext("no guests"),
        ),
    ]
    lines = [f"{escape(field_name(context, step))}: {escape(value)}" for step, value in rows]
    for step, text in (
        (LabStep.DESCRIPTION_SL, lab.description_sl),
        (LabStep.DESCRIPTION_EN, lab.description_en),
    ):
        lines += ["", bold(field_name(context, step)), escape(text or dash)]
    return "\n".join(lines)
