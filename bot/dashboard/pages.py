"""What each dashboard page shows, as plain data in the reader's language: the templates
render it and the JSON routes send it as it is, so both carry the same (k-safe) figures."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dashboard.reports import Broadcast, LabGroup, LabsReport, Reach
from bot.dashboard.survey_source import FIELDS, Group, SurveyFigures
from bot.domain import N_, Choice, label_in
from bot.i18n import Translator, native_name
from bot.services.surveys import wording as w
from bot.services.surveys.definition import ProfileField, Survey, bilingual
from bot.services.surveys.views import (
    Breakdown,
    DecisionViews,
    Distribution,
    KeyFigure,
    Reasons,
)
from storage.repositories import dashboard as repo

PAGES = ("survey", "labs", "announcements", "downloads")
TITLES = {
    "survey": N_("Survey"),
    "labs": N_("Labs"),
    "announcements": N_("Announcements"),
    "downloads": N_("Downloads"),
}


def nav(tr: Translator, staff: bool) -> list[dict[str, str]]:
    return [
        {"name": name, "title": tr.gettext(TITLES[name])}
        for name in PAGES
        if staff or name != "downloads"
    ]


def _label(tr: Translator, choices: Any, code: str | None) -> str:
    if code is None:
        return tr.gettext("not given")
    return label_in(tr, choices, code) or code


def group_label(tr: Translator, group: Group) -> str:
    name = (
        tr.pgettext("dashboard filter", "Municipality")
        if group.field == ProfileField.MUNICIPALITY
        else tr.gettext("Age group")
    )
    return f"{name}: {w.group_name(tr, group.field, group.value)}"


def _put(target: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Only the figures the views let through: a hidden one (None) is left out, never sent."""
    target.update({name: value for name, value in values.items() if value is not None})
    return target


def _pct(value: float | None) -> int | None:
    return None if value is None else round(value)


def _safe(n: int | None, k: int) -> int | None:
    return n if n is not None and (n == 0 or n >= k) else None


def _plain(text: str) -> str:
    """A wording helper's text (escaped for Telegram's HTML) as plain text for the page."""
    return html.unescape(text)


def survey(
    tr: Translator, found: SurveyFigures, surveys: dict[str, Survey], k: int
) -> dict[str, Any]:
    """The survey page's context, with no hidden figure in it (the JSON route sends it as is)."""
    page: dict[str, Any] = {
        "k": k,
        "hidden_mark": w.HIDDEN,
        "rule": _plain(w.rule(tr, k)),
        "survey": found.code,
        "surveys": [
            {"code": c, "title": bilingual(s.title).get(tr.locale) or c} for c, s in surveys.items()
        ],
        "rounds": found.rounds,
        "group": found.group.key if found.group else "",
        "group_label": group_label(tr, found.group) if found.group else "",
        "too_small": found.too_small,
        "groups": [
            {
                "title": _field_title(tr, by),
                "groups": [
                    {"key": g.key, "label": w.group_name(tr, g.field, g.value)}
                    for g in found.groups
                    if g.field == by
                ],
            }
            for by in FIELDS
        ],
        "shown": False,
    }
    views = found.views
    if views is None:
        return page
    survey_def = views.survey
    page["shown"] = True
    page["round"] = views.round_number
    _put(page, completed=_safe(views.completed, k))
    if views.previous_round is not None:
        page["previous"] = _put(
            {"round": views.previous_round},
            completed=_safe(views.previous_completed, k),
        )
    page["roles_declared"] = views.roles_declared
    if not views.roles_declared:
        page["counts_only"] = _plain(w.counts_only(tr))
    page["not_shown"] = _plain(w.not_shown(tr))
    page["overview"] = [_key(tr, views, figure) for figure in views.key]
    page["breakdowns"] = [
        {
            "field": by.value,
            "title": _field_title(tr, by, heading=True),
            "tables": [_breakdown(tr, survey_def, b) for b in views.breakdowns(by)],
        }
        for by in FIELDS
        if not (found.group and found.group.field == by)
    ]
    page["places"] = [p for p in (_places(tr, f) for f in views.key) if p is not None]
    page["places_title"] = tr.town.text("places", tr.locale) or _field_title(
        tr, ProfileField.MUNICIPALITY, heading=True
    )
    page["push"] = [_reasons(tr, survey_def, r) for r in views.push]
    page["pull"] = [_reasons(tr, survey_def, r) for r in views.pull]
    page["funnel"] = _put(
        {"text": _plain(w.funnel_lines(tr, views)[-1])},
        suggested=views.funnel.suggested,
        signed_up=views.funnel.signed_up,
    )
    page["composition"] = {
        "weighted": views.population is not None,
        "note": _plain(w.weighting(tr, views)),
        "fields": [
            {
                "title": _field_title(tr, by),
                "rows": [
                    _put(
                        {"name": w.group_name(tr, by, row.group)},
                        respondents=row.respondents,
                        share=_pct(row.share),
                        population=_pct(row.population),
                    )
                    for row in views.composition
                    if row.field == by
                ],
            }
            for by in FIELDS
            if any(row.field == by for row in views.composition)
        ],
    }
    page["ideas"] = list(found.ideas)
    return page


