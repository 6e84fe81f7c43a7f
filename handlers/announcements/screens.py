"""What a coordinator sees while composing and following announcements: texts and keyboards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.commands import slash
from bot.delivery.quiet import QuietHours
from bot.domain import AnnouncementStatus, label_in
from bot.i18n import Translator, native_name
from bot.services.announcements.types import (
    AnnouncementError,
    AnnouncementView,
    Audience,
    AudienceLab,
    Compose,
    Preview,
    Problem,
    plain_text,
)
from handlers.common import Button, bold, escape, keyboard

EXAMPLE_WHEN = "24. 11. 18:00"


class Action(StrEnum):
    """The buttons of announcements (`announce:v1:<action>:<id>[:<value>]`)."""

    DISCARD = "discard"
    SAME_TEXT = "same_text"
    SKIP_PHOTO = "skip_photo"
    AUDIENCE = "audience"
    CHANGE_AUDIENCE = "change_audience"
    TOGGLE = "toggle"
    DONE = "done"
    URGENT = "urgent"
    SEND = "send"
    SCHEDULE = "schedule"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # sent as a photo, the text its caption


def _button(label: str, action: Action, aid: int, *value: object) -> Button:
    return (label, encode(NS.ANNOUNCE, action, aid, *value))


def problem_text(tr: Translator, exc: AnnouncementError) -> str:
    lengths = {"limit": exc.limit, "length": exc.length}
    texts = {
        Problem.WANTS_BUTTON: tr.gettext("Please choose one of the options below."),
        Problem.TEXT_TOO_LONG: tr.gettext(
            "The text can be at most %(limit)d characters long; yours has %(length)d. "
            "Please send a shorter one."
        )
        % lengths,
        Problem.CAPTION_TOO_LONG: tr.gettext(
            "With a photo, each text can be at most %(limit)d characters long; yours has "
            "%(length)d. Skip the photo, or discard and start again with a shorter text."
        )
        % lengths,
        Problem.NOTHING_CHOSEN: tr.gettext("Choose at least one."),
        Problem.NOT_A_DATE: tr.gettext(
            "I couldn't read that as a date and time. Please write it like %(example)s."
        )
        % {"example": EXAMPLE_WHEN},
        Problem.IN_THE_PAST: tr.gettext(
            "That moment has already passed. Please choose a time in the future."
        ),
        Problem.NOT_CANCELLABLE: tr.gettext("This announcement can no longer be cancelled."),
    }
    return texts.get(exc.problem, tr.gettext("This button is no longer valid."))


def audience_label(tr: Translator, announcement: AnnouncementView) -> str:
    values = announcement.audience_values
    if announcement.audience == Audience.ALL:
        return tr.gettext("everyone")
    if announcement.audience == Audience.MUNICIPALITY:
        names = [label_in(tr, tr.town.municipalities, v) or v for v in values]
        return tr.gettext("municipality: %(values)s") % {"values": ", ".join(names)}
    if announcement.audience == Audience.TOPIC:
        names = [label_in(tr, tr.town.topics, v) or v for v in values]
        return tr.gettext("topics: %(values)s") % {"values": ", ".join(names)}
    if announcement.audience == Audience.LAB:
        # TRANSLATORS: %(values)s is a list of lab numbers such as "#3, #5".
        return tr.gettext("participants of labs %(values)s") % {
            "values": ", ".join(f"#{v}" for v in values)
        }
    names = [tr.name_of_language(v) for v in values]
    return tr.gettext("language: %(values)s") % {"values": ", ".join(names)}


def _value_choices(
    tr: Translator, audience: Audience, labs: Sequence[AudienceLab]
) -> list[tuple[str, str]]:
    """(code, label already translated) for each value of the audience."""
    if audience == Audience.MUNICIPALITY:
        return [(c.code, c.text(tr)) for c in tr.town.municipalities]
    if audience == Audience.TOPIC:
        return [(c.code, c.text(tr)) for c in tr.town.topics]
    if audience == Audience.LAB:
        return [
            (
                str(lab.id),
                f"#{lab.id} {lab.title.get(tr.locale)} ({tr.date(lab.starts_at, 'short')})",
            )
            for lab in labs
        ]
    return [(code, native_name(code)) for code in tr.town.languages]


@dataclass(frozen=True)
class Step:
    """What a step's screen is drawn from, beside the draft."""

    tr: Translator
    draft: AnnouncementView
    labs: Sequence[AudienceLab]
    quiet_hours: str

    @property
    def discard(self) -> Button:
        return _button(self.tr.gettext("✖ Discard"), Action.DISCARD, self.draft.id)


