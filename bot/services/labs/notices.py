"""The messages the lab services queue on their own, worded in the recipient's language.

Each is a pure function of a translator and the lab's views, returning the text and the
buttons as the outbox stores them (`reply_markup`, which the delivery engine sends as is).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from bot.codec import NS, encode
from bot.i18n import Translator
from bot.services.labs.types import FeedbackSummary, LabView, RegistrationView
from bot.services.labs.wording import feedback_text, place, starts, time_range
from bot.services.notice import Notice

Row = list[tuple[str, str]]  # (label, callback data) of the buttons of one row


def inline_keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> dict[str, Any]:
    """Telegram's InlineKeyboardMarkup as a plain dict, for the outbox."""
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in rows
        ]
    }


def offer_row(tr: Translator, reg_id: int) -> Row:
    return [
        # TRANSLATORS: Button on a seat offered from the waitlist; first person in sl ("Sprejmem mesto").
        (tr.gettext("✅ Take the seat"), encode(NS.LAB, "accept_offer", reg_id)),
        # TRANSLATORS: Button on a seat offered from the waitlist; first person in sl ("Zavrnem").
        (tr.gettext("Decline"), encode(NS.LAB, "decline_offer", reg_id)),
    ]


def useful_row(tr: Translator, reg_id: int) -> Row:
    return [
        (tr.gettext("👍 Very"), encode(NS.LAB, "rate_useful", reg_id, 3)),
        (tr.gettext("🙂 Somewhat"), encode(NS.LAB, "rate_useful", reg_id, 2)),
        (tr.gettext("👎 Not really"), encode(NS.LAB, "rate_useful", reg_id, 1)),
    ]


def again_row(tr: Translator, reg_id: int) -> Row:
    return [
        (tr.gettext("Yes"), encode(NS.LAB, "rate_again", reg_id, 3)),
        # TRANSLATORS: Answer to "Would you come to a lab like this again?" (button).
        (tr.gettext("Maybe"), encode(NS.LAB, "rate_again", reg_id, 2)),
        (tr.gettext("No"), encode(NS.LAB, "rate_again", reg_id, 1)),
    ]


def _open_lab(tr: Translator, lab: LabView) -> dict[str, Any]:
    return inline_keyboard([[(tr.gettext("Open the lab"), encode(NS.LAB, "card", lab.id))]])


def offer(tr: Translator, lab: LabView, reg: RegistrationView) -> Notice:
    """A freed seat held for the next on the waitlist, until the offer lapses."""
    assert reg.offer_expires_at is not None
    # TRANSLATORS: %(title)s is the lab title, plain (no quotes): put a noun before it ("delavnica")
    # and do not make it the subject (its number and gender are unknown).
    # %(when)s is a time range ("3. decembra 2026, 17.00–19.00"), not a moment: no "ob" before it.
    # %(until)s is a date and time.
    text = tr.gettext(
        "🎟 A seat has come free at %(title)s (%(when)s), and it is yours if you want it. "
        "It is held for you until %(until)s."
    ) % {
        "title": lab.title(tr.locale),
        "when": time_range(tr, lab),
        "until": tr.when(reg.offer_expires_at),
    }
    return Notice(escape(text), inline_keyboard([offer_row(tr, reg.id)]))


def offer_expired(tr: Translator, lab: LabView) -> Notice:
    text = tr.gettext(
        "The seat held for you at %(title)s was not taken in time, so it went to the next "
        "person on the waitlist. You can sign up again while the lab is open."
    ) % {"title": lab.title(tr.locale)}
    return Notice(escape(text), _open_lab(tr, lab))


def reminder(tr: Translator, lab: LabView, reg: RegistrationView) -> Notice:
    # TRANSLATORS: %(title)s is the lab title, plain (no quotes): put a noun before it ("delavnica")
    # and do not make it the subject (its number and gender are unknown).
    # %(when)s is a date and time in the genitive ("1. decembra 2026 ob 17.00").
    text = tr.gettext("⏰ Reminder: %(title)s starts %(when)s at %(place)s.") % {
        "title": lab.title(tr.locale),
        "when": starts(tr, lab),
        "place": place(tr, lab),
    }
    code = tr.gettext("Your check-in code: %(code)s") % {"code": reg.checkin_code}
    hint = tr.gettext("Can't come after all? Please cancel, so someone else gets the seat.")
    return Notice(f"{escape(text)}\n{escape(code)}\n\n{escape(hint)}", _open_lab(tr, lab))


def cancelled(tr: Translator, lab: LabView) -> Notice:
    # TRANSLATORS: %(title)s is the lab title, plain (no quotes): put a noun before it ("delavnica")
    # and do not make it the subject (its number and gender are unknown).
    # %(when)s is a date and time in the genitive ("1. decembra 2026 ob 17.00").
    # Avoid "za" + accusative: not "načrtovano za %(when)s".
    text = tr.gettext(
        "❌ Sorry: %(title)s, planned for %(when)s, has been cancelled. "
        "You don't need to do anything."
    ) % {"title": lab.title(tr.locale), "when": starts(tr, lab)}
    return Notice(escape(text))


def changed(tr: Translator, lab: LabView) -> Notice:
    """A new time or place, for everyone signed up."""
    # TRANSLATORS: %(when)s is a time range ("3. decembra 2026, 17.00–19.00"), not a moment: no "ob" before it.
    text = tr.gettext("✏️ %(title)s has changed. It is now %(when)s at %(place)s.") % {
        "title": lab.title(tr.locale),
        "when": time_range(tr, lab),
        "place": place(tr, lab),
    }
    return Notice(escape(text), _open_lab(tr, lab))


def feedback_request(tr: Translator, lab: LabView, reg: RegistrationView) -> Notice:
    text = tr.gettext("Thank you for coming to %(title)s! Was it useful for you?") % {
        "title": lab.title(tr.locale)
    }
    return Notice(escape(text), inline_keyboard([useful_row(tr, reg.id)]))


def fill_alert(tr: Translator, lab: LabView, percent: int) -> Notice:
    """For the coordinators' chat, when a lab reaches 50 %, 80 % and 100 %."""
    text = tr.gettext(
        "📈 %(title)s (%(when)s) is %(percent)d%% full: %(taken)d of %(capacity)d seats."
    ) % {
        "title": lab.title(tr.locale),
        "when": starts(tr, lab),
        "percent": percent,
        "taken": lab.seats_taken,
        "capacity": lab.capacity or 0,
    }
    return Notice(escape(text))


def feedback_report(
    tr: Translator, lab: LabView, summary: FeedbackSummary, min_group_size: int
) -> Notice:
    """For the coordinators' chat, some time after the feedback question."""
    return Notice(feedback_text(tr, lab, summary, min_group_size))
