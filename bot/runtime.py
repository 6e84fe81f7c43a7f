"""The bot's lifecycle: start and stop in polling or webhook mode, and answer webhook calls."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Update

from bot.app import build_application
from bot.config import ConfigError, Settings
from bot.context import Services
from bot.dashboard.web import Dashboard, DashboardConfig
from bot.ratelimit import RetryingRateLimiter
from bot.web import WebhookRoute, WebServer, build_web_app
from handlers import ALLOWED_UPDATES
from handlers.menu import set_command_menus
from storage import schema

log = logging.getLogger(__name__)

# How long a webhook request waits for its update to be handled before answering anyway.
WEBHOOK_ANSWER_SECONDS = 50.0
# Telegram repeats an update it got no answer for; remember this many handled ones.
RECENT_UPDATES = 10_000
# Once the bot has started (and its first poll is out), what it has built so far lives as long
# as the process: the modules, the mappers, the compiled statements.
SETTLE_SECONDS = 2.0


# The garbage collector's thresholds once the bot runs (Python's are 700, 10, 10). An update
# allocates thousands of objects (Telegram's, SQLAlchemy's rows and states, coroutines) that
# nearly all die with it; at 700 a young-generation collection ran several times per update.
# In the update benchmark these cut the bot's CPU per update by 6% for 1 MB more RSS.
GC_THRESHOLDS = (20_000, 20, 20)


def freeze_startup_objects() -> None:
    """Take what start-up built out of the garbage collector's sight (gc.freeze), collected
    once first so no garbage is kept: a full collection then walks only what was made since,
    and its pauses, which every resident waiting for a reply sits through, get shorter. Then
    collect less often (GC_THRESHOLDS). Process-wide, so only for a bot that owns its process
    (`magnet-bot run`), never for the bots the tests run side by side in one."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    log.debug(
        "%d objects built at start-up are kept out of garbage collection", gc.get_freeze_count()
    )


