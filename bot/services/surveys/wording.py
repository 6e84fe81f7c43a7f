"""The decision views in words, in the reader's language: the pieces the weekly digest and the
/povzetek views are built from. Every figure printed here is one the views let through;
a hidden one prints as HIDDEN."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.domain import AGE_BANDS, STATUSES, label_of
from bot.i18n import Translator
from bot.services.surveys.definition import ProfileField, Role, Survey, bilingual
from bot.services.surveys.views import (
    HEADLINE,
    REST,
    Breakdown,
    Change,
    Column,
    CompositionRow,
    DecisionViews,
    Distribution,
    KeyFigure,
    Reasons,
)
from bot.textfit import cut

HIDDEN = "•"
e = html.escape


def option_label(tr: Translator, survey: Survey, question: str, code: str) -> str:
    q = survey.question(question)
    if q is not None and code == HEADLINE and q.report is not None:
        return bilingual(q.report.label).get(tr.locale) or tr.gettext("headline")
    if code == REST:
        # TRANSLATORS: The answers other than the headline ones, e.g. "will stay" vs "the rest".
        return tr.gettext("the rest")
    if code == "other" and q is not None and q.other and q.option("other") is None:
        return tr.gettext("Other")
    option = q.option(code) if q is not None else None
    return option.label(tr.locale) if option is not None else code


def question_text(tr: Translator, survey: Survey, code: str) -> str:
    q = survey.question(code)
    return (bilingual(q.text).get(tr.locale) or code) if q is not None else code


def group_name(tr: Translator, by: ProfileField, code: str) -> str:
    if by == ProfileField.MUNICIPALITY:
        return tr.town.group_label(code, tr.locale) or tr.gettext("not given")
    else:
        label = label_of(AGE_BANDS if by == ProfileField.AGE_BAND else STATUSES, code)
        if code == "na":
            label = None
    return tr.gettext(label) if label else tr.gettext("not given")


def column_name(tr: Translator, by: ProfileField, column: Column) -> str:
    return " + ".join(group_name(tr, by, code) for code in column.members)


def percent(value: float | None) -> str:
    return HIDDEN if value is None else f"{round(value)} %"


def points(tr: Translator, value: float) -> str:
    """A signed difference in percentage points: "+12 odstotnih točk", "−3 points"."""
    n = round(value)
    sign = "+" if n > 0 else ("−" if n < 0 else "±")
    return tr.ngettext(
        "%(sign)s%(points)d percentage point", "%(sign)s%(points)d percentage points", abs(n)
    ) % {"sign": sign, "points": abs(n)}


def bold(text: str) -> str:
    return f"<b>{e(text)}</b>"


QUESTION_WORDS = 120  # a question's own words above its reasons, cut on a phone screen


def not_shown(tr: Translator) -> str:
    return e(
        tr.gettext("Not shown: too few people, or answers so alike that someone's could be told.")
    )


def rule(tr: Translator, k: int) -> str:
    return e(
        tr.gettext(
            "Figures resting on fewer than %(k)d people, and figures that would reveal "
            "them, are hidden (%(mark)s)."
        )
        % {"k": k, "mark": HIDDEN}
    )


def weighting(tr: Translator, views: DecisionViews) -> str:
    if views.population is None:
        return e(tr.gettext("Percentages are unweighted: shares of those who answered."))
    source = views.population.source.get(tr.locale)
    text = tr.gettext(
        "Percentages are unweighted; “weighted” figures are post-stratified to the population "
        "by municipality and age (%(source)s)."
    ) % {"source": source or tr.gettext("population table")}
    if views.population.approximate:
        text += " " + tr.gettext("The population table is approximate.")
    return e(text)


def counts_only(tr: Translator) -> str:
    return e(
        tr.gettext(
            "This version of the survey does not say which questions are key, so only the "
            "counts of responses are shown."
        )
    )


def distribution_line(tr: Translator, survey: Survey, dist: Distribution) -> str:
    """All answers of a key question on one line, or why they are not shown."""
    if dist.total is None:
        return not_shown(tr)
    return e(
        " · ".join(
            f"{option_label(tr, survey, dist.question, code)} {percent(dist.share(code))}"
            for code in dist.cells
        )
    )


def headline_line(tr: Translator, views: DecisionViews, figure: KeyFigure) -> str | None:
    """The headline share, with the town's municipality groups side by side when shown."""
    headline = figure.headline
    if headline is None:
        return None
    label = bilingual(headline.label).get(tr.locale) or tr.gettext("headline")
    line = f"{label}: {percent(headline.share)}"
    places = [b for b in figure.breakdowns if b.field == ProfileField.MUNICIPALITY]
    if headline.share is not None and places and not places[0].withheld:
        parts = [
            f"{column_name(tr, ProfileField.MUNICIPALITY, c)} {percent(headline_share(places[0], c, headline.options))}"
            for c in places[0].columns
        ]
        line += f" ({', '.join(parts)})"
    if figure.weighted is not None:
        line += " · " + tr.gettext("weighted %(share)s") % {"share": percent(figure.weighted.share)}
    return e(line)


