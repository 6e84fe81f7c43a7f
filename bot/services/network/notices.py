"""The comparison with the peer towns in words, in the reader's language (digest, dashboard)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.i18n import Translator
from bot.services.network.compare import Comparison, TownShare
from bot.services.surveys.definition import Survey, bilingual
from bot.services.surveys.wording import HIDDEN, bold, percent, question_text
from bot.textfit import cut

e = html.escape
QUESTION_WORDS = 120


def headline_label(tr: Translator, survey: Survey, question: str) -> str:
    found = survey.question(question)
    label = found.report.label if found is not None and found.report is not None else None
    return bilingual(label).get(tr.locale) if label else tr.gettext("headline")


def our_name(tr: Translator, town: TownShare) -> str:
    return tr.gettext("%(town)s (us)") % {"town": town.name}


def town_share(tr: Translator, town: TownShare, *, ours: bool = False) -> str:
    return f"{our_name(tr, town) if ours else town.name} {percent(town.share)}"


def median_text(tr: Translator, row: Comparison) -> str:
    return tr.ngettext(
        "network median %(share)s (%(count)d town)",
        "network median %(share)s (%(count)d towns)",
        row.towns_shown,
    ) % {"share": percent(row.median), "count": row.towns_shown}


def digest_lines(tr: Translator, survey: Survey, rows: Sequence[Comparison]) -> list[str]:
    """One line per question asked alike here and in at least one peer town."""
    mine = [r for r in rows if r.survey == survey.code]
    if not mine:
        return []
    lines = ["", bold(tr.gettext("🌍 Beside the other towns of the network"))]
    lines.append(
        e(
            tr.gettext(
                "Headline shares of the questions asked alike in each town. Each town "
                "publishes only the figures its own privacy rule lets through "
                "(%(hidden)s: not shown)."
            )
            % {"hidden": HIDDEN}
        )
    )
    for row in mine:
        words = cut(question_text(tr, survey, row.question), QUESTION_WORDS)
        parts = [
            town_share(tr, row.ours, ours=True),
            median_text(tr, row),
            *(town_share(tr, peer) for peer in row.peers),
        ]
        label = headline_label(tr, survey, row.question)
        lines.append(f"<i>{e(words)}</i>")
        lines.append(e(f"• {label}: " + " · ".join(parts)))
    return lines