class BotRuntime:
    """Start and stop the bot in long-polling mode inside an already running event loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_update_done: Callable[[int], None] | None = None,
        webhook: bool = False,
    ):
        if webhook and (
            not settings.webhook_url
            or settings.webhook_secret is None
            or settings.http_port is None
        ):
            raise ConfigError(
                "webhook mode needs MAGNET_WEBHOOK_URL, MAGNET_WEBHOOK_SECRET and MAGNET_HTTP_PORT"
            )
        settings.survey_key()  # refuse to start rather than keep the key in the database
        self.webhook = webhook
        self.settings = settings
        self._on_update_done = on_update_done
        self._handled: dict[int, asyncio.Future[None]] = {}
        self._recent: OrderedDict[int, None] = OrderedDict()  # handled update ids, newest last
        self.application = build_application(settings, on_update_done=self._update_done)
        self._started = False
        self.web: WebServer | None = None

    @property
    def services(self) -> Services:
        services = self.application.bot_data.services
        assert services is not None
        return services

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        try:
            assert app.post_init is not None
            await app.post_init(app)
            assert app.updater is not None
            # The menus are round trips of their own: sent beside the first poll, not before.
            menus = asyncio.ensure_future(
                set_command_menus(app.bot, self.services.i18n, self.settings.admin_ids)
            )
            try:
                if not self.webhook:
                    await app.updater.start_polling(
                        timeout=int(self.settings.poll_timeout), allowed_updates=ALLOWED_UPDATES
                    )
            except BaseException:
                menus.cancel()
                raise
            await menus
            await self._join_others()
            await app.start()
            self.services.delivery_engine.start()
            assert self.services.scheduler is not None
            self.services.scheduler.start()
            if self.settings.http_port is not None:
                services = self.services
                self.web = WebServer(
                    build_web_app(
                        services.exports,
                        services.tokens,
                        frozenset(services.surveys.shipped),
                        metrics=app.bot_data.metrics,
                        ready=lambda: schema.is_current(services.engine),
                        webhook=self._webhook_route() if self.webhook else None,
                        dashboard=self._dashboard(),
                        network=services.network,
                    ),
                    self.settings.http_host,
                    self.settings.http_port,
                )
                await self.web.start()
            if self.webhook:
                await self._set_webhook()
        except BaseException:
            await self._stop_workers()
            await self._shutdown()
            raise
        self._started = True
        log.info("magnet-bot is running as @%s", app.bot.username)
        await self._report_profile()

    async def _report_profile(self) -> None:
        """Say when the database's hubs differ from the profile; applying them stays an
        explicit, audit-logged `magnet-bot profile apply`, never a side effect of a start."""
        from bot.services.hubs import report_differences

        line = report_differences(await self.services.hubs.differences(self.settings.town()))
        if line is not None:
            log.warning("%s", line)

    def _dashboard(self) -> Dashboard:
        settings, services = self.settings, self.services
        return Dashboard(
            DashboardConfig(
                bot_token=settings.token(),
                k=settings.min_group_size,
                max_age_seconds=settings.webapp_auth_max_age,
                session_seconds=settings.dashboard_session_hours * 3600,
                secure=(settings.public_url or "").startswith("https://"),
            ),
            services.sessions,
            services.i18n,
            services.residents,
            services.tokens,
            services.exports,
            services.surveys.shipped,
            services.digests.views,
            services.network,
            services.conversations,
        )

    async def _join_others(self) -> None:
        """A replica that finds others already sending holds its own sends for one and a half
        beats: by then each of them has seen it and taken its smaller share."""
        engine = self.services.delivery_engine
        limiter = self.application.bot.rate_limiter
        if await engine.register() > 1 and isinstance(limiter, RetryingRateLimiter):
            limiter.hold(1.5 * engine.config.beat_seconds)
            log.info("other replicas are sending: this one waits for them to make room")

    def _update_done(self, update_id: int) -> None:
        waiter = self._handled.pop(update_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self._recent[update_id] = None
        if len(self._recent) > RECENT_UPDATES:
            self._recent.popitem(last=False)
        if self._on_update_done is not None:
            self._on_update_done(update_id)

    async def _accept(self, data: dict[str, Any]) -> None:
        """Answer Telegram only once the update is handled. Telegram sends a chat's next
        update only after the previous one was answered, so a resident's updates stay in
        order even when a load balancer spreads them over several replicas; and an update
        whose replica dies before answering is delivered again, to another one.

        An update that cannot be read is answered too (and logged): refusing it would make
        Telegram send it again and again. One that is in hand or was just handled (Telegram
        repeats an update it got no answer for) is not handled twice."""
        app = self.application
        update_id = data.get("update_id")
        try:
            update = Update.de_json(data, app.bot)
        except Exception as exc:
            log.warning("webhook update %s could not be read and is dropped: %s", update_id, exc)
            return
        if update.update_id in self._recent:
            log.info("webhook update %s was handled already", update.update_id)
            return
        waiter = self._handled.get(update.update_id)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._handled[update.update_id] = waiter
            await app.update_queue.put(update)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), WEBHOOK_ANSWER_SECONDS)
        except TimeoutError:
            # Still running: say "received" anyway, or Telegram would send it again.
            log.warning(
                "update %s still in hand after %s s", update.update_id, WEBHOOK_ANSWER_SECONDS
            )

    def _webhook_route(self) -> WebhookRoute:
        settings = self.settings
        assert settings.webhook_url and settings.webhook_secret is not None
        return WebhookRoute(
            path=urlsplit(settings.webhook_url).path or "/",
            secret=settings.webhook_secret.get_secret_value(),
            accept=self._accept,
        )

    async def _set_webhook(self) -> None:
        """Telegram pushes updates to our URL with our secret; other replicas set the same."""
        settings = self.settings
        assert settings.webhook_url and settings.webhook_secret is not None
        await self.application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            max_connections=settings.webhook_max_connections,
        )
        log.info("webhook set: updates arrive by HTTP")

    async def _stop_workers(self) -> None:
        """The web server, timed work and delivery stop first: they need the database."""
        if self.web is not None:
            await self.web.stop()
            self.web = None
        services = self.application.bot_data.services
        if services is not None and services.scheduler is not None:
            await services.scheduler.stop()
        if services is not None:
            await services.leadership.release()
        if services is not None and services.delivery is not None:
            await services.delivery.stop()

    async def stop(self) -> None:
        app = self.application
        await self._stop_workers()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await self._shutdown()

    async def _shutdown(self) -> None:
        app = self.application
        with contextlib.suppress(RuntimeError):
            await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def __aenter__(self) -> BotRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with self:
            settled = loop.call_later(SETTLE_SECONDS, freeze_startup_objects)
            await stop.wait()
            settled.cancel()
            log.info("stopping: finishing the updates in hand")