def _field_title(tr: Translator, by: ProfileField, *, heading: bool = False) -> str:
    if by == ProfileField.MUNICIPALITY:
        if heading:
            return tr.pgettext("digest heading", "By municipality")
        return tr.pgettext("dashboard filter", "Municipality")
    return tr.gettext("By age group") if heading else tr.gettext("Age group")


def _rows(tr: Translator, survey: Survey, dist: Distribution) -> list[dict[str, Any]]:
    return [
        _put(
            {"code": code, "label": w.option_label(tr, survey, dist.question, code)},
            count=n,
            percent=_pct(dist.share(code)),
        )
        for code, n in dist.cells.items()
    ]


def _key(tr: Translator, views: DecisionViews, figure: KeyFigure) -> dict[str, Any]:
    survey_def, dist = views.survey, figure.overall
    shown = dist.total is not None and not dist.withheld
    item: dict[str, Any] = {
        "question": figure.question,
        "title": w.question_text(tr, survey_def, figure.question),
        "shown": shown,
    }
    if shown:
        item["total"] = dist.total
        item["rows"] = _rows(tr, survey_def, dist)
    headline = figure.headline
    if headline is not None:
        label = bilingual(headline.label).get(tr.locale) or tr.gettext("headline")
        item["headline"] = _put({"label": label}, percent=_pct(headline.share))
    change = figure.change
    if change is not None:
        text = w.change_line(tr, change)
        item["change"] = _put(
            {"round": change.previous_round, "text": _plain(text or ""), "clear": change.clear},
            previous=_pct(change.previous),
            current=_pct(change.current),
            difference=_pct(change.difference),
            low=_pct(change.low),
            high=_pct(change.high),
        )
    if figure.weighted is not None:
        share = figure.weighted.share
        item["weighted"] = {
            "percent": round(share),
            "text": tr.gettext("weighted %(share)s") % {"share": w.percent(share)},
        }
    return item


def _breakdown(tr: Translator, survey_def: Survey, b: Breakdown) -> dict[str, Any]:
    table: dict[str, Any] = {
        "question": b.question,
        "title": w.question_text(tr, survey_def, b.question),
        "withheld": b.withheld,
        "notes": [],
    }
    if b.withheld:
        return table
    table["columns"] = [
        _put({"name": w.column_name(tr, b.field, c)}, total=c.total) for c in b.columns
    ]
    table["rows"] = [
        {
            "code": row,
            "label": w.option_label(tr, survey_def, b.question, row),
            "cells": [_put({}, percent=_pct(c.share(row))) for c in b.columns],
        }
        for row in b.rows
    ]
    if b.merged_answers:
        table["notes"].append(
            tr.gettext("Answers are merged into the headline and the rest to keep groups safe.")
        )
    if b.merged_groups:
        table["notes"].append(
            tr.gettext(
                "Small groups, and groups where nearly everyone answered alike, are merged with a neighbour."
            )
        )
    return table


def _places(tr: Translator, figure: KeyFigure) -> dict[str, Any] | None:
    """The headline share in the town's municipality groups side by side (the municipality
    breakdown's columns), when the views show it."""
    headline = figure.headline
    places = [b for b in figure.breakdowns if b.field == ProfileField.MUNICIPALITY]
    if headline is None or not places or places[0].withheld:
        return None
    label = bilingual(headline.label).get(tr.locale) or tr.gettext("headline")
    return {
        "question": figure.question,
        "label": label,
        "columns": [
            _put(
                {"name": w.column_name(tr, ProfileField.MUNICIPALITY, c)},
                total=c.total,
                percent=_pct(w.headline_share(places[0], c, headline.options)),
            )
            for c in places[0].columns
        ],
    }


def _reasons(tr: Translator, survey_def: Survey, r: Reasons) -> dict[str, Any]:
    shown = r.people is not None and bool(r.top)
    item: dict[str, Any] = {
        "question": r.question,
        "title": w.question_text(tr, survey_def, r.question),
        "kind": r.role.value,
        "shown": shown,
    }
    if shown:
        assert r.people is not None
        item["people"] = r.people
        item["rows"] = [
            _put(
                {"code": code, "label": w.option_label(tr, survey_def, r.question, code)},
                count=n,
                percent=None if n is None else round(100 * n / r.people),
            )
            for code, n in r.top
        ]
    return item


