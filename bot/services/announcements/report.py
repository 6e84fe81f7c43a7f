"""The coordinator's live delivery report: one message, edited while the broadcast runs."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from bot.i18n import Translator
from bot.services.announcements.service import Progress


def _duration(tr: Translator, seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return tr.gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    return tr.gettext("%(seconds)d s") % {"seconds": rest}


def render_progress(tr: Translator, progress: Progress, quiet_until: datetime | None) -> str:
    total = progress.announcement.recipients
    head = tr.ngettext(
        "📣 Announcement #%(id)d: sending to %(count)d resident…",
        "📣 Announcement #%(id)d: sending to %(count)d residents…",
        total,
    ) % {"id": progress.announcement.id, "count": total}
    counts = tr.gettext("✅ sent: %(sent)d · 🚫 blocked: %(blocked)d · ⚠️ failed: %(failed)d") % {
        "sent": progress.count("sent"),
        "blocked": progress.count("blocked"),
        "failed": progress.count("failed"),
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


def render_report(tr: Translator, progress: Progress) -> str:
    announcement = progress.announcement
    if announcement.status == "cancelled":
        title = tr.gettext("📣 Announcement #%(id)d: cancelled") % {"id": announcement.id}
    else:
        title = tr.gettext("📣 Announcement #%(id)d: delivery report") % {"id": announcement.id}
    lines = [
        f"<b>{html.escape(title)}</b>",
        html.escape(tr.gettext("✅ Delivered: %(count)d") % {"count": progress.count("sent")}),
        html.escape(
            tr.gettext("🚫 Blocked the bot: %(count)d") % {"count": progress.count("blocked")}
        ),
        html.escape(tr.gettext("⚠️ Failed: %(count)d") % {"count": progress.count("failed")}),
    ]
    if progress.count("cancelled"):
        lines.append(
            html.escape(
                tr.gettext("✖ Not sent (cancelled): %(count)d")
                % {"count": progress.count("cancelled")}
            )
        )
    if announcement.started_at is not None:
        finished = progress.last_sent_at or announcement.finished_at or datetime.now(UTC)
        seconds = max(0.0, (finished - announcement.started_at).total_seconds())
        sent = progress.count("sent")
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