def headline_share(b: Breakdown, column: Column, options: Sequence[str]) -> float | None:
    if b.merged_answers:
        return column.share(HEADLINE)
    cells = [column.cells.get(o) for o in options]
    if None in cells or not column.total:
        return None
    return 100 * sum(c for c in cells if c is not None) / column.total


def change_line(tr: Translator, change: Change | None) -> str | None:
    if change is None:
        return None
    values = {"round": change.previous_round}
    if change.difference is None or change.low is None or change.high is None:
        return e(tr.gettext("Compared with round %(round)d: too few answers to compare.") % values)
    values |= {
        "change": points(tr, change.difference),
        "low": signed(change.low),
        "high": signed(change.high),
    }
    if change.clear:
        text = tr.gettext(
            "Since round %(round)d: %(change)s (95 %% interval %(low)s to %(high)s), a clear change."
        )
    else:
        text = tr.gettext(
            "Since round %(round)d: %(change)s (95 %% interval %(low)s to %(high)s), "
            "no clear change."
        )
    return e(text % values)


def signed(value: float) -> str:
    n = round(value)
    return f"+{n}" if n > 0 else (f"−{abs(n)}" if n < 0 else "0")


def key_lines(tr: Translator, views: DecisionViews, figure: KeyFigure) -> list[str]:
    lines = ["", bold(question_text(tr, views.survey, figure.question))]
    head = headline_line(tr, views, figure)
    if head is not None:
        lines.append(f"• {head}")
    change = change_line(tr, figure.change)
    if change is not None:
        lines.append(f"• {change}")
    lines.append(f"• {distribution_line(tr, views.survey, figure.overall)}")
    return lines


def reasons_title(tr: Translator, reasons: Reasons) -> str:
    if reasons.role == Role.PUSH:
        return tr.gettext("Top reasons to leave")
    return tr.gettext("Top reasons to stay")


def reasons_block(
    tr: Translator, survey: Survey, found: Sequence[Reasons], top: int = 3
) -> list[str]:
    """Push, then pull: one heading for each, each shown question under its own words, and
    those that cannot be shown counted in one line rather than repeated."""
    lines: list[str] = []
    for role in (Role.PUSH, Role.PULL):
        mine = [r for r in found if r.role == role]
        if not mine:
            continue
        lines += ["", bold(reasons_title(tr, mine[0]))]
        shown = [r for r in mine if r.people is not None and r.top]
        for reasons in shown:
            words = cut(question_text(tr, survey, reasons.question), QUESTION_WORDS)
            lines.append(f"<i>{e(words)}</i>")
            lines += reasons_lines(tr, survey, reasons, top)[2:]
        hidden = len(mine) - len(shown)
        if hidden and shown:
            lines.append(
                e(
                    tr.ngettext(
                        "%(count)d more question not shown: too few people, or answers so alike "
                        "that someone's could be told.",
                        "%(count)d more questions not shown: too few people, or answers so alike "
                        "that someone's could be told.",
                        hidden,
                    )
                    % {"count": hidden}
                )
            )
        elif hidden:
            lines.append(not_shown(tr))
    return lines


