"""Composition root: settings -> engine, services, Application; and the bot's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import os
import signal
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, ExtBot

from bot.config import ConfigError, Settings
from bot.context import BotData, MagnetContext, Services
from bot.delivery.engine import DeliveryConfig, DeliveryEngine
from bot.delivery.quiet import QuietHours
from bot.i18n import I18n
from bot.leader import Leadership
from bot.metrics import Metrics
from bot.processing import PerResidentProcessor
from bot.ratelimit import Limits, RetryingRateLimiter
from bot.scheduler import Scheduler
from bot.services.announcements.service import AnnouncementService
from bot.services.exports import ExportService
from bot.services.hubs import HubService
from bot.services.labs.compose import LabAdmin
from bot.services.labs.jobs import LabJobs
from bot.services.labs.records import LabRecords
from bot.services.labs.seats import LabConfig
from bot.services.labs.signup import LabService
from bot.services.privacy import PrivacyService
from bot.services.residents import ResidentService
from bot.services.roles import RoleService
from bot.services.surveys.definition import shipped
from bot.services.surveys.digests import DigestConfig, DigestService
from bot.services.surveys.service import Surveys
from bot.services.tokens import TokenService
from bot.web import WebhookRoute, WebServer, build_web_app
from handlers import ALLOWED_UPDATES, register
from handlers.menu import set_command_menus
from storage import migrate
from storage.db import create_engine, create_sessionmaker, on_outbox_commit

# Opt in to timedelta-valued durations now (RetryAfter.retry_after) rather than warnings.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

# How long a webhook request waits for its update to be handled before answering anyway.
WEBHOOK_ANSWER_SECONDS = 50.0
# Telegram repeats an update it got no answer for; remember this many handled ones.
RECENT_UPDATES = 10_000

MagnetApplication = Application[Any, MagnetContext, Any, Any, BotData, Any]


def file_url_for(api_url: str) -> str:
    """Telegram serves files under /file/bot<token>/ beside /bot<token>/."""
    base = api_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


async def open_services(settings: Settings) -> Services:
    engine = create_engine(settings.database_url)
    try:
        if settings.should_auto_migrate:
            await migrate.upgrade(engine)
        elif not await migrate.is_current(engine):
            raise ConfigError("the database schema is not current: run `magnet-bot migrate` first")
    except BaseException:
        await engine.dispose()
        raise
    sessions = create_sessionmaker(engine)
    i18n = I18n(settings.tz, settings.default_locale)
    residents = ResidentService(sessions, settings.admin_ids)
    quiet = QuietHours.parse(settings.quiet_hours, settings.tz)
    lab_config = LabConfig(
        offer_ttl=timedelta(hours=settings.offer_hours),
        feedback_report_after=timedelta(hours=settings.feedback_report_hours),
        coordinator_chat_id=settings.coordinator_chat_id,
        min_group_size=settings.min_group_size,
    )
    labs = LabService(sessions, i18n, lab_config)
    secret = settings.survey_secret.get_secret_value() if settings.survey_secret else None
    surveys = Surveys(sessions, shipped(), i18n, secret)
    await surveys.sync()
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        i18n=i18n,
        residents=residents,
        roles=RoleService(sessions),
        hubs=HubService(sessions),
        announcements=AnnouncementService(sessions, i18n, quiet),
        quiet=quiet,
        labs=labs,
        lab_records=LabRecords(sessions),
        lab_admin=LabAdmin(sessions, i18n, lab_config, settings.tz),
        lab_jobs=LabJobs(sessions, i18n, lab_config, timedelta(days=settings.lab_retention_days)),
        surveys=surveys,
        privacy=PrivacyService(sessions, residents, labs, surveys.responses),
        leadership=Leadership(engine),
        exports=ExportService(sessions),
        digests=DigestService(
            sessions,
            i18n,
            list(surveys.shipped),
            DigestConfig(
                chat_id=settings.coordinator_chat_id,
                locale=settings.default_locale,
                k=settings.min_group_size,
                tz=settings.tz,
                every=settings.digest_every,
                schedule=settings.digest_schedule,
            ),
        ),
        tokens=TokenService(sessions),
    )


def attach_delivery(services: Services, bot: ExtBot[None]) -> None:
    settings = services.settings
    services.delivery = DeliveryEngine(
        bot,
        services.sessions,
        services.quiet,
        DeliveryConfig(rate=settings.delivery_rate, lease_seconds=settings.delivery_lease_seconds),
    )
    on_outbox_commit(services.sessions, services.delivery.wake)
    limiter = bot.rate_limiter
    if isinstance(limiter, RetryingRateLimiter):
        # Replies too: each replica keeps to its share of Telegram's overall limit.
        services.delivery.on_share = limiter.share
    services.scheduler = Scheduler(
        bot,
        services.announcements,
        services.delivery,
        tick_seconds=settings.scheduler_seconds,
        jobs=[services.lab_jobs.tick, services.digests.tick],
        leader=services.leadership.check,
    )


async def ask_to_slow_down(application: MagnetApplication, update: Update) -> None:
    """Told once per flood, in the resident's language, when their queue is full."""
    services, chat, user = (
        application.bot_data.services,
        update.effective_chat,
        update.effective_user,
    )
    if services is None or chat is None or user is None or chat.type != "private":
        return
    resident = await services.residents.get(user.id)
    tr = services.i18n.resolve(resident.locale if resident else None, user.language_code)
    text = tr.gettext(
        "You are sending messages faster than I can answer them. I am answering the ones "
        "already sent; please wait a moment before sending more."
    )
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    await application.bot.send_message(chat.id, html.escape(text))


def build_application(
    settings: Settings, *, on_update_done: Callable[[int], None] | None = None
) -> MagnetApplication:
    async def post_init(application: MagnetApplication) -> None:
        services = await open_services(settings)
        application.bot_data.services = services
        metrics.services = services
        attach_delivery(services, application.bot)
        await set_command_menus(application.bot, services.i18n, settings.admin_ids)

    async def post_shutdown(application: MagnetApplication) -> None:
        services = application.bot_data.services
        if services is not None:
            await services.engine.dispose()
            application.bot_data.services = None

    metrics = Metrics()
    processor = PerResidentProcessor(
        64,
        on_done=on_update_done,
        observe=metrics.observe,
        max_queued_per_resident=settings.max_queued_per_resident,
    )
    application = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.bot_api_url)
        .base_file_url(file_url_for(settings.bot_api_url))
        .context_types(ContextTypes(context=MagnetContext, bot_data=BotData))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .concurrent_updates(processor)
        .rate_limiter(RetryingRateLimiter(Limits(private_count=settings.chat_burst)))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    processor.on_flood = functools.partial(ask_to_slow_down, application)
    register(application)
    application.bot_data.metrics = metrics
    return application  # type: ignore[return-value]


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
            if not self.webhook:
                await app.updater.start_polling(
                    timeout=int(self.settings.poll_timeout), allowed_updates=ALLOWED_UPDATES
                )
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
                        ready=lambda: migrate.is_current(services.engine),
                        webhook=self._webhook_route() if self.webhook else None,
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
            await stop.wait()
            log.info("stopping: finishing the updates in hand")
