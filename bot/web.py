"""The bot's own HTTP server (aiohttp): survey exports for staff (authorised by a staff
token, streamed so memory stays flat), the dashboard (bot.dashboard), /healthz, /readyz and
Prometheus /metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.dashboard.web import Dashboard, add_dashboard
from bot.metrics import Metrics
from bot.numbers import parse_int
from bot.services.exports import FORMATS, ExportError, ExportService
from bot.services.network.service import NetworkService, feed_bytes
from bot.services.tokens import TokenService

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORTS = web.AppKey("exports", ExportService)
METRICS = web.AppKey("metrics", Metrics)
READY = web.AppKey("ready", object)
WEBHOOK = web.AppKey("webhook", object)
# Updates are small; anything bigger than this is not one (Telegram's own limit is far lower).
MAX_BODY = 1024 * 1024
TOKENS = web.AppKey("tokens", TokenService)
SURVEYS = web.AppKey("surveys", frozenset)
NETWORK = web.AppKey("network", NetworkService)


def build_web_app(
    exports: ExportService,
    tokens: TokenService,
    surveys: frozenset[str],
    *,
    metrics: Metrics | None = None,
    ready: Callable[[], Awaitable[bool]] | None = None,
    webhook: WebhookRoute | None = None,
    dashboard: Dashboard | None = None,
    network: NetworkService | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    if dashboard is not None:
        add_dashboard(app, dashboard)
    app[EXPORTS], app[TOKENS], app[SURVEYS] = exports, tokens, surveys
    app.router.add_get("/api/exports/ideas.zip", export_ideas)  # before the surveys' pattern
    app.router.add_get("/api/exports/{name}", export_survey)
    app.router.add_get("/healthz", healthz)
    if network is not None and network.publishing:
        app[NETWORK] = network
        app.router.add_get("/api/network/aggregates.json", network_feed)
    if ready is not None:
        app[READY] = ready
        app.router.add_get("/readyz", readyz)
    if metrics is not None:
        app[METRICS] = metrics
        app.router.add_get("/metrics", show_metrics)
    if webhook is not None:
        app[WEBHOOK] = webhook
        app.router.add_post(webhook.path, receive_update)
    return app


@dataclass(frozen=True)
class WebhookRoute:
    path: str
    secret: str
    accept: Callable[[dict[str, Any]], Awaitable[None]]


async def receive_update(request: web.Request) -> web.Response:
    """An update pushed by Telegram: only with our secret, only JSON, only small."""
    route = request.app[WEBHOOK]
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), route.secret.encode()):
        log.warning("webhook call without the right secret from %s", request.remote)
        return web.Response(status=403)
    if request.content_type != "application/json":
        return web.Response(status=415)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.Response(status=413)
    try:
        data = await request.json()
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413)
    except ValueError:
        return web.Response(status=400)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return web.Response(status=400)
    await route.accept(data)
    return web.Response(status=200)


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and serving."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers and its schema is current."""
    check = request.app[READY]
    try:
        current = await asyncio.wait_for(check(), 5)  # type: ignore[operator]
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("not ready: %s", exc.__class__.__name__)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    if not current:
        return web.json_response({"status": "unavailable", "database": "not migrated"}, status=503)
    return web.json_response({"status": "ready"})


async def network_feed(request: web.Request) -> web.Response:
    """This town's k-safe aggregates, signed, for the peer towns (public: counts only)."""
    feed = await request.app[NETWORK].feed()
    assert feed is not None, "the route exists only for a publishing town"
    return web.Response(
        body=feed_bytes(feed),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "public, max-age=60",
        },
    )


async def show_metrics(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    try:
        await metrics.refresh()
    except Exception:  # the figures kept in memory are still worth serving
        log.warning("metrics: could not read the database", exc_info=True)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def export_ideas(request: web.Request) -> web.Response:
    """Ideas and supports as a zip (pseudonymous; audit-logged like every export)."""
    who = await request.app[TOKENS].verify(_bearer(request))
    if who is None:
        log.warning("ideas export refused: missing, wrong or revoked token from %s", request.remote)
        return web.json_response({"error": "a valid staff token is required"}, status=401)
    body = await request.app[EXPORTS].ideas_zip("http", who=who)
    return web.Response(
        body=body,
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": 'attachment; filename="ideas.zip"',
            "Cache-Control": "no-store",
        },
    )


async def export_survey(request: web.Request) -> web.StreamResponse:
    who = await request.app[TOKENS].verify(_bearer(request))
    if who is None:
        log.warning("export refused: missing, wrong or revoked token from %s", request.remote)
        return web.json_response({"error": "a valid staff token is required"}, status=401)
    code, _, fmt = request.match_info["name"].rpartition(".")
    if fmt not in FORMATS or code not in request.app[SURVEYS]:
        return web.json_response({"error": "no such export"}, status=404)
    round_arg = request.query.get("round")
    number = parse_int(round_arg, 1) if round_arg is not None else None
    if round_arg is not None and number is None:
        return web.json_response({"error": "round must be a number"}, status=400)
    exports = request.app[EXPORTS]
    try:
        plan = await exports.plan(code, number)
    except ExportError:
        return web.json_response({"error": "no such round"}, status=404)
    # The workbook is made before the answer starts: a failure is then a 500, not a cut file.
    path = await exports.xlsx_file(plan) if fmt == "xlsx" else None
    await exports.record(plan, fmt, "http", actor=None, who=who)
    filename = f"{code}-round{plan.round_number}.{fmt}"
    response = web.StreamResponse(
        headers={
            "Content-Type": CONTENT_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    if path is not None:
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, 256 * 1024):
                await response.write(chunk)
        finally:
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(path.unlink, True)
    else:
        chunks = exports.csv_chunks(plan) if fmt == "csv" else exports.json_chunks(plan)
        async for chunk in chunks:
            await response.write(chunk)
    await response.write_eof()
    log.info("export %s round %s as %s for token %r", code, plan.round_number, fmt, who)
    return response


class WebServer:
    def __init__(self, app: web.Application, host: str, port: int):
        self.app, self.host, self.port = app, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; returns the port (useful when 0 asked the system to choose)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("staff HTTP server on %s:%s", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
