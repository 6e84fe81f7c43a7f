"""The dashboard's routes on the bot's aiohttp server: sign-in (bot.dashboard.signin), the
survey, labs, announcements and downloads pages (HTML, and the same figures as JSON), a strict
Content-Security-Policy, and CSRF checks on everything that changes state."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from bot.dashboard import conversation_downloads, pages, signin
from bot.dashboard.common import (
    CSP,
    DASHBOARD,
    HERE,
    PREFIX,
    Dashboard,
    DashboardConfig,
    Viewer,
    checked_staff,
    dashboard_of,
    redirect,
    render,
    signed_out,
    tr_for,
    viewer,
)
from bot.dashboard.network import section as network_section
from bot.dashboard.reports import broadcasts, labs_report
from bot.dashboard.survey_source import Group, SurveyFigures, survey_figures
from bot.i18n import Translator
from bot.numbers import parse_int
from bot.services.exports import ExportError
from bot.services.network.service import NetworkService

__all__ = ["Dashboard", "DashboardConfig", "add_dashboard"]

log = logging.getLogger(__name__)

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "{name}.csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "{name}.xlsx"),
    "codebook": ("text/csv; charset=utf-8", "{name}-codebook.csv"),
}


def add_dashboard(app: web.Application, dashboard: Dashboard) -> None:
    app[DASHBOARD] = dashboard
    app.on_response_prepare.append(security_headers)
    r = app.router
    r.add_get(PREFIX, signin.to_entry)
    r.add_get(PREFIX + "/", signin.entry)
    r.add_post(PREFIX + "/session", signin.telegram_sign_in)
    r.add_get(PREFIX + "/login", signin.token_form)
    r.add_post(PREFIX + "/login", signin.token_sign_in)
    r.add_post(PREFIX + "/logout", signin.sign_out)
    r.add_post(PREFIX + "/language", signin.switch_language)
    for name in ("survey", "labs", "announcements", "downloads"):
        r.add_get(f"{PREFIX}/{name}", _page(name, html=True))
        r.add_get(f"{PREFIX}/api/{name}", _page(name, html=False))
    # Before the surveys' pattern, which would take "conversation" for a survey's code.
    r.add_post(PREFIX + "/downloads/conversation/{id}/{fmt}", conversation_downloads.download)
    r.add_post(PREFIX + "/downloads/{code}/{number}/{fmt}", download)
    r.add_static(PREFIX + "/static", HERE / "static", append_version=False)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every dashboard answer, streamed ones too (hence a signal, not a middleware)."""
    if request.path.startswith(PREFIX):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")


def _page(name: str, *, html: bool) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        dashboard = dashboard_of(request)
        who = await viewer(request)
        tr = tr_for(request, who)
        if who is None:
            if html:
                return redirect(PREFIX + "/")
            return web.json_response({"error": signed_out(tr)}, status=401)
        if not who.roles or (name == "downloads" and not who.staff):
            message = (
                tr.gettext("Downloads are for staff only.")
                if who.roles
                else tr.gettext("The dashboard is for coordinators and staff only.")
            )
            if html:
                return render(request, "error.html", tr, 403, message=message)
            return web.json_response({"error": message}, status=403)
        model = await _model(name, request, dashboard, tr, who)
        if not html:
            return web.Response(
                text=json.dumps(model["data"], ensure_ascii=False, default=str),
                content_type="application/json",
            )
        return render(
            request,
            f"{name}.html",
            tr,
            page=name,
            pages=pages.nav(tr, who.staff),
            csrf=who.session.csrf,
            **model,
        )

    return handle


async def _model(
    name: str, request: web.Request, dashboard: Dashboard, tr: Translator, who: Viewer
) -> dict[str, Any]:
    k = dashboard.config.k
    if name == "survey":
        code = request.query.get("survey")
        code = code if code in dashboard.surveys else next(iter(dashboard.surveys))
        raw_round = request.query.get("round")
        number = parse_int(raw_round, 1) if raw_round else None
        group = Group.parse(request.query.get("group"), dashboard.views.groups)
        found = await survey_figures(dashboard.views, dashboard.sessions, code, number, group)
        data = pages.survey(tr, found, dashboard.surveys, k)
        if group is None and dashboard.network is not None:
            beside = await _beside_network(tr, dashboard.network, found)
            if beside is not None:
                data["network"] = beside
        return {"data": data}
    if name == "labs":
        return {"data": pages.labs(tr, await labs_report(dashboard.sessions, k))}
    if name == "announcements":
        found = await broadcasts(
            dashboard.sessions, k, dashboard.i18n.default_locale, dashboard.i18n.languages
        )
        return {"data": pages.announcements(tr, found, k)}
    rounds = await pages.download_rounds(dashboard.sessions, dashboard.surveys)
    data = pages.downloads(tr, rounds)
    data["conversations"] = await conversation_downloads.listed(tr, request)
    return {"data": data}


async def _beside_network(
    tr: Translator, network: NetworkService, found: SurveyFigures
) -> dict[str, Any] | None:
    """Beside the peers, for the latest round only: that is the one every town publishes."""
    views = found.views
    if not network.peers or views is None or views.round_number != found.rounds[0]:
        return None
    rows = await network.comparisons([views])
    return network_section(tr, views.survey, rows, await network.statuses())


async def download(request: web.Request) -> web.StreamResponse:
    dashboard = dashboard_of(request)
    who, refused = await checked_staff(request)
    if refused is not None:
        return refused
    assert who is not None
    code, fmt = request.match_info["code"], request.match_info["fmt"]
    number = parse_int(request.match_info["number"], 1)
    if code not in dashboard.surveys or fmt not in DOWNLOADS or number is None:
        raise web.HTTPNotFound()
    try:
        plan = await dashboard.exports.plan(code, number)
    except ExportError:
        raise web.HTTPNotFound() from None
    content_type, pattern = DOWNLOADS[fmt]
    filename = pattern.format(name=f"{code}-round{plan.round_number}")
    # The workbook is made before the answer starts: a failure is then a 500, not a cut file.
    path = await dashboard.exports.xlsx_file(plan) if fmt == "xlsx" else None
    await dashboard.exports.record(plan, fmt, "dashboard", actor=who.actor, who=who.token_name)
    log.info(
        "dashboard download %s round %s as %s (%s %s)",
        code,
        plan.round_number,
        fmt,
        who.session.kind.value,
        who.session.subject,
    )
    response = web.StreamResponse(
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    if path is not None:
        try:
            await response.write(await asyncio.to_thread(path.read_bytes))
        finally:
            await asyncio.to_thread(path.unlink, True)
    elif fmt == "csv":  # streamed from the database in batches, as the HTTP export is
        async for chunk in dashboard.exports.csv_chunks(plan):
            await response.write(chunk)
    else:
        await response.write(dashboard.exports.codebook_csv(plan))
    await response.write_eof()
    return response
