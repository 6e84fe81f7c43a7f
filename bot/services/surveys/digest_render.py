"""A digest as the coordinators read it (in the channel's language), its chart, and the job
that sends it on schedule, after every N new responses, or on /digest."""

from __future__ import annotations

import asyncio
import html
import io
import logging
from datetime import UTC, datetime

from bot.domain import AGE_BANDS, MUNICIPALITIES, label_of
from bot.i18n import I18n, Translator
from bot.services.surveys.definition import Survey
from bot.services.surveys.digests import DigestData, DigestService, Distribution

log = logging.getLogger(__name__)

HIDDEN = "•"


def _label(tr: Translator, survey: Survey, question: str, code: str) -> str:
    q = survey.question(question)
    option = q.option(code) if q is not None else None
    if option is not None:
        return option.label(tr.locale)
    return code


def _question(tr: Translator, survey: Survey, code: str) -> str:
    q = survey.question(code)
    return (q.text.get(tr.locale) or code) if q is not None else code


def _share(n: int | None, total: int | None) -> str:
    if n is None or not total:
        return HIDDEN
    return f"{round(100 * n / total)} %"


def render(tr: Translator, data: DigestData) -> str:
    e = html.escape
    survey = data.survey
    title = tr.gettext("📊 Digest: %(survey)s, round %(number)d") % {
        "survey": survey.title.get(tr.locale, survey.code),
        "number": data.round_number,
    }
    lines = [f"<b>{e(title)}</b>"]
    counts = tr.ngettext(
        "%(count)d completed response", "%(count)d completed responses", data.completed
    ) % {"count": data.completed}
    partial = tr.ngettext("%(count)d unfinished", "%(count)d unfinished", data.partial) % {
        "count": data.partial
    }
    line = f"{counts} · {partial}"
    if data.change is not None:
        line += " · " + tr.gettext("%(change)+d since the last digest") % {"change": data.change}
    lines.append(e(line))
    lines.append(
        e(
            tr.gettext(
                "Figures resting on fewer than %(k)d people, and figures that would reveal "
                "them, are hidden (%(mark)s)."
            )
            % {"k": data.k, "mark": HIDDEN}
        )
    )
    for dist in data.key:
        lines += ["", f"<b>{e(_question(tr, survey, dist.question))}</b>"]
        lines += _cells(tr, survey, dist)
    for title_text, dist in (
        (tr.gettext("Top reasons to stay"), data.stay),
        (tr.gettext("Top reasons to leave"), data.leave),
    ):
        if dist is None:
            continue
        lines += ["", f"<b>{e(title_text)}</b>"]
        if dist.total is None:
            lines.append(e(tr.gettext("Too few answers to show.")))
            continue
        shown = [(code, n) for code, n in dist.cells.items() if n is not None][:3]
        for code, n in shown:
            label = _label(tr, survey, dist.question, code)
            lines.append(e(f"• {label}: {_share(n, dist.total)}"))
        if not shown:
            lines.append(e(tr.gettext("Too few answers to show.")))
    for title_text, dist, choices in (
        (tr.gettext("By municipality"), data.municipality, MUNICIPALITIES),
        (tr.gettext("By age group"), data.age_band, AGE_BANDS),
    ):
        if dist is None:
            continue
        lines += ["", f"<b>{e(title_text)}</b>"]
        if dist.total is None:
            lines.append(e(tr.gettext("Too few answers to show.")))
            continue
        for code, n in sorted(dist.cells.items(), key=lambda item: -(item[1] or 0)):
            label = label_of(choices, code)
            name = tr.gettext(label) if label else tr.gettext("not given")
            lines.append(e(f"• {name}: {n if n is not None else HIDDEN}"))
    if data.labs:
        heading = tr.gettext("Recent labs")
        lines += ["", f"<b>{e(heading)}</b>"]
        for lab in data.labs:
            title_lab = lab.title_sl if tr.locale == "sl" else lab.title_en
            detail = tr.gettext(
                "%(date)s: signed up %(confirmed)s, came %(came)s, found it very useful %(useful)s"
            ) % {
                "date": tr.date(lab.starts_at, "short"),
                "confirmed": lab.confirmed if lab.confirmed is not None else HIDDEN,
                "came": lab.checked_in if lab.checked_in is not None else HIDDEN,
                "useful": f"{lab.useful_share} %" if lab.useful_share is not None else HIDDEN,
            }
            lines.append(e(f"• {title_lab} ({detail})"))
    if data.ideas:
        heading = tr.gettext("Ideas residents agreed to share")
        lines += ["", f"<b>{e(heading)}</b>"]
        lines += [f"• <i>{e(idea[:300])}</i>" for idea in data.ideas]
    text = "\n".join(lines)
    return text if len(text) <= 4000 else text[:3990].rsplit("\n", 1)[0] + "\n…"


