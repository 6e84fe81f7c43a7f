"""What each dashboard page shows, as plain data in the reader's language: the templates
render it and the JSON routes send it as it is, so both carry the same (k-safe) figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dashboard.reports import Broadcast, LabGroup, LabsReport, Reach
from bot.dashboard.survey_source import FIELDS, UNKNOWN, Group, SurveyFigures
from bot.domain import AGE_BANDS, LANGUAGES, MUNICIPALITIES, N_, TOPICS, Choice, label_of
from bot.i18n import Translator
from bot.services.surveys.definition import Survey, bilingual
from bot.services.surveys.figures import Distribution
from bot.services.surveys.notices import option_label, question_text
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
    if code == UNKNOWN or code is None:
        return tr.gettext("not given")
    label = label_of(choices, code)
    return tr.gettext(label) if label else code


def group_label(tr: Translator, group: Group) -> str:
    name = (
        tr.pgettext("dashboard filter", "Municipality")
        if group.field == "municipality"
        else tr.gettext("Age group")
    )
    return f"{name}: {_label(tr, FIELDS[group.field], group.value)}"


def _rows(dist: Distribution, label: Any) -> dict[str, Any]:
    """A distribution's lines: a shown count with its share of the shown total, or hidden."""
    rows = []
    for code, n in dist.cells.items():
        share = round(100 * n / dist.total) if n is not None and dist.total else None
        rows.append({"code": code, "label": label(code), "count": n, "percent": share})
    return {"total": dist.total, "rows": rows}


def survey(
    tr: Translator, found: SurveyFigures, surveys: dict[str, Survey], k: int
) -> dict[str, Any]:
    definition = surveys[found.code]
    page: dict[str, Any] = {
        "k": k,
        "survey": found.code,
        "surveys": [
            {"code": c, "title": bilingual(s.title).get(tr.locale) or c} for c, s in surveys.items()
        ],
        "rounds": found.rounds,
        "round": found.data.round_number if found.data else None,
        "group": found.group.key if found.group else "",
        "group_label": group_label(tr, found.group) if found.group else None,
        "group_hidden": found.group_hidden,
        "groups": [{"key": g.key, "label": group_label(tr, g)} for g in found.groups],
        "sections": [],
    }
    data = found.data
    if data is None:
        return page
    page["completed"] = data.completed if data.completed >= k else None
    page["partial"] = data.partial if found.group is None else None
    sections = page["sections"]
    survey_def = data.survey or definition
    for dist in data.key:
        sections.append(
            {
                "title": question_text(tr, survey_def, dist.question),
                "kind": "share",
                **_rows(dist, lambda c, q=dist.question: option_label(tr, survey_def, q, c)),
            }
        )
    for title, dist in (
        (tr.gettext("Top reasons to stay"), data.stay),
        (tr.gettext("Top reasons to leave"), data.leave),
    ):
        if dist is not None:
            sections.append(
                {
                    "title": title,
                    "kind": "people",
                    **_rows(dist, lambda c, q=dist.question: option_label(tr, survey_def, q, c)),
                }
            )
    for title, dist, choices in (
        (tr.pgettext("digest heading", "By municipality"), data.municipality, MUNICIPALITIES),
        (tr.gettext("By age group"), data.age_band, AGE_BANDS),
    ):
        if dist is not None and not (found.group and dist.question == found.group.field):
            sections.append(
                {
                    "title": title,
                    "kind": "share",
                    **_rows(dist, lambda c, ch=choices: _label(tr, ch, c)),
                }
            )
    page["ideas"] = list(data.ideas) if found.group is None else []
    return page


def _bi(tr: Translator, value: Any) -> str | None:
    return value.get(tr.locale) if value is not None else None


def _topic(tr: Translator, code: str | None) -> str | None:
    return _label(tr, TOPICS, code) if code else None


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
        "by_topic": [group(g, tuple(TOPICS)) for g in report.by_topic],
    }


def audience_label(tr: Translator, kind: str, values: list[str]) -> str:
    """Who a broadcast went to, worded as the bot's own delivery reports word it."""
    if kind == "municipality":
        names = [_label(tr, MUNICIPALITIES, v) for v in values]
        return tr.gettext("municipality: %(values)s") % {"values": ", ".join(names)}
    if kind == "topic":
        names = [_label(tr, TOPICS, v) for v in values]
        return tr.gettext("topics: %(values)s") % {"values": ", ".join(names)}
    if kind == "lab":
        return tr.gettext("participants of labs %(values)s") % {
            "values": ", ".join(f"#{v}" for v in values)
        }
    if kind == "language":
        names = [label_of(LANGUAGES, v) or v for v in values]
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
    languages = {c.code: c.label for c in LANGUAGES}
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
