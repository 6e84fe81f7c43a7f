"""The dashboard's routes on the bot's aiohttp server: sign-in (Telegram Mini App data or a
staff token), the survey, labs, announcements and downloads pages (HTML, and the same figures
as JSON), a strict Content-Security-Policy and CSRF checks on everything that changes state."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dashboard import auth, pages
from bot.dashboard.survey_source import Group, survey_figures
from bot.domain import Role
from bot.i18n import I18n, Translator, resolve_locale
from bot.numbers import parse_int
from bot.services.exports import ExportError, ExportService
from bot.services.residents import ResidentService
from bot.services.surveys.definition import Survey
from bot.services.tokens import TokenService

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "magnet_dashboard"
PREFIX = "/dashboard"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self' https://web.telegram.org"
)
DASHBOARD_ROLES = (Role.COORDINATOR, Role.STAFF, Role.ADMIN)
DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "{name}.csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "{name}.xlsx"),
    "codebook": ("text/csv; charset=utf-8", "{name}-codebook.csv"),
}


@dataclass
class DashboardConfig:
    bot_token: str
    k: int
    max_age_seconds: float
    session_seconds: float
    secure: bool  # the public address is https: the cookie says Secure


@dataclass
class Dashboard:
    config: DashboardConfig
    sessions: async_sessionmaker[AsyncSession]
    i18n: I18n
    residents: ResidentService
    tokens: TokenService
    exports: ExportService
    surveys: dict[str, Survey]

    def __post_init__(self) -> None:
        self.key = auth.session_key(self.config.bot_token)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )


DASHBOARD = web.AppKey("dashboard", Dashboard)


@dataclass(frozen=True)
class Viewer:
    session: auth.Session
    roles: frozenset[Role]
    actor: int | None  # Telegram id for the audit log (never logged); None for a token
    token_name: str | None

    @property
    def staff(self) -> bool:
        return bool({Role.STAFF, Role.ADMIN} & self.roles)


def add_dashboard(app: web.Application, dashboard: Dashboard) -> None:
    app[DASHBOARD] = dashboard
    app.on_response_prepare.append(security_headers)
    r = app.router
    r.add_get(PREFIX, to_entry)
    r.add_get(PREFIX + "/", entry)
    r.add_post(PREFIX + "/session", telegram_sign_in)
    r.add_get(PREFIX + "/login", token_form)
    r.add_post(PREFIX + "/login", token_sign_in)
    r.add_post(PREFIX + "/logout", sign_out)
    r.add_post(PREFIX + "/language", switch_language)
    for name in ("survey", "labs", "announcements", "downloads"):
        r.add_get(f"{PREFIX}/{name}", _page(name, html=True))
        r.add_get(f"{PREFIX}/api/{name}", _page(name, html=False))
    r.add_post(PREFIX + "/downloads/{code}/{number}/{fmt}", download)
    r.add_static(PREFIX + "/static", HERE / "static", append_version=False)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every dashboard answer, streamed ones too (hence a signal, not a middleware)."""
    if request.path.startswith(PREFIX):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def _render(
    request: web.Request, template: str, tr: Translator, status: int = 200, **values: Any
) -> web.Response:
    page = _dashboard(request).templates.get_template(template)
    body = page.render(
        gettext=tr.gettext,
        ngettext=tr.ngettext,
        pgettext=tr.pgettext,
        lang=tr.locale,
        prefix=PREFIX,
        **values,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _same_origin(request: web.Request) -> bool:
    """A browser says where a POST comes from; one from another site is refused."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def _set_cookie(request: web.Request, response: web.StreamResponse, session: auth.Session) -> None:
    dashboard = _dashboard(request)
    response.set_cookie(
        COOKIE,
        auth.seal(session, dashboard.key),
        max_age=int(dashboard.config.session_seconds),
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=dashboard.config.secure,
    )


def _visitor_tr(request: web.Request) -> Translator:
    """Before sign-in: the browser's language, Slovenian or English."""
    wanted = request.headers.get("Accept-Language", "").split(",")[0].strip() or None
    i18n = _dashboard(request).i18n
    return i18n.get(resolve_locale(None, wanted, i18n.default_locale))


async def viewer(request: web.Request) -> Viewer | None:
    """Who the session cookie is for, with their roles as they are now (a role taken away,
    or a token revoked, ends the session at the next page)."""
    dashboard = _dashboard(request)
    session = auth.unseal(request.cookies.get(COOKIE), dashboard.key)
    if session is None:
        return None
    if session.kind == auth.Kind.TOKEN:
        token = await dashboard.tokens.active(session.subject)
        if token is None:
            return None
        return Viewer(session, frozenset({Role.STAFF}), None, token.name)
    resident = await dashboard.residents.get_by_id(session.subject)
    if resident is None:
        return None
    roles = resident.roles & frozenset(DASHBOARD_ROLES)
    return Viewer(session, roles, resident.telegram_id, None)


async def to_entry(request: web.Request) -> web.StreamResponse:
    return _redirect(PREFIX + "/")


async def entry(request: web.Request) -> web.StreamResponse:
    """The Mini App's address: a page whose script signs in with Telegram's data."""
    who = await viewer(request)
    if who is not None and who.roles:
        return _redirect(PREFIX + "/survey")
    return _render(request, "signin.html", _visitor_tr(request))


async def telegram_sign_in(request: web.Request) -> web.Response:
    dashboard = _dashboard(request)
    tr = _visitor_tr(request)
    if not _same_origin(request):
        return web.json_response({"error": tr.gettext("This request was refused.")}, status=403)
    try:
        body = await request.json()
        init_data = str(body["init_data"]) if isinstance(body, dict) else ""
    except (ValueError, KeyError):
        init_data = ""
    try:
        user = auth.validate_init_data(
            init_data, dashboard.config.bot_token, max_age_seconds=dashboard.config.max_age_seconds
        )
    except auth.InitDataError as exc:
        log.warning("dashboard sign-in refused: %s", exc.problem.value)
        message = (
            tr.gettext("The sign-in has expired. Please open the dashboard again from the bot.")
            if exc.problem == auth.InitDataProblem.EXPIRED
            else tr.gettext("Telegram's sign-in data could not be checked.")
        )
        return web.json_response({"error": message}, status=401)
    resident = await dashboard.residents.get(user.telegram_id)
    tr = dashboard.i18n.resolve(resident.locale if resident else None, user.language_code)
    if resident is None or not (resident.roles & frozenset(DASHBOARD_ROLES)):
        log.warning("dashboard sign-in of resident %s without a role", resident and resident.id)
        message = tr.gettext("The dashboard is for coordinators and staff only.")
        return web.json_response({"error": message}, status=403)
    session = auth.new_session(
        auth.Kind.TELEGRAM, resident.id, tr.locale, dashboard.config.session_seconds
    )
    response = web.json_response({"next": PREFIX + "/survey"})
    _set_cookie(request, response, session)
    log.info("dashboard sign-in of resident %s", resident.id)
    return response


async def token_form(request: web.Request) -> web.Response:
    return _render(request, "login.html", _visitor_tr(request), error=None)


async def token_sign_in(request: web.Request) -> web.StreamResponse:
    dashboard = _dashboard(request)
    tr = _visitor_tr(request)
    if not _same_origin(request):
        return _render(
            request, "error.html", tr, 403, message=tr.gettext("This request was refused.")
        )
    form = await request.post()
    token = await dashboard.tokens.check(str(form.get("token", "")).strip())
    if token is None:
        log.warning("dashboard token sign-in refused")
        error = tr.gettext("That staff token is not valid (or was revoked).")
        return _render(request, "login.html", tr, 401, error=error)
    session = auth.new_session(
        auth.Kind.TOKEN, token.id, tr.locale, dashboard.config.session_seconds
    )
    response = _redirect(PREFIX + "/survey")
    _set_cookie(request, response, session)
    log.info("dashboard sign-in with staff token %s", token.id)
    return response


async def _checked(request: web.Request) -> tuple[Viewer | None, web.Response | None]:
    """A state-changing request: a session, the same site, and the session's CSRF token."""
    who = await viewer(request)
    tr = _tr(request, who)
    if who is None:
        return None, _render(request, "error.html", tr, 401, message=_signed_out(tr))
    form = await request.post()
    given = request.headers.get("X-CSRF-Token") or str(form.get("csrf", ""))
    if not _same_origin(request) or not auth.same_token(given, who.session.csrf):
        log.warning("dashboard request without a valid CSRF token refused")
        return None, _render(
            request, "error.html", tr, 403, message=tr.gettext("This request was refused.")
        )
    return who, None


async def sign_out(request: web.Request) -> web.StreamResponse:
    _, refused = await _checked(request)
    if refused is not None:
        return refused
    response = _redirect(PREFIX + "/login")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def switch_language(request: web.Request) -> web.StreamResponse:
    who, refused = await _checked(request)
    if refused is not None:
        return refused
    assert who is not None
    form = await request.post()
    locale = str(form.get("lang", ""))
    back = str(form.get("next", "survey"))
    page = back if back in pages.PAGES else "survey"
    response = _redirect(f"{PREFIX}/{page}")
    if locale in ("sl", "en"):
        _set_cookie(request, response, who.session.with_locale(locale))
    return response


def _tr(request: web.Request, who: Viewer | None) -> Translator:
    if who is None:
        return _visitor_tr(request)
    return _dashboard(request).i18n.get(who.session.locale)


def _signed_out(tr: Translator) -> str:
    return tr.gettext("You are not signed in (or the session has ended). Please sign in again.")


def _page(name: str, *, html: bool) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        dashboard = _dashboard(request)
        who = await viewer(request)
        tr = _tr(request, who)
        if who is None:
            if html:
                return _redirect(PREFIX + "/")
            return web.json_response({"error": _signed_out(tr)}, status=401)
        if not who.roles or (name == "downloads" and not who.staff):
            message = (
                tr.gettext("Downloads are for staff only.")
                if who.roles
                else tr.gettext("The dashboard is for coordinators and staff only.")
            )
            if html:
                return _render(request, "error.html", tr, 403, message=message)
            return web.json_response({"error": message}, status=403)
        model = await _model(name, request, dashboard, tr, who)
        if not html:
            return web.Response(
                text=json.dumps(model["data"], ensure_ascii=False, default=str),
                content_type="application/json",
            )
        return _render(
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
        group = Group.parse(request.query.get("group"))
        found = await survey_figures(dashboard.sessions, code, number, group, k)
        return {"data": pages.survey(tr, found, dashboard.surveys, k)}
    if name == "labs":
        from bot.dashboard.reports import labs_report

        return {"data": pages.labs(tr, await labs_report(dashboard.sessions, k))}
    if name == "announcements":
        from bot.dashboard.reports import broadcasts

        found = await broadcasts(dashboard.sessions, k, dashboard.i18n.default_locale)
        return {"data": pages.announcements(tr, found, k)}
    rounds = await pages.download_rounds(dashboard.sessions, dashboard.surveys)
    return {"data": pages.downloads(tr, rounds)}


async def download(request: web.Request) -> web.StreamResponse:
    dashboard = _dashboard(request)
    who, refused = await _checked(request)
    if refused is not None:
        return refused
    assert who is not None
    tr = _tr(request, who)
    if not who.staff:
        return _render(
            request, "error.html", tr, 403, message=tr.gettext("Downloads are for staff only.")
        )
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