def _cells(tr: Translator, survey: Survey, dist: Distribution) -> list[str]:
    if dist.total is None:
        return [html.escape(tr.gettext("Too few answers to show."))]
    return [
        html.escape(f"• {_label(tr, survey, dist.question, code)}: {_share(n, dist.total)}")
        for code, n in dist.cells.items()
    ]


def chart_png(tr: Translator, data: DigestData) -> bytes | None:
    """Bars for the key questions that may be shown; None when there is nothing to draw.
    Runs in a worker thread (matplotlib is slow and synchronous)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = [d for d in data.key if d.total is not None]
    if data.leave is not None and data.leave.total is not None:
        panels.append(data.leave)
    panels = [p for p in panels if any(n for n in p.cells.values())][:4]
    if not panels:
        return None
    figure = Figure(figsize=(8, 2.4 * len(panels)), dpi=100)
    for index, dist in enumerate(panels, start=1):
        axes = figure.add_subplot(len(panels), 1, index)
        items = [(code, n) for code, n in dist.cells.items() if n is not None]
        labels = [_label(tr, data.survey, dist.question, code)[:40] for code, _ in items]
        shares = [100 * n / dist.total for _, n in items] if dist.total else []
        axes.barh(labels[::-1], shares[::-1], color="#2f6db5")
        axes.set_xlim(0, 100)
        axes.set_xlabel("%")
        axes.set_title(_question(tr, data.survey, dist.question)[:70], fontsize=10, loc="left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class DigestSender:
    def __init__(
        self,
        digests: DigestService,
        i18n: I18n,
        survey_codes: list[str],
        chat_id: int | None,
        locale: str,
    ):
        self.digests = digests
        self.i18n = i18n
        self.codes = survey_codes
        self.chat_id = chat_id
        self.locale = locale

    async def compose(self, code: str) -> tuple[DigestData, str, bytes | None] | None:
        data = await self.digests.gather(code)
        if data is None:
            return None
        tr = self.i18n.get(self.locale)
        chart = await asyncio.to_thread(chart_png, tr, data)
        return data, render(tr, data), chart

    async def send(self, code: str, trigger: str, now: datetime | None = None) -> bool:
        """Queue a digest for the coordinators' channel; False if there is nothing to send."""
        if self.chat_id is None:
            return False
        composed = await self.compose(code)
        if composed is None:
            return False
        data, text, chart = composed
        caption = self.i18n.get(self.locale).gettext("📊 Key answers, in percent")
        await self.digests.record_and_queue(
            data, code, trigger, self.chat_id, text, chart, caption, at=now
        )
        return True

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Scheduled digests and the every-N-responses ones."""
        now = now or datetime.now(UTC)
        sent = 0
        if self.chat_id is None:
            return {"digests": 0}
        for code in self.codes:
            trigger = await self.digests.due(code, now)
            if trigger is not None and await self.send(code, trigger, now):
                sent += 1
        return {"digests": sent}
