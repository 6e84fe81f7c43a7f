"""The conversation's chart for coordinators: the opinion map and, for the statements that
matter most, how much each group agrees. Sized to be read on a phone."""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.services.conversations.service import Analysis

COLOURS = ("#2f6db5", "#d9822b", "#3a9b5c", "#b53f6b", "#7a5bb5")
MAX_BARS = 6


def chart_png(tr: Translator, analysis: Analysis) -> bytes | None:
    """None when no group may be shown. Run it in a worker thread (matplotlib is slow)."""
    opinions = analysis.opinions
    if not opinions.groups:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    chosen = _statements(analysis)
    figure = Figure(figsize=(6, 9), dpi=130)
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.3]})
    for index, group in enumerate(opinions.groups):
        points = opinions.positions[opinions.labels == index]
        colour = COLOURS[index % len(COLOURS)]
        top.scatter(points[:, 0], points[:, 1], s=12, alpha=0.6, color=colour)
        centre = points.mean(axis=0)
        top.annotate(
            f"{group.label} ({group.size})",
            centre,
            fontsize=14,
            weight="bold",
            ha="center",
            color="black",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
        )
    top.set_title(tr.gettext("Groups of opinion"), fontsize=14, loc="left")
    top.set_xticks([])
    top.set_yticks([])
    if chosen:
        height = 0.8 / len(opinions.groups)
        labels = []
        for row, (statement_id, tallies) in enumerate(chosen):
            text = analysis.texts.get(statement_id)
            labels.append(textwrap.fill((text.get(tr.locale) if text else "?")[:80], 28))
            for index, tally in enumerate(tallies):
                share = 100 * tally.agree_share if tally.seen >= analysis.k else 0
                bottom.barh(
                    row + index * height,
                    share,
                    height=height,
                    color=COLOURS[index % len(COLOURS)],
                    label=opinions.groups[index].label if row == 0 else None,
                )
        bottom.set_yticks([r + 0.4 - height / 2 for r in range(len(chosen))], labels, fontsize=9)
        bottom.invert_yaxis()
        bottom.set_xlim(0, 100)
        bottom.set_xlabel(tr.gettext("agree, percent of the group"), fontsize=11)
        bottom.legend(
            fontsize=11,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=len(opinions.groups),
            frameon=False,
        )
    else:
        bottom.set_axis_off()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _statements(analysis: Analysis) -> list[tuple[int, tuple]]:  # type: ignore[type-arg]
    """Consensus first, then the divisive, then each group's most distinctive."""
    opinions = analysis.opinions
    seen: dict[int, tuple] = {}  # type: ignore[type-arg]
    picks = [*opinions.consensus, *opinions.divisive]
    for group in opinions.groups:
        picks += group.representative[:1]
    for result in picks:
        seen.setdefault(result.statement_id, result.groups)
    return list(seen.items())[:MAX_BARS]