def reasons_lines(tr: Translator, survey: Survey, reasons: Reasons, top: int = 3) -> list[str]:
    lines = ["", bold(reasons_title(tr, reasons))]
    if reasons.people is None or not reasons.top:
        return [*lines, not_shown(tr)]
    lines.append(
        e(
            tr.ngettext(
                "Among %(count)d person this question concerns:",
                "Among %(count)d people this question concerns:",
                reasons.people,
            )
            % {"count": reasons.people}
        )
    )
    for code, n in reasons.top[:top]:
        share = None if n is None else 100 * n / reasons.people
        lines.append(e(f"• {option_label(tr, survey, reasons.question, code)}: {percent(share)}"))
    return lines


def funnel_lines(tr: Translator, views: DecisionViews) -> list[str]:
    funnel = views.funnel
    lines = ["", bold(tr.gettext("From the survey to the labs"))]
    if funnel.suggested is None:
        return [
            *lines,
            e(tr.gettext("Fewer than %(k)d respondents were suggested a lab.") % {"k": views.k}),
        ]
    text = tr.ngettext(
        "A lab was suggested to %(count)d respondent",
        "A lab was suggested to %(count)d respondents",
        funnel.suggested,
    ) % {"count": funnel.suggested}
    if funnel.signed_up is None:
        text += "; " + tr.gettext("fewer than %(k)d signed up from it.") % {"k": views.k}
    else:
        text += "; " + tr.ngettext(
            "%(count)d signed up from it.", "%(count)d signed up from it.", funnel.signed_up
        ) % {"count": funnel.signed_up}
    return [*lines, e(text)]


def composition_lines(tr: Translator, views: DecisionViews, by: ProfileField) -> list[str]:
    rows = [r for r in views.composition if r.field == by]
    if not rows:
        return []
    title = (
        tr.pgettext("digest heading", "By municipality")
        if by == ProfileField.MUNICIPALITY
        else tr.gettext("By age group")
    )
    lines = ["", bold(title)]
    for row in rows:
        lines.append(e(f"• {_composition_row(tr, by, row)}"))
    return lines


def _composition_row(tr: Translator, by: ProfileField, row: CompositionRow) -> str:
    name = group_name(tr, by, row.group)
    count = HIDDEN if row.respondents is None else str(row.respondents)
    if row.population is None:
        return f"{name}: {count}"
    return tr.gettext("%(group)s: %(count)s (%(share)s; population %(population)s)") % {
        "group": name,
        "count": count,
        "share": percent(row.share),
        "population": percent(row.population),
    }


def breakdown_lines(tr: Translator, survey: Survey, b: Breakdown) -> list[str]:
    """One key question by a profile field: a line per group."""
    lines = ["", bold(question_text(tr, survey, b.question))]
    if b.withheld:
        return [*lines, not_shown(tr)]
    for column in b.columns:
        size = HIDDEN if column.total is None else str(column.total)
        shares = " · ".join(
            f"{option_label(tr, survey, b.question, row)} {percent(column.share(row))}"
            for row in b.rows
        )
        lines.append(e(f"• {column_name(tr, b.field, column)} ({size}): {shares}"))
    if b.merged_answers:
        lines.append(
            e(tr.gettext("Answers are merged into the headline and the rest to keep groups safe."))
        )
    if b.merged_groups:
        lines.append(
            e(
                tr.gettext(
                    "Small groups, and groups where nearly everyone answered alike, are merged with a neighbour."
                )
            )
        )
    return lines
