"""Charts of the decision views, as PNGs readable on a phone: large type, few bars, labels in
the reader's language, a hidden figure drawn as a grey "hidden" segment, never as its value.

matplotlib is slow and synchronous and loaded only here, on first use, so that start-up stays
light: run these in a worker thread."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from enum import StrEnum

from bot.i18n import Translator
from bot.services.surveys import wording as w
from bot.services.surveys.definition import ProfileField
from bot.services.surveys.figures import DigestData
from bot.services.surveys.views import Breakdown, DecisionViews, KeyFigure, Reasons

MAX_PANELS = 3
MAX_BARS = 6
LABEL_MAX = 28
COLOURS = ("#2f6db5", "#e07b39", "#5aa469", "#8e6bb8", "#c9a227", "#4bb3c4", "#b55a7a")
HIDDEN_COLOUR = "#d0d0d0"


class View(StrEnum):
    """The /povzetek views (also the names their buttons carry)."""

    OVERVIEW = "overview"
    PLACES = "places"
    AGES = "ages"
    TREND = "trend"
    REASONS = "reasons"


@dataclass
class Bar:
    label: str
    segments: list[tuple[float | None, int]]  # (percent or None: hidden, colour index)
    note: str = ""


@dataclass
class Panel:
    title: str
    bars: list[Bar]
    legend: list[str] = field(default_factory=list)  # one per colour index, when stacked


def chart_png(tr: Translator, data: DigestData) -> bytes | None:
    """The digest's one chart: each key question's headline share, overall and by place."""
    panels = [p for p in (_headline_panel(tr, data.views, f) for f in data.views.key) if p]
    if not data.views.roles_declared:
        panels = [p for p in [_composition_panel(tr, data.views)] if p]
    return render(panels, tr)


def view_png(tr: Translator, views: DecisionViews, view: View) -> bytes | None:
    if not views.roles_declared:
        panels = [_composition_panel(tr, views)]
    elif view == View.OVERVIEW:
        panels = [_distribution_panel(tr, views, f) for f in views.key]
    elif view in (View.PLACES, View.AGES):
        by = ProfileField.MUNICIPALITY if view == View.PLACES else ProfileField.AGE_BAND
        panels = [_breakdown_panel(tr, views, b) for b in views.breakdowns(by)]
    elif view == View.TREND:
        panels = [_trend_panel(tr, views, f) for f in views.key if f.change is not None]
    else:
        panels = [_reasons_panel(tr, views, r) for r in (*views.push, *views.pull)]
    return render([p for p in panels if p is not None], tr)


def _composition_panel(tr: Translator, views: DecisionViews) -> Panel | None:
    """Who answered, by municipality: all a survey without roles can show."""
    rows = [r for r in views.composition if r.field == ProfileField.MUNICIPALITY]
    total = views.completed
    if not rows or not total:
        return None
    bars = [
        Bar(
            w.group_name(tr, ProfileField.MUNICIPALITY, r.group),
            [(None if r.respondents is None else 100 * r.respondents / total, 0)],
        )
        for r in rows
    ]
    return Panel(tr.pgettext("digest heading", "By municipality"), bars)


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _headline_panel(tr: Translator, views: DecisionViews, figure: KeyFigure) -> Panel | None:
    headline = figure.headline
    if headline is None or headline.share is None:
        return _distribution_panel(tr, views, figure)
    bars = [Bar(tr.gettext("All"), [(headline.share, 0)])]
    for b in figure.breakdowns:
        if b.field != ProfileField.MUNICIPALITY or b.withheld:
            continue
        for column in b.columns:
            share = w.headline_share(b, column, headline.options)
            bars.append(Bar(w.column_name(tr, b.field, column), [(share, 0)]))
    label = w.option_label(tr, views.survey, figure.question, "headline")
    title = f"{w.question_text(tr, views.survey, figure.question)}: {label}"
    return Panel(title, bars)


def _distribution_panel(tr: Translator, views: DecisionViews, figure: KeyFigure) -> Panel | None:
    dist = figure.overall
    if dist.total is None:
        return None
    bars = [
        Bar(w.option_label(tr, views.survey, dist.question, code), [(dist.share(code), 0)])
        for code in dist.cells
    ]
    return Panel(w.question_text(tr, views.survey, dist.question), bars)


def _breakdown_panel(tr: Translator, views: DecisionViews, b: Breakdown) -> Panel | None:
    if b.withheld or not b.columns:
        return None
    bars = []
    for column in b.columns:
        segments = [(column.share(row), i) for i, row in enumerate(b.rows)]
        size = w.HIDDEN if column.total is None else str(column.total)
        bars.append(Bar(f"{w.column_name(tr, b.field, column)} ({size})", segments))
    legend = [w.option_label(tr, views.survey, b.question, row) for row in b.rows]
    return Panel(w.question_text(tr, views.survey, b.question), bars, legend)


def _trend_panel(tr: Translator, views: DecisionViews, figure: KeyFigure) -> Panel | None:
    change = figure.change
    if change is None or change.previous is None or change.current is None:
        return None
    label = change.label or {}
    name = label.get(tr.locale) or label.get("sl") or figure.question
    note = w.points(tr, change.difference or 0)
    if change.low is not None and change.high is not None:
        note += f" [{w.signed(change.low)}, {w.signed(change.high)}]"
    round_name = tr.gettext("Round %(number)d")
    return Panel(
        f"{name}: {note}",
        [
            Bar(round_name % {"number": change.previous_round}, [(change.previous, 1)]),
            Bar(round_name % {"number": views.round_number}, [(change.current, 0)]),
        ],
    )


def _reasons_panel(tr: Translator, views: DecisionViews, reasons: Reasons) -> Panel | None:
    if reasons.people is None or not reasons.top:
        return None
    bars = [
        Bar(
            w.option_label(tr, views.survey, reasons.question, code),
            [(None if n is None else 100 * n / reasons.people, 0)],
        )
        for code, n in reasons.top
    ]
    return Panel(w.reasons_title(tr, reasons), bars)


def render(panels: list[Panel], tr: Translator) -> bytes | None:
    """Horizontal bars from 0 to 100 %, one panel per figure; None when nothing to draw."""
    panels = [p for p in panels if p.bars][:MAX_PANELS]
    if not panels:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    heights = [1.4 + 0.75 * min(len(p.bars), MAX_BARS) + (0.6 if p.legend else 0) for p in panels]
    figure = Figure(figsize=(7.5, sum(heights)), dpi=130)
    grid = figure.add_gridspec(len(panels), 1, height_ratios=heights)
    hidden = tr.gettext("hidden")
    for index, panel in enumerate(panels):
        axes = figure.add_subplot(grid[index])
        bars = panel.bars[:MAX_BARS][::-1]
        labels = [_short(b.label) for b in bars]
        for y, bar in enumerate(bars):
            left = 0.0
            for value, colour in bar.segments:
                if value is None:
                    continue
                axes.barh(y, value, left=left, color=COLOURS[colour % len(COLOURS)], height=0.7)
                if value >= 8:
                    axes.text(
                        left + value / 2,
                        y,
                        f"{round(value)}",
                        ha="center",
                        va="center",
                        color="white",
                        fontsize=13,
                        fontweight="bold",
                    )
                left += value
            if any(value is None for value, _ in bar.segments):
                axes.barh(
                    y,
                    max(0.0, 100 - left),
                    left=left,
                    color=HIDDEN_COLOUR,
                    height=0.7,
                    hatch="//",
                    edgecolor="white",
                )
                axes.text(min(left + 2, 92), y, w.HIDDEN, va="center", fontsize=14)
            elif len(bar.segments) == 1 and bar.segments[0][0] is not None:
                axes.text(left + 1.5, y, f"{round(left)} %", va="center", fontsize=13)
        axes.set_yticks(range(len(bars)), labels, fontsize=14)
        axes.set_xlim(0, 100)
        axes.tick_params(axis="x", labelsize=12)
        axes.set_title(_short(panel.title, 48), fontsize=15, loc="left", fontweight="bold")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if panel.legend:
            handles = [
                Patch(color=COLOURS[i % len(COLOURS)], label=_short(text, 20))
                for i, text in enumerate(panel.legend)
            ] + [Patch(facecolor=HIDDEN_COLOUR, hatch="//", label=hidden)]
            axes.legend(
                handles=handles,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.12),
                ncol=min(3, len(handles)),
                fontsize=12,
                frameon=False,
            )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
