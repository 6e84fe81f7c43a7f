"""The messages the survey feature sends on its own, worded in the reader's language: the
invitation to a new round, and the digest for the coordinators' channel."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.codec import NS, encode
from bot.domain import AGE_BANDS, MUNICIPALITIES, Choice, label_of
from bot.i18n import Translator
from bot.services.ideas import notices as ideas_notices
from bot.services.notice import Notice
from bot.services.surveys.definition import Survey, bilingual
from bot.services.surveys.figures import DigestData, Distribution, LabLine

HIDDEN = "•"
TEXT_MAX = 4000

e = html.escape


@dataclass(frozen=True)
class DigestNotice:
    text: str
    chart: bytes | None  # a PNG, when there is something to draw
    caption: str


def invitation(tr: Translator) -> Notice:
    text = tr.gettext(
        "📝 A new round of the survey “Stay or leave?” is open. Tell Celje and Prebold "
        "what keeps you here or makes you leave: about 4 minutes, anonymous if you wish."
    )
    button = {
        "text": tr.gettext("📝 Start the survey"),
        "callback_data": encode(NS.SURVEY, "intro"),
    }
    return Notice(e(text), {"inline_keyboard": [[button]]})


def digest(tr: Translator, data: DigestData, chart: bytes | None) -> DigestNotice:
    return DigestNotice(digest_text(tr, data), chart, tr.gettext("📊 Key answers, in percent"))


def digest_text(tr: Translator, data: DigestData) -> str:
    survey = data.survey
    lines = _heading(tr, data)
    for dist in data.key:
        lines += ["", _bold(question_text(tr, survey, dist.question))]
        lines += _cells(tr, survey, dist)
    lines += _top(tr, survey, tr.gettext("Top reasons to stay"), data.stay)
    lines += _top(tr, survey, tr.gettext("Top reasons to leave"), data.leave)
    # TRANSLATORS: Digest heading: results by municipality (sl "Po občinah").
    lines += _by(
        tr, tr.pgettext("digest heading", "By municipality"), data.municipality, MUNICIPALITIES
    )
    lines += _by(tr, tr.gettext("By age group"), data.age_band, AGE_BANDS)
    if data.labs:
        lines += ["", _bold(tr.gettext("Recent labs"))]
        lines += [_lab(tr, lab) for lab in data.labs]
    if data.ideas:
        lines += ["", _bold(tr.gettext("Ideas residents agreed to share"))]
        lines += [f"• <i>{e(idea[:300])}</i>" for idea in data.ideas]
    lines += ideas_notices.digest_lines(tr, data.top_ideas)  # --- ideas (issue 16)
    text = "\n".join(lines)
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 10].rsplit("\n", 1)[0] + "\n…"


def option_label(tr: Translator, survey: Survey, question: str, code: str) -> str:
    q = survey.question(question)
    option = q.option(code) if q is not None else None
    return option.label(tr.locale) if option is not None else code


def question_text(tr: Translator, survey: Survey, code: str) -> str:
    q = survey.question(code)
    return (bilingual(q.text).get(tr.locale) or code) if q is not None else code


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
    rule = tr.gettext(
        "Figures resting on fewer than %(k)d people, and figures that would reveal "
        "them, are hidden (%(mark)s)."
    ) % {"k": data.k, "mark": HIDDEN}
    return [_bold(title), e(line), e(rule)]


def _bold(text: str) -> str:
    return f"<b>{e(text)}</b>"


def _too_few(tr: Translator) -> str:
    return e(tr.gettext("Too few answers to show."))


def _share(n: int | None, total: int | None) -> str:
    if n is None or not total:
        return HIDDEN
    return f"{round(100 * n / total)} %"


def _cells(tr: Translator, survey: Survey, dist: Distribution) -> list[str]:
    if dist.total is None:
        return [_too_few(tr)]
    return [
        e(f"• {option_label(tr, survey, dist.question, code)}: {_share(n, dist.total)}")
        for code, n in dist.cells.items()
    ]


def _top(tr: Translator, survey: Survey, title: str, dist: Distribution | None) -> list[str]:
    """The three reasons named most, among those that may be shown."""
    if dist is None:
        return []
    lines = ["", _bold(title)]
    if dist.total is None:
        return [*lines, _too_few(tr)]
    shown = [(code, n) for code, n in dist.cells.items() if n is not None][:3]
    for code, n in shown:
        label = option_label(tr, survey, dist.question, code)
        lines.append(e(f"• {label}: {_share(n, dist.total)}"))
    return lines if shown else [*lines, _too_few(tr)]


def _by(
    tr: Translator, title: str, dist: Distribution | None, choices: Sequence[Choice]
) -> list[str]:
    """A breakdown by a profile field, largest group first."""
    if dist is None:
        return []
    lines = ["", _bold(title)]
    if dist.total is None:
        return [*lines, _too_few(tr)]
    for code, n in sorted(dist.cells.items(), key=lambda item: -(item[1] or 0)):
        label = label_of(choices, code)
        name = tr.gettext(label) if label else tr.gettext("not given")
        lines.append(e(f"• {name}: {n if n is not None else HIDDEN}"))
    return lines


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