def _text_sl(s: Step) -> Screen:
    text = s.tr.gettext("📝 New announcement. Send me its text in Slovenian.")
    return Screen(escape(text), keyboard([[s.discard]]))


def _text_en(s: Step) -> Screen:
    tr = s.tr
    text = tr.gettext("Now the text in English, or press the button if it is the same.")
    same = _button(tr.gettext("Same text for both languages"), Action.SAME_TEXT, s.draft.id)
    return Screen(escape(text), keyboard([[same], [s.discard]]))


def _photo(s: Step) -> Screen:
    tr = s.tr
    skip = _button(tr.gettext("Skip the photo"), Action.SKIP_PHOTO, s.draft.id)
    text = tr.gettext("Add a photo? Send it now, or skip.")
    return Screen(escape(text), keyboard([[skip], [s.discard]]))


def _audience(s: Step) -> Screen:
    tr, aid = s.tr, s.draft.id
    rows = [
        [_button(label, Action.AUDIENCE, aid, audience.value)]
        for label, audience in (
            (tr.gettext("Everyone"), Audience.ALL),
            # TRANSLATORS: Audience button: residents of one municipality (sl "Po občini").
            (tr.pgettext("audience", "By municipality"), Audience.MUNICIPALITY),
            (tr.gettext("By topic"), Audience.TOPIC),
            (tr.gettext("By language"), Audience.LANGUAGE),
            (tr.gettext("Participants of a lab"), Audience.LAB),
        )
    ]
    return Screen(escape(tr.gettext("Who should receive it?")), keyboard([*rows, [s.discard]]))


def _audience_values(s: Step) -> Screen:
    tr, aid = s.tr, s.draft.id
    choices = _value_choices(tr, s.draft.audience, s.labs)
    if not choices:
        empty = tr.gettext("There are no labs to choose from. Choose another audience.")
        back = _button(tr.gettext("« Back"), Action.CHANGE_AUDIENCE, aid)
        return Screen(escape(empty), keyboard([[back], [s.discard]]))
    chosen = set(s.draft.audience_values)
    rows = [
        [_button(("✅ " if code in chosen else "▫️ ") + label, Action.TOGGLE, aid, code)]
        for code, label in choices
    ]
    rows += [[_button(tr.gettext("Done ✔"), Action.DONE, aid)], [s.discard]]
    text = tr.gettext("Choose who should receive it, then press Done.")
    return Screen(escape(text), keyboard(rows))


def quiet_span(tr: Translator, span: str) -> str:
    """The configured quiet hours as the reader writes times: 21.00–8.00, 9:00 PM–8:00 AM."""
    quiet = QuietHours.parse(span, tr.tz)
    if quiet.start is None or quiet.end is None:
        return ""
    day = datetime.now(tr.tz).date()
    start, end = (datetime.combine(day, t, tr.tz) for t in (quiet.start, quiet.end))
    return f"{tr.time(start)}–{tr.time(end)}"


def _urgency(s: Step) -> Screen:
    tr, aid = s.tr, s.draft.id
    text = tr.gettext("Should it also go out during quiet hours (%(hours)s)?") % {
        "hours": quiet_span(tr, s.quiet_hours)
    }
    rows = [
        [_button(tr.gettext("No, wait for the morning"), Action.URGENT, aid, 0)],
        [_button(tr.gettext("Yes, it is urgent"), Action.URGENT, aid, 1)],
        [s.discard],
    ]
    return Screen(escape(text), keyboard(rows))


def _schedule(s: Step) -> Screen:
    text = s.tr.gettext("When should it go out? Send a date and time, for example %(example)s.")
    return Screen(escape(text % {"example": EXAMPLE_WHEN}), keyboard([[s.discard]]))


STEPS: dict[Compose, Callable[[Step], Screen]] = {
    Compose.TEXT_SL: _text_sl,
    Compose.TEXT_EN: _text_en,
    Compose.PHOTO: _photo,
    Compose.AUDIENCE: _audience,
    Compose.AUDIENCE_VALUES: _audience_values,
    Compose.URGENCY: _urgency,
    Compose.SCHEDULE: _schedule,
}


