"""The Downloads page's conversations: each one's staff file (CSV files in a zip, or XLSX),
made by `bot.services.conversations.export` and audit-logged there."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.dashboard.common import checked_staff, dashboard_of
from bot.i18n import Translator
from bot.numbers import parse_int
from bot.services.conversations.export import FORMATS
from bot.services.conversations.types import ConversationError

log = logging.getLogger(__name__)


async def listed(tr: Translator, request: web.Request) -> list[dict[str, Any]]:
    """The conversations, newest first, as the page lists them (no figures: a count of
    voters under k would be one)."""
    service = dashboard_of(request).conversations
    if service is None:
        return []
    return [
        {"id": view.id, "question": view.question.get(tr.locale)} for view in await service.states()
    ]


async def download(request: web.Request) -> web.StreamResponse:
    dashboard = dashboard_of(request)
    who, refused = await checked_staff(request)
    if refused is not None:
        return refused
    assert who is not None
    number = parse_int(request.match_info["id"], 1)
    fmt = request.match_info["fmt"]
    if dashboard.conversations is None or number is None or fmt not in FORMATS:
        raise web.HTTPNotFound()
    try:
        found = await dashboard.conversations.export(
            number, fmt, route="dashboard", who=who.token_name, actor=who.actor
        )
    except ConversationError:
        raise web.HTTPNotFound() from None
    log.info(
        "dashboard download of conversation %s as %s (%s %s)",
        number,
        fmt,
        who.session.kind.value,
        who.session.subject,
    )
    return web.Response(
        body=found.body,
        headers={
            "Content-Type": found.content_type,
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "no-store",
        },
    )
