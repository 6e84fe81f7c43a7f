"""Signing in and out of the dashboard: Telegram's Mini App data or a staff token, then a
signed session cookie; and switching the dashboard's language."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.dashboard import auth, pages
from bot.dashboard.common import (
    COOKIE,
    DASHBOARD_ROLES,
    PREFIX,
    checked,
    dashboard_of,
    redirect,
    render,
    same_origin,
    set_cookie,
    viewer,
    visitor_tr,
)

log = logging.getLogger(__name__)


async def to_entry(request: web.Request) -> web.StreamResponse:
    return redirect(PREFIX + "/")


async def entry(request: web.Request) -> web.StreamResponse:
    """The Mini App's address: a page whose script signs in with Telegram's data."""
    who = await viewer(request)
    if who is not None and who.roles:
        return redirect(PREFIX + "/survey")
    return render(request, "signin.html", visitor_tr(request))


async def telegram_sign_in(request: web.Request) -> web.Response:
    dashboard = dashboard_of(request)
    tr = visitor_tr(request)
    if not same_origin(request):
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
    set_cookie(request, response, session)
    log.info("dashboard sign-in of resident %s", resident.id)
    return response


async def token_form(request: web.Request) -> web.Response:
    return render(request, "login.html", visitor_tr(request), error=None)


async def token_sign_in(request: web.Request) -> web.StreamResponse:
    dashboard = dashboard_of(request)
    tr = visitor_tr(request)
    if not same_origin(request):
        return render(
            request, "error.html", tr, 403, message=tr.gettext("This request was refused.")
        )
    form = await request.post()
    token = await dashboard.tokens.check(str(form.get("token", "")).strip())
    if token is None:
        log.warning("dashboard token sign-in refused")
        error = tr.gettext("That staff token is not valid (or was revoked).")
        return render(request, "login.html", tr, 401, error=error)
    session = auth.new_session(
        auth.Kind.TOKEN, token.id, tr.locale, dashboard.config.session_seconds
    )
    response = redirect(PREFIX + "/survey")
    set_cookie(request, response, session)
    log.info("dashboard sign-in with staff token %s", token.id)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    _, refused = await checked(request)
    if refused is not None:
        return refused
    response = redirect(PREFIX + "/login")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def switch_language(request: web.Request) -> web.StreamResponse:
    who, refused = await checked(request)
    if refused is not None:
        return refused
    assert who is not None
    form = await request.post()
    locale = str(form.get("lang", ""))
    back = str(form.get("next", "survey"))
    page = back if back in pages.PAGES else "survey"
    response = redirect(f"{PREFIX}/{page}")
    if locale in dashboard_of(request).i18n.languages:
        set_cookie(request, response, who.session.with_locale(locale))
    return response
