"""How the /povzetek views look: a short k-safe text per view and the buttons to the others."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.i18n import Translator
from bot.services.surveys import wording as w
from bot.services.surveys.chart import View
from bot.services.surveys.definition import ProfileField, bilingual
from bot.services.surveys.notices import fit
from bot.services.surveys.views import DecisionViews
from handlers.common import keyboard


def view_title(tr: Translator, view: View) -> str:
    return {
        View.OVERVIEW: tr.gettext("Overview"),
        View.PLACES: tr.pgettext("digest heading", "By municipality"),
        View.AGES: tr.gettext("By age group"),
        View.TREND: tr.gettext("Trend"),
        View.REASONS: tr.gettext("Push and pull"),
    }[view]


def view_buttons(
    tr: Translator, views: DecisionViews, current: View, channel: bool
) -> InlineKeyboardMarkup:
    def button(view: View) -> tuple[str, str]:
        label = view_title(tr, view)
        if view == current:
            label = f"· {label} ·"
        return label, encode(NS.DIGEST, "view", view.value, views.round_number)

    rows = [
        [button(View.OVERVIEW), button(View.PLACES)],
        [button(View.AGES), button(View.TREND)],
        [button(View.REASONS)],
    ]
    if channel:
        rows.append([(tr.gettext("📤 Send the digest to the channel"), encode(NS.DIGEST, "send"))])
    return keyboard(rows)


def view_text(tr: Translator, views: DecisionViews, view: View) -> str:
    survey = views.survey
    title = tr.gettext("📊 %(survey)s, round %(number)d: %(view)s") % {
        "survey": bilingual(survey.title).get(tr.locale) or survey.code,
        "number": views.round_number,
        "view": view_title(tr, view),
    }
    responses = tr.ngettext(
        "%(count)d completed response", "%(count)d completed responses", views.completed
    ) % {"count": views.completed}
    lines = [w.bold(title), w.e(responses), w.rule(tr, views.k)]
    if not views.roles_declared:
        return fit([*lines, w.counts_only(tr), *_composition(tr, views)])
    if view == View.OVERVIEW:
        lines.append(w.weighting(tr, views))
        for figure in views.key:
            lines += w.key_lines(tr, views, figure)
        lines += w.funnel_lines(tr, views)
        lines += _composition(tr, views)
    elif view in (View.PLACES, View.AGES):
        by = ProfileField.MUNICIPALITY if view == View.PLACES else ProfileField.AGE_BAND
        found = views.breakdowns(by)
        for b in found:
            lines += w.breakdown_lines(tr, survey, b)
        if not found:
            lines += ["", w.e(tr.gettext("No key question is broken down this way."))]
    elif view == View.TREND:
        lines += _trend(tr, views)
    else:
        lines += w.reasons_block(tr, survey, (*views.push, *views.pull), top=5)
        if not views.push and not views.pull:
            lines += ["", w.e(tr.gettext("This survey names no reasons to stay or leave."))]
    return fit(lines)


def _composition(tr: Translator, views: DecisionViews) -> list[str]:
    return [
        *w.composition_lines(tr, views, ProfileField.MUNICIPALITY),
        *w.composition_lines(tr, views, ProfileField.AGE_BAND),
    ]


def _trend(tr: Translator, views: DecisionViews) -> list[str]:
    if views.previous_round is None:
        return ["", w.e(tr.gettext("This is the survey's first round: nothing to compare yet."))]
    lines = []
    for figure in views.key:
        line = w.change_line(tr, figure.change)
        if line is None:
            continue
        lines += ["", w.bold(w.question_text(tr, views.survey, figure.question))]
        if figure.change is not None and figure.headline is not None:
            label = bilingual(figure.headline.label).get(tr.locale)
            before, now = w.percent(figure.change.previous), w.percent(figure.change.current)
            lines.append(
                w.e(
                    tr.gettext("%(label)s: %(before)s in round %(round)d, %(now)s now")
                    % {
                        "label": label,
                        "before": before,
                        "round": figure.change.previous_round,
                        "now": now,
                    }
                )
            )
        lines.append(line)
    if not lines:
        return ["", w.e(tr.gettext("No key question has a headline share to follow."))]
    note = (
        tr.gettext(
            "A change is called clear only when its 95 %% interval leaves out zero; otherwise "
            "the difference may be chance."
        )
        % {}
    )
    return [*lines, "", w.e(note)]