def _bi(tr: Translator, value: Any) -> str | None:
    return value.get(tr.locale) if value is not None else None


def _topic(tr: Translator, code: str | None) -> str | None:
    return _label(tr, tr.town.topics, code) if code else None


def labs(tr: Translator, report: LabsReport) -> dict[str, Any]:
    def group(g: LabGroup, choices: tuple[Choice, ...] | None) -> dict[str, Any]:
        name = _bi(tr, g.name) if choices is None else _topic(tr, g.key or None)
        return {
            "name": name or tr.gettext("not given"),
            "labs": g.labs,
            "confirmed": g.confirmed,
            "checked_in": g.checked_in,
            "attendance": g.attendance,
        }

    return {
        "k": report.k,
        "scale": report.scale,
        "upcoming": [
            {
                "id": lab.id,
                "title": _bi(tr, lab.title),
                "when": tr.when(lab.starts_at),
                "hub": _bi(tr, lab.hub),
                "topic": _topic(tr, lab.topic),
                "capacity": lab.capacity,
                "booked": lab.booked,
                "fill": (
                    round(100 * lab.booked / lab.capacity)
                    if lab.booked is not None and lab.capacity
                    else None
                ),
                "waitlist": lab.waitlist,
                "offers": lab.offers,
            }
            for lab in report.upcoming
        ],
        "past": [
            {
                "id": lab.id,
                "title": _bi(tr, lab.title),
                "when": tr.date(lab.starts_at),
                "hub": _bi(tr, lab.hub),
                "topic": _topic(tr, lab.topic),
                "confirmed": lab.confirmed,
                "checked_in": lab.checked_in,
                "no_shows": lab.no_shows,
                "attendance": lab.attendance,
                "useful": tr.decimal(lab.useful) if lab.useful is not None else None,
                "answers": lab.answers,
            }
            for lab in report.past
        ],
        "by_hub": [group(g, None) for g in report.by_hub],
        "by_topic": [group(g, tuple(tr.town.topics)) for g in report.by_topic],
    }


def audience_label(tr: Translator, kind: str, values: list[str]) -> str:
    """Who a broadcast went to, worded as the bot's own delivery reports word it."""
    if kind == "municipality":
        names = [_label(tr, tr.town.municipalities, v) for v in values]
        return tr.gettext("municipality: %(values)s") % {"values": ", ".join(names)}
    if kind == "topic":
        names = [_label(tr, tr.town.topics, v) for v in values]
        return tr.gettext("topics: %(values)s") % {"values": ", ".join(names)}
    if kind == "lab":
        return tr.gettext("participants of labs %(values)s") % {
            "values": ", ".join(f"#{v}" for v in values)
        }
    if kind == "language":
        names = [native_name(v) for v in values]
        return tr.gettext("language: %(values)s") % {"values": ", ".join(names)}
    return tr.gettext("everyone")


def _reach(reach: Reach) -> dict[str, int | None]:
    return {
        "delivered": reach.delivered,
        "blocked": reach.blocked,
        "failed": reach.failed,
        "waiting": reach.waiting,
    }


_ORDER = {"sl": 0, "en": 1}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def announcements(tr: Translator, found: list[Broadcast], k: int) -> dict[str, Any]:
    languages = {code: native_name(code) for code in tr.town.languages}
    return {
        "k": k,
        "broadcasts": [
            {
                "id": b.id,
                "when": tr.when(b.started_at),
                "text": b.text.get(tr.locale),
                "audience": _capital(audience_label(tr, b.audience, b.audience_values)),
                "recipients": b.recipients,
                "reach": _reach(b.reach),
                "by_language": [
                    {
                        "code": loc.upper() or "–",
                        "language": languages.get(loc, tr.gettext("not given")),
                        **_reach(r),
                    }
                    for loc, r in sorted(b.by_language.items(), key=lambda i: _ORDER.get(i[0], 9))
                ],
            }
            for b in found
        ],
    }


async def download_rounds(
    sessions: async_sessionmaker[AsyncSession], surveys: dict[str, Survey]
) -> list[tuple[str, Survey, list[int]]]:
    async with sessions() as session:
        return [(code, s, await repo.list_rounds(session, code)) for code, s in surveys.items()]


def downloads(tr: Translator, rounds: list[tuple[str, Survey, list[int]]]) -> dict[str, Any]:
    return {
        "surveys": [
            {
                "code": code,
                "title": bilingual(s.title).get(tr.locale) or code,
                "rounds": numbers,
            }
            for code, s, numbers in rounds
        ]
    }
