"""How labs look: cards, lists and the messages queued for residents and coordinators."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.domain import TOPICS, label_of
from bot.i18n import Translator
from bot.services.labs.types import (
    FeedbackSummary,
    LabView,
    Notice,
    RegistrationView,
)
from handlers.common import Button, bold, escape, keyboard

USEFUL = {3: "👍", 2: "🙂", 1: "👎"}


def topic_label(tr: Translator, code: str | None) -> str:
    label = label_of(TOPICS, code)
    return tr.gettext(label) if label else "—"


def seats_line(tr: Translator, lab: LabView) -> str:
    if lab.capacity is None:
        return tr.gettext("Open event: no sign-up limit")
    left = lab.seats_left or 0
    if left > 0:
        return tr.ngettext("%(count)d seat left", "%(count)d seats left", left) % {"count": left}
    if lab.waitlisted:
        waiting = tr.ngettext(
            "%(count)d person waiting", "%(count)d people waiting", lab.waitlisted
        ) % {"count": lab.waitlisted}
        return tr.gettext("Full; waitlist open (%(waiting)s)") % {"waiting": waiting}
    return tr.gettext("Full; waitlist open")


def time_range(tr: Translator, lab: LabView) -> str:
    assert lab.starts_at is not None
    if lab.ends_at is None:
        return tr.when(lab.starts_at)
    if tr.date(lab.starts_at) == tr.date(lab.ends_at):
        return f"{tr.when(lab.starts_at)}–{tr.time(lab.ends_at)}"
    return f"{tr.when(lab.starts_at)} – {tr.when(lab.ends_at)}"


def place(tr: Translator, lab: LabView) -> str:
    name = lab.hub_name(tr.locale)
    return f"{name}, {lab.hub_address}" if lab.hub_address else name


def card_text(
    tr: Translator, lab: LabView, reg: RegistrationView | None, *, details: bool = True
) -> str:
    lines = [bold(lab.title(tr.locale))]
    if lab.status == "cancelled":
        lines.append("❌ " + bold(tr.gettext("Cancelled")))
    if lab.starts_at is not None:
        lines.append("🗓 " + escape(time_range(tr, lab)))
    lines.append("📍 " + escape(place(tr, lab)))
    lines.append("🏷 " + escape(topic_label(tr, lab.topic)))
    if lab.status in ("published", "draft"):
        lines.append("🪑 " + escape(seats_line(tr, lab)))
    if lab.deadline is not None:
        lines.append(
            "⏳ "
            + escape(tr.gettext("Registration closes %(when)s") % {"when": tr.when(lab.deadline)})
        )
    if details:
        lines += ["", escape(lab.description(tr.locale))]
    state = registration_line(tr, reg)
    if state:
        lines += ["", state]
    return "\n".join(lines)


def registration_line(tr: Translator, reg: RegistrationView | None) -> str | None:
    if reg is None:
        return None
    if reg.status == "confirmed":
        text = (
            tr.gettext("✅ You are signed up, with one guest.")
            if reg.seats > 1
            else tr.gettext("✅ You are signed up.")
        )
        code = tr.gettext("Check-in code: %(code)s") % {"code": reg.checkin_code}
        return f"{bold(text)}\n{escape(code)}"
    if reg.status == "waitlisted":
        return bold(
            tr.gettext("⏳ You are number %(position)d on the waitlist.")
            % {"position": reg.position or 0}
        )
    if reg.status == "offered" and reg.offer_expires_at is not None:
        return bold(
            tr.gettext("🎟 A seat is held for you until %(when)s.")
            % {"when": tr.when(reg.offer_expires_at)}
        )
    return None


def card_buttons(
    tr: Translator,
    lab: LabView,
    reg: RegistrationView | None,
    *,
    open_now: bool,
    coordinator: bool = False,
) -> InlineKeyboardMarkup:
    rows: list[list[Button]] = []
    status = reg.status if reg else None
    if lab.status == "published":
        if status == "confirmed":
            rows.append(
                [
                    (tr.gettext("📅 Add to calendar"), encode(NS.LAB, "ics", lab.id)),
                    (tr.gettext("🎫 Check-in QR"), encode(NS.LAB, "ticket", lab.id)),
                ]
            )
            name_label = (
                tr.gettext("🙈 Hide my name from the organisers")
                if reg and reg.show_name
                else tr.gettext("🙋 Show my name to the organisers")
            )
            rows.append(
                [(name_label, encode(NS.LAB, "name", lab.id, 0 if reg and reg.show_name else 1))]
            )
            rows.append([(tr.gettext("✖ Cancel my sign-up"), encode(NS.LAB, "leave", lab.id))])
        elif status == "waitlisted":
            rows.append([(tr.gettext("✖ Leave the waitlist"), encode(NS.LAB, "leave", lab.id))])
        elif status == "offered" and reg is not None:
            rows.append(
                [
                    (tr.gettext("✅ Take the seat"), encode(NS.LAB, "offer", reg.id, 1)),
                    (tr.gettext("Decline"), encode(NS.LAB, "offer", reg.id, 0)),
                ]
            )
        elif open_now:
            full = lab.seats_left == 0
            join = tr.gettext("⏳ Join the waitlist") if full else tr.gettext("✍️ Sign up")
            row = [(join, encode(NS.LAB, "join", lab.id, lab.version, 0))]
            if lab.guests:
                row.append(
                    (
                        tr.gettext("Sign up with a guest"),
                        encode(NS.LAB, "join", lab.id, lab.version, 1),
                    )
                )
            rows.append(row)
    if coordinator:
        rows.append([(tr.gettext("⚙️ Manage"), encode(NS.LAB_ADMIN, "manage", lab.id))])
    rows.append([(tr.gettext("« All labs"), encode(NS.LAB, "list", "all", "all"))])
    return keyboard(rows)


def list_text(tr: Translator, labs: Sequence[LabView], filtered: bool) -> str:
    title = bold(tr.gettext("Upcoming labs and events"))
    if not labs:
        empty = (
            tr.gettext("Nothing matches this filter at the moment.")
            if filtered
            else tr.gettext("No labs are planned at the moment. Announcements will tell you.")
        )
        return f"{title}\n\n{escape(empty)}"
    lines = [title, ""]
    for lab in labs:
        assert lab.starts_at is not None
        lines.append(
            f"• {bold(lab.title(tr.locale))}\n  {escape(tr.when(lab.starts_at))} · "
            f"{escape(lab.hub_name(tr.locale))} · {escape(seats_line(tr, lab))}"
        )
    return "\n".join(lines)


def list_buttons(
    tr: Translator,
    labs: Sequence[LabView],
    hubs: Sequence[tuple[str, str, str]],
    hub: str | None,
    topic: str | None,
) -> InlineKeyboardMarkup:
    rows: list[list[Button]] = [
        [(f"{i + 1}. {lab.title(tr.locale)}"[:60], encode(NS.LAB, "card", lab.id))]
        for i, lab in enumerate(labs)
    ]
    h, t = hub or "all", topic or "all"

    def mark(active: bool, label: str) -> str:
        return f"• {label}" if active else label

    rows.append(
        [(mark(hub is None, tr.gettext("All hubs")), encode(NS.LAB, "list", "all", t))]
        + [
            (mark(hub == code, sl if tr.locale == "sl" else en), encode(NS.LAB, "list", code, t))
            for code, sl, en in hubs
        ]
    )
    topic_row = [(mark(topic is None, tr.gettext("All themes")), encode(NS.LAB, "list", h, "all"))]
    topic_row += [
        (mark(topic == c.code, tr.gettext(c.label)), encode(NS.LAB, "list", h, c.code))
        for c in TOPICS
    ]
    rows += [topic_row[:3], topic_row[3:]]
    return keyboard(rows)


class Notices:
    """The messages the lab services queue in the outbox (LabNotices)."""

    def offer(self, tr: Translator, lab: LabView, reg: RegistrationView) -> Notice:
        assert reg.offer_expires_at is not None
        text = tr.gettext(
            "🎟 A seat has come free at %(title)s (%(when)s), and it is yours if you want it. "
            "It is held for you until %(until)s."
        ) % {
            "title": lab.title(tr.locale),
            "when": time_range(tr, lab),
            "until": tr.when(reg.offer_expires_at),
        }
        markup = keyboard(
            [
                [
                    (tr.gettext("✅ Take the seat"), encode(NS.LAB, "offer", reg.id, 1)),
                    (tr.gettext("Decline"), encode(NS.LAB, "offer", reg.id, 0)),
                ]
            ]
        )
        return Notice(escape(text), markup.to_dict())

    def offer_expired(self, tr: Translator, lab: LabView) -> Notice:
        text = tr.gettext(
            "The seat held for you at %(title)s was not taken in time, so it went to the next "
            "person on the waitlist. You can sign up again while the lab is open."
        ) % {"title": lab.title(tr.locale)}
        return Notice(escape(text), self._card_button(tr, lab))

    def reminder(self, tr: Translator, lab: LabView, reg: RegistrationView) -> Notice:
        text = tr.gettext("⏰ Reminder: %(title)s starts %(when)s at %(place)s.") % {
            "title": lab.title(tr.locale),
            "when": tr.when(lab.starts_at) if lab.starts_at else "",
            "place": place(tr, lab),
        }
        code = tr.gettext("Your check-in code: %(code)s") % {"code": reg.checkin_code}
        hint = tr.gettext("Can't come after all? Please cancel, so someone else gets the seat.")
        return Notice(
            f"{escape(text)}\n{escape(code)}\n\n{escape(hint)}", self._card_button(tr, lab)
        )

    def cancelled(self, tr: Translator, lab: LabView) -> Notice:
        text = tr.gettext(
            "❌ Sorry: %(title)s, planned for %(when)s, has been cancelled. "
            "You don't need to do anything."
        ) % {
            "title": lab.title(tr.locale),
            "when": tr.when(lab.starts_at) if lab.starts_at else "",
        }
        return Notice(escape(text))

    def changed(self, tr: Translator, lab: LabView, what: str) -> Notice:
        text = tr.gettext("✏️ %(title)s has changed. It is now %(when)s at %(place)s.") % {
            "title": lab.title(tr.locale),
            "when": time_range(tr, lab),
            "place": place(tr, lab),
        }
        return Notice(escape(text), self._card_button(tr, lab))

    def feedback(self, tr: Translator, lab: LabView, reg: RegistrationView) -> Notice:
        text = tr.gettext("Thank you for coming to %(title)s! Was it useful for you?") % {
            "title": lab.title(tr.locale)
        }
        return Notice(escape(text), useful_buttons(tr, reg.id).to_dict())

    def fill_alert(self, tr: Translator, lab: LabView, percent: int) -> Notice:
        capacity = lab.capacity or 0
        text = tr.gettext(
            "📈 %(title)s (%(when)s) is %(percent)d%% full: %(taken)d of %(capacity)d seats."
        ) % {
            "title": lab.title(tr.locale),
            "when": tr.when(lab.starts_at) if lab.starts_at else "",
            "percent": percent,
            "taken": lab.seats_taken,
            "capacity": capacity,
        }
        return Notice(escape(text))

    def feedback_report(
        self, tr: Translator, lab: LabView, summary: FeedbackSummary, k: int
    ) -> Notice:
        return Notice(feedback_text(tr, lab, summary, k))

    @staticmethod
    def _card_button(tr: Translator, lab: LabView) -> dict[str, object]:
        return keyboard([[(tr.gettext("Open the lab"), encode(NS.LAB, "card", lab.id))]]).to_dict()


def useful_buttons(tr: Translator, reg_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (tr.gettext("👍 Very"), encode(NS.LAB, "fb", reg_id, "useful", 3)),
                (tr.gettext("🙂 Somewhat"), encode(NS.LAB, "fb", reg_id, "useful", 2)),
                (tr.gettext("👎 Not really"), encode(NS.LAB, "fb", reg_id, "useful", 1)),
            ]
        ]
    )


def again_buttons(tr: Translator, reg_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (tr.gettext("Yes"), encode(NS.LAB, "fb", reg_id, "again", 3)),
                (tr.gettext("Maybe"), encode(NS.LAB, "fb", reg_id, "again", 2)),
                (tr.gettext("No"), encode(NS.LAB, "fb", reg_id, "again", 1)),
            ]
        ]
    )


def feedback_text(tr: Translator, lab: LabView, summary: FeedbackSummary, k: int) -> str:
    """Feedback in aggregate; fewer than k answers are too few to show without exposing anyone."""
    title = tr.gettext("Feedback on %(title)s") % {"title": lab.title(tr.locale)}
    count = tr.ngettext("%(count)d answer", "%(count)d answers", summary.answers) % {
        "count": summary.answers
    }
    lines = [bold(title), escape(count)]
    if summary.answers < k:
        lines.append(
            escape(
                tr.gettext("Too few answers to show (fewer than %(k)d), to protect who gave them.")
                % {"k": k}
            )
        )
        return "\n".join(lines)

    def share(counts: dict[int, int], value: int) -> str:
        total = sum(counts.values())
        return f"{round(100 * counts.get(value, 0) / total)} %" if total else "—"

    lines.append(
        escape(tr.gettext("Useful: very %(a)s, somewhat %(b)s, not really %(c)s"))
        % {
            "a": share(summary.useful, 3),
            "b": share(summary.useful, 2),
            "c": share(summary.useful, 1),
        }
    )
    lines.append(
        escape(tr.gettext("Would come again: yes %(a)s, maybe %(b)s, no %(c)s"))
        % {"a": share(summary.again, 3), "b": share(summary.again, 2), "c": share(summary.again, 1)}
    )
    if summary.comments:
        lines.append("")
        lines.append(bold(tr.gettext("Comments")))
        lines += [f"• <i>{escape(c)}</i>" for c in summary.comments[:20]]
    return "\n".join(lines)
