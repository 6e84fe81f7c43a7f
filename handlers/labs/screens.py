"""How labs look to residents: cards, lists and their buttons."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.domain import LabStatus, RegistrationStatus
from bot.i18n import Translator
from bot.services.hubs import HubView
from bot.services.labs.notices import again_row, offer_row
from bot.services.labs.types import LabView, RegistrationView
from bot.services.labs.wording import place, seats_line, time_range, topic_label
from handlers.common import Button, bold, escape, keyboard


def card_text(
    tr: Translator, lab: LabView, reg: RegistrationView | None, *, details: bool = True
) -> str:
    lines = [bold(lab.title(tr.locale))]
    if lab.status == LabStatus.CANCELLED:
        lines.append("❌ " + bold(tr.gettext("Cancelled")))
    if lab.starts_at is not None:
        lines.append("🗓 " + escape(time_range(tr, lab)))
    where = "📍 " + escape(place(tr, lab))
    hub = next((h for h in tr.town.hubs if h.code == lab.hub_code), None)
    if hub is not None and hub.map_url:
        link, label = escape(hub.map_url, quote=True), escape(tr.gettext("map"))
        where += f' · <a href="{link}">{label}</a>'
    lines.append(where)
    lines.append("🏷 " + escape(topic_label(tr, lab.topic)))
    if lab.status in (LabStatus.PUBLISHED, LabStatus.DRAFT):
        lines.append("🪑 " + escape(seats_line(tr, lab)))
    if lab.deadline is not None:
        lines.append(
            "⏳ "
            # TRANSLATORS: %(when)s is a date and time in the genitive ("1. decembra 2026 ob 17.00").
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
    if reg.status == RegistrationStatus.CONFIRMED:
        text = (
            tr.gettext("✅ You are signed up, with one guest.")
            if reg.seats > 1
            else tr.gettext("✅ You are signed up.")
        )
        code = tr.gettext("Check-in code: %(code)s") % {"code": reg.checkin_code}
        return f"{bold(text)}\n{escape(code)}"
    if reg.status == RegistrationStatus.WAITLISTED:
        return bold(
            tr.gettext("⏳ You are number %(position)d on the waitlist.")
            % {"position": reg.position or 0}
        )
    if reg.status == RegistrationStatus.OFFERED and reg.offer_expires_at is not None:
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
    if lab.status == LabStatus.PUBLISHED:
        rows += _signup_rows(tr, lab, reg, open_now)
    if coordinator:
        rows.append([(tr.gettext("⚙️ Manage"), encode(NS.LAB_ADMIN, "manage", lab.id))])
    rows.append([all_labs(tr)])
    return keyboard(rows)


def _signup_rows(
    tr: Translator, lab: LabView, reg: RegistrationView | None, open_now: bool
) -> list[list[Button]]:
    """What the resident can do next: depends on where their registration stands."""
    status = reg.status if reg else None
    if status == RegistrationStatus.CONFIRMED and reg is not None:
        name = (
            (tr.gettext("🙈 Hide my name from the organisers"), "hide_name")
            if reg.show_name
            else (tr.gettext("🙋 Show my name to the organisers"), "show_name")
        )
        return [
            [
                (tr.gettext("📅 Add to calendar"), encode(NS.LAB, "calendar", lab.id)),
                (tr.gettext("🎫 Check-in QR"), encode(NS.LAB, "ticket", lab.id)),
            ],
            [(name[0], encode(NS.LAB, name[1], lab.id))],
            [(tr.gettext("✖ Cancel my sign-up"), encode(NS.LAB, "leave", lab.id))],
        ]
    if status == RegistrationStatus.WAITLISTED:
        return [[(tr.gettext("✖ Leave the waitlist"), encode(NS.LAB, "leave", lab.id))]]
    if status == RegistrationStatus.OFFERED and reg is not None:
        return [offer_row(tr, reg.id)]
    if not open_now:
        return []
    full = lab.seats_left == 0
    join = tr.gettext("⏳ Join the waitlist") if full else tr.gettext("✍️ Sign up")
    row = [(join, encode(NS.LAB, "join", lab.id, lab.version, 0))]
    if lab.guests:
        row.append(
            (tr.gettext("Sign up with a guest"), encode(NS.LAB, "join", lab.id, lab.version, 1))
        )
    return [row]


def all_labs(tr: Translator) -> Button:
    return tr.gettext("« All labs"), encode(NS.LAB, "list", "all", "all")


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
    hubs: Sequence[HubView],
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
            (mark(hub == each.code, each.name(tr.locale)), encode(NS.LAB, "list", each.code, t))
            for each in hubs
        ]
    )
    topic_row = [(mark(topic is None, tr.gettext("All themes")), encode(NS.LAB, "list", h, "all"))]
    topic_row += [
        (mark(topic == c.code, c.text(tr)), encode(NS.LAB, "list", h, c.code))
        for c in tr.town.topics
    ]
    rows += [topic_row[:3], topic_row[3:]]
    return keyboard(rows)


def again_buttons(tr: Translator, reg_id: int) -> InlineKeyboardMarkup:
    return keyboard([again_row(tr, reg_id)])