def step(
    tr: Translator,
    draft: AnnouncementView,
    *,
    labs: Sequence[AudienceLab] = (),
    quiet_hours: str = "",
) -> Screen:
    """The question of the draft's step (the preview has its own screens)."""
    assert draft.step is not None and draft.step in STEPS, draft.step
    return STEPS[draft.step](Step(tr, draft, labs, quiet_hours))


def preview(tr: Translator, ready: Preview) -> list[Screen]:
    """Each language as its readers will see it, then the summary and the send buttons."""
    draft = ready.announcement
    shown: list[Screen] = []
    for locale, header in (
        ("sl", tr.gettext("Preview: residents reading in Slovenian will see this:")),
        ("en", tr.gettext("Preview: residents reading in English will see this:")),
    ):
        shown.append(Screen(f"<i>{escape(header)}</i>"))
        shown.append(Screen(ready.bodies[locale], photo=draft.photo_file_id))
    count = tr.ngettext("%(count)d resident", "%(count)d residents", ready.recipients) % {
        "count": ready.recipients
    }
    lines = [
        bold(tr.gettext("Ready to send")),
        escape(tr.gettext("Audience: %(audience)s") % {"audience": audience_label(tr, draft)}),
        escape(
            # TRANSLATORS: %(count)s is already a phrase such as "120 residents" (from "%(count)d resident").
            tr.gettext("Recipients: %(count)s (Slovenian %(sl)d, English %(en)d)")
            % {"count": count, "sl": ready.by_locale["sl"], "en": ready.by_locale["en"]}
        ),
    ]
    if ready.fallback:
        readers = sum(ready.by_locale.get(loc, 0) for loc in ready.fallback)
        names = ", ".join(tr.name_of_language(loc) for loc in ready.fallback)
        lines.append(
            escape(
                tr.ngettext(
                    "Readers in %(languages)s see the English text (%(count)d resident).",
                    "Readers in %(languages)s see the English text (%(count)d residents).",
                    readers,
                )
                % {"languages": names, "count": readers}
            )
        )
    if ready.asks_urgency:
        lines.append(
            escape(
                tr.gettext("Urgent: also during quiet hours")
                if draft.urgent
                else tr.gettext("Not urgent: waits for the morning during quiet hours")
            )
        )
    rows = [
        [_button(tr.gettext("📣 Send now"), Action.SEND, draft.id)],
        [_button(tr.gettext("🕒 Schedule"), Action.SCHEDULE, draft.id)],
        [_button(tr.gettext("✖ Discard"), Action.DISCARD, draft.id)],
    ]
    shown.append(Screen("\n".join(lines), keyboard(rows)))
    return shown


def scheduled(tr: Translator, announcement: AnnouncementView) -> str:
    assert announcement.scheduled_at is not None
    # TRANSLATORS: %(list)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    # %(when)s is a date and time in the genitive; avoid "za" + accusative.
    done = tr.gettext(
        "🕒 Announcement #%(id)d is scheduled for %(when)s. %(list)s shows it and can cancel it."
    ) % {
        "id": announcement.id,
        "when": tr.when(announcement.scheduled_at),
        "list": slash("announcements", tr.locale),
    }
    return escape(done)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def active(tr: Translator, announcements: Sequence[AnnouncementView]) -> Screen:
    """The scheduled and running announcements, each with its cancel button."""
    if not announcements:
        return Screen(escape(tr.gettext("There are no scheduled or running announcements.")))
    lines = [bold(tr.gettext("Scheduled and running announcements"))]
    rows = []
    for item in announcements:
        if item.status == AnnouncementStatus.SCHEDULED and item.scheduled_at is not None:
            # TRANSLATORS: %(when)s is a date and time in the genitive; avoid "za" + accusative.
            state = tr.gettext("scheduled for %(when)s") % {"when": tr.when(item.scheduled_at)}
        else:
            state = tr.gettext("sending now")
        preview = (item.text(tr.locale) or "").replace("\n", " ")
        lines.append(escape(f"#{item.id} · {state} · {audience_label(tr, item)}"))
        lines.append(f"<i>{escape(_shorten(plain_text(preview), 80))}</i>")
        label = tr.gettext("✖ Cancel #%(id)d") % {"id": item.id}
        rows.append([_button(label, Action.CANCEL, item.id)])
    return Screen("\n".join(lines), keyboard(rows))
