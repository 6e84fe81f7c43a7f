"""The texts announcements send on their own: the footer, the going-out notice, the live report.

Pure functions of a translator and a view; the service and the scheduler call them.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from bot.commands import slash
from bot.domain import AnnouncementStatus, OutboxStatus
from bot.i18n import Translator
from bot.services.announcements.types import AnnouncementView, Progress


def footer(tr: Translator) -> str:
    """Every announcement says why it came and how to change that."""
    # TRANSLATORS: Footer under every announcement; %(settings)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    text = tr.gettext("You receive this from MAGNET; choose what you receive in %(settings)s.")
    return "<i>" + html.escape(text % {"settings": slash("settings", tr.locale)}) + "</i>"


def body(tr: Translator, view: AnnouncementView) -> str:
    """The announcement as a resident reading in `tr`'s language gets it."""
    return f"{view.text(tr.locale)}\n\n{footer(tr)}"


def going_out(tr: Translator, view: AnnouncementView) -> str:
    """To the author when a scheduled announcement is released; it becomes the live report."""
    return tr.gettext("📣 Announcement #%(id)d is going out now…") % {"id": view.id}


def live_report(
    tr: Translator, progress: Progress, *, final: bool, quiet_until: datetime | None = None
) -> str:
    """While sending, the progress; once done or cancelled, the delivery report."""
    return delivery_report(tr, progress) if final else sending(tr, progress, quiet_until)


def _duration(tr: Translator, seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return tr.gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    return tr.gettext("%(seconds)d s") % {"seconds": rest}


def sending(tr: Translator, progress: Progress, quiet_until: datetime | None) -> str:
    total = progress.announcement.recipients
    head = tr.ngettext(
        "📣 Announcement #%(id)d: sending to %(count)d resident…",
        "📣 Announcement #%(id)d: sending to %(count)d residents…",
        total,
    ) % {"id": progress.announcement.id, "count": total}
    counts = tr.gettext("✅ sent: %(sent)d · 🚫 blocked: %(blocked)d · ⚠️ failed: %(failed)d") % {
        "sent": progress.count(OutboxStatus.SENT),
        "blocked": progress.count(OutboxStatus.BLOCKED),
        "failed": progress.count(OutboxStatus.FAILED),
    }
    lines = [f"<b>{html.escape(head)}</b>", html.escape(counts)]
    if quiet_until is not None:
        lines.append(
            html.escape(
                tr.gettext("⏸ Quiet hours: the rest goes out at %(time)s.")
                % {"time": tr.time(quiet_until)}
            )
        )
    elif progress.recent_rate > 0:
        left = progress.open / progress.recent_rate
        lines.append(
            html.escape(
                tr.gettext("⏱ %(rate)s messages/s, about %(left)s left")
                % {"rate": tr.decimal(progress.recent_rate), "left": _duration(tr, left)}
            )
        )
    return "\n".join(lines)


def delivery_report(tr: Translator, progress: Progress) -> str:
    announcement = progress.announcement
    if announcement.status == AnnouncementStatus.CANCELLED:
        title = tr.gettext("📣 Announcement #%(id)d: cancelled") % {"id": announcement.id}
    else:
        title = tr.gettext("📣 Announcement #%(id)d: delivery report") % {"id": announcement.id}
    sent, cancelled = progress.count(OutboxStatus.SENT), progress.count(OutboxStatus.CANCELLED)
    lines = [
        f"<b>{html.escape(title)}</b>",
        html.escape(tr.gettext("✅ Delivered: %(count)d") % {"count": sent}),
        html.escape(
            tr.gettext("🚫 Blocked the bot: %(count)d")
            % {"count": progress.count(OutboxStatus.BLOCKED)}
        ),
        html.escape(
            tr.gettext("⚠️ Failed: %(count)d") % {"count": progress.count(OutboxStatus.FAILED)}
        ),
    ]
    if cancelled:
        lines.append(
            html.escape(tr.gettext("✖ Not sent (cancelled): %(count)d") % {"count": cancelled})
        )
    if announcement.started_at is not None:
        finished = progress.last_sent_at or announcement.finished_at or datetime.now(UTC)
        seconds = max(0.0, (finished - announcement.started_at).total_seconds())
        rate = sent / seconds if seconds > 0 else 0.0
        took = (
            tr.gettext("⏱ Took %(duration)s (%(rate)s messages/s)")
            if seconds >= 5  # a rate over a blink says nothing
            else tr.gettext("⏱ Took %(duration)s")
        )
        lines.append(
            html.escape(took % {"duration": _duration(tr, seconds), "rate": tr.decimal(rate)})
        )
    return "\n".join(lines)
