"""The digest's chart: bars for the key answers, as a PNG for the coordinators' channel."""

from __future__ import annotations

import io

from bot.i18n import Translator
from bot.services.surveys.figures import DigestData, Distribution
from bot.services.surveys.notices import option_label, question_text

MAX_PANELS = 4


def chart_png(tr: Translator, data: DigestData) -> bytes | None:
    """Bars for the key questions that may be shown; None when there is nothing to draw.
    Run it in a worker thread: matplotlib is slow and synchronous, and loaded only here so
    that start-up stays light."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = _panels(data)
    if not panels:
        return None
    figure = Figure(figsize=(8, 2.4 * len(panels)), dpi=100)
    for index, dist in enumerate(panels, start=1):
        axes = figure.add_subplot(len(panels), 1, index)
        items = [(code, n) for code, n in dist.cells.items() if n is not None]
        labels = [option_label(tr, data.survey, dist.question, code)[:40] for code, _ in items]
        shares = [100 * n / dist.total for _, n in items] if dist.total else []
        axes.barh(labels[::-1], shares[::-1], color="#2f6db5")
        axes.set_xlim(0, 100)
        axes.set_xlabel("%")
        axes.set_title(question_text(tr, data.survey, dist.question)[:70], fontsize=10, loc="left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _panels(data: DigestData) -> list[Distribution]:
    """The key questions, then the reasons to leave: those shown, with someone in them."""
    panels = [d for d in data.key if d.total is not None]
    if data.leave is not None and data.leave.total is not None:
        panels.append(data.leave)
    return [p for p in panels if any(n for n in p.cells.values())][:MAX_PANELS]
