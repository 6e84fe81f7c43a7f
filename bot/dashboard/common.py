"""What the dashboard's routes share: its dependencies, who is signed in, rendering a page
in the reader's language, the session cookie and the checks on state-changing requests."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dashboard import auth
from bot.domain import Role
from bot.i18n import I18n, Translator, native_name
from bot.services.conversations.service import ConversationService
from bot.services.exports import ExportService
from bot.services.network.service import NetworkService
from bot.services.residents import ResidentService
from bot.services.surveys.definition import Survey
from bot.services.surveys.views import DecisionViewService
from bot.services.tokens import TokenService

if TYPE_CHECKING:
    import jinja2

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
    views: DecisionViewService  # the digest's own: one population table, one service
    network: NetworkService | None = None  # the peer towns, when this one has any
    conversations: ConversationService | None = None  # for the Downloads page's files

    def __post_init__(self) -> None:
        self.key = auth.session_key(self.config.bot_token)

    @functools.cached_property
    def templates(self) -> jinja2.Environment:
        """Made at the first page, not at start: the bot is polling before anyone opens one."""
        import jinja2

        return jinja2.Environment(
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


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def dashboard_of(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def render(
    request: web.Request, template: str, tr: Translator, status: int = 200, **values: Any
) -> web.Response:
    page = dashboard_of(request).templates.get_template(template)
    body = page.render(
        gettext=tr.gettext,
        ngettext=tr.ngettext,
        pgettext=tr.pgettext,
        lang=tr.locale,
        # The switch offers each other language the town offers, named in itself (as /language).
        languages=[(code, native_name(code)) for code in tr.town.languages if code != tr.locale],
        prefix=PREFIX,
        **values,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def same_origin(request: web.Request) -> bool:
    """A browser says where a POST comes from; one from another site is refused."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def set_cookie(request: web.Request, response: web.StreamResponse, session: auth.Session) -> None:
    dashboard = dashboard_of(request)
    response.set_cookie(
        COOKIE,
        auth.seal(session, dashboard.key),
        max_age=int(dashboard.config.session_seconds),
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=dashboard.config.secure,
    )


def visitor_tr(request: web.Request) -> Translator:
    """Before sign-in: the browser's language, if the town offers it (else as the bot resolves)."""
    wanted = request.headers.get("Accept-Language", "").split(",")[0].strip() or None
    i18n = dashboard_of(request).i18n
    return i18n.resolve(None, wanted)


async def viewer(request: web.Request) -> Viewer | None:
    """Who the session cookie is for, with their roles as they are now (a role taken away,
    or a token revoked, ends the session at the next page)."""
    dashboard = dashboard_of(request)
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


async def checked(request: web.Request) -> tuple[Viewer | None, web.Response | None]:
    """A state-changing request: a session, the same site, and the session's CSRF token."""
    who = await viewer(request)
    tr = tr_for(request, who)
    if who is None:
        return None, render(request, "error.html", tr, 401, message=signed_out(tr))
    form = await request.post()
    given = request.headers.get("X-CSRF-Token") or str(form.get("csrf", ""))
    if not same_origin(request) or not auth.same_token(given, who.session.csrf):
        log.warning("dashboard request without a valid CSRF token refused")
        return None, render(
            request, "error.html", tr, 403, message=tr.gettext("This request was refused.")
        )
    return who, None


async def checked_staff(request: web.Request) -> tuple[Viewer | None, web.Response | None]:
    """A download: a state-changing request (see `checked`) by staff."""
    who, refused = await checked(request)
    if refused is not None or who is None:
        return None, refused
    if not who.staff:
        tr = tr_for(request, who)
        message = tr.gettext("Downloads are for staff only.")
        return None, render(request, "error.html", tr, 403, message=message)
    return who, None


def tr_for(request: web.Request, who: Viewer | None) -> Translator:
    if who is None:
        return visitor_tr(request)
    return dashboard_of(request).i18n.get(who.session.locale)


def signed_out(tr: Translator) -> str:
    return tr.gettext("You are not signed in (or the session has ended). Please sign in again.")
