"""The messages the survey feature sends on its own, worded in the reader's language: the
invitation to a new round, and the digest for the coordinators' channel."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.codec import NS, encode
from bot.i18n import Translator
from bot.services.ideas import notices as ideas_notices
from bot.services.network import notices as network_notices
from bot.services.notice import Notice
from bot.services.surveys import wording as w
from bot.services.surveys.definition import ProfileField, bilingual
from bot.services.surveys.figures import DigestData, LabLine
from bot.services.surveys.wording import HIDDEN, option_label, question_text
from bot.textfit import MESSAGE_MAX, cut, utf16_len

__all__ = ["DigestNotice", "digest", "digest_text", "invitation", "option_label", "question_text"]

e = html.escape


@dataclass(frozen=True)
class DigestNotice:
    text: str
    chart: bytes | None  # a PNG, when there is something to draw
    caption: str


def invitation(tr: Translator) -> Notice:
    text = tr.town.text("survey_invite", tr.locale) or tr.gettext(
        "📝 A new round of the survey “Stay or leave?” is open. Tell us what keeps you in "
        "your town, what draws you elsewhere and what would bring you back. It takes a few "
        "minutes, and you can answer anonymously."
    )
    button = {
        "text": tr.gettext("📝 Start the survey"),
        "callback_data": encode(NS.SURVEY, "intro"),
    }
    return Notice(e(text), {"inline_keyboard": [[button]]})


def digest(tr: Translator, data: DigestData, chart: bytes | None) -> DigestNotice:
    caption = tr.town.text("key_answers", tr.locale) or tr.gettext(
        "📊 Key answers by municipality side by side, in percent"
    )
    return DigestNotice(digest_text(tr, data), chart, caption)


def digest_text(tr: Translator, data: DigestData) -> str:
    """One screen: the round's key figures, what changed, why people go or stay, how far the
    lab suggestion reached, who answered; then recent labs and shared ideas while room lasts."""
    views = data.views
    survey = views.survey
    lines = _heading(tr, data)
    if not views.roles_declared:
        lines.append(w.counts_only(tr))
    for figure in views.key:
        lines += w.key_lines(tr, views, figure)
    lines += network_notices.digest_lines(tr, survey, data.network)
    lines += w.reasons_block(tr, survey, (*views.push, *views.pull))
    if views.roles_declared:
        lines += w.funnel_lines(tr, views)
    lines += w.composition_lines(tr, views, ProfileField.MUNICIPALITY)
    if data.labs:
        lines += ["", w.bold(tr.gettext("Recent labs"))]
        lines += [_lab(tr, lab) for lab in data.labs]
    lines += ideas_notices.digest_lines(tr, data.top_ideas)
    if data.ideas:
        lines += ["", w.bold(tr.gettext("Ideas residents agreed to share"))]
        # The same idea from several people once, with how many gave it.
        for idea, n in Counter(data.ideas).most_common():
            times = f" (×{n})" if n > 1 else ""
            lines.append(f"• <i>{e(cut(idea, 300))}</i>{times}")
    return fit(lines)


def fit(lines: list[str], limit: int = MESSAGE_MAX) -> str:
    """The lines that fit one message, whole lines only (HTML tags stay closed)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        size = utf16_len(line) + 1
        if used + size > limit - 2:
            kept.append("…")
            break
        kept.append(line)
        used += size
    return "\n".join(kept)


def _heading(tr: Translator, data: DigestData) -> list[str]:
    survey = data.survey
    title = tr.gettext("📊 Digest: %(survey)s, round %(number)d") % {
        "survey": bilingual(survey.title).get(tr.locale) or survey.code,
        "number": data.round_number,
    }
    # TRANSLATORS: A whole completed questionnaire (sl "izpolnjena anketa"), not a single answer ("odgovor").
    counts = tr.ngettext(
        "%(count)d completed response", "%(count)d completed responses", data.completed
    ) % {"count": data.completed}
    # TRANSLATORS: Unfinished survey responses (questionnaires), not answers (sl "nedokončana anketa").
    partial = tr.ngettext("%(count)d unfinished", "%(count)d unfinished", data.partial) % {
        "count": data.partial
    }
    line = f"{counts} · {partial}"
    if data.change is not None:
        line += " · " + tr.gettext("%(change)+d since the last digest") % {"change": data.change}
    lines = [w.bold(title), e(line)]
    views = data.views
    if views.previous_round is not None and views.previous_completed is not None:
        lines.append(
            e(
                tr.ngettext(
                    "Round %(round)d had %(count)d completed response.",
                    "Round %(round)d had %(count)d completed responses.",
                    views.previous_completed,
                )
                % {"round": views.previous_round, "count": views.previous_completed}
            )
        )
    return [*lines, w.rule(tr, data.k), w.weighting(tr, views)]


def _lab(tr: Translator, lab: LabLine) -> str:
    detail = tr.gettext(
        "%(date)s: signed up %(confirmed)s, came %(came)s, found it very useful %(useful)s"
    ) % {
        "date": tr.date(lab.starts_at, "short"),
        "confirmed": _shown(lab.confirmed),
        "came": _shown(lab.checked_in),
        "useful": f"{lab.useful_share} %" if lab.useful_share is not None else HIDDEN,
    }
    return e(f"• {lab.title.get(tr.locale)} ({detail})")


def _shown(n: int | None) -> Any:
    return n if n is not None else HIDDEN
