"""Composition root: settings -> engine, services, Application (the lifecycle is bot.runtime)."""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, ExtBot

from bot.budget import RedisBudget
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
from bot.services.conversations.service import ConversationConfig, ConversationService
from bot.services.exports import ExportService
from bot.services.hubs import HubService
from bot.services.ideas.service import IdeaService
from bot.services.labs.compose import LabAdmin
from bot.services.labs.jobs import LabJobs
from bot.services.labs.records import LabRecords
from bot.services.labs.seats import LabConfig
from bot.services.labs.signup import LabService
from bot.services.network.service import NetworkService
from bot.services.privacy import PrivacyService
from bot.services.residents import ResidentService
from bot.services.roles import RoleService
from bot.services.stories.service import StoryService
from bot.services.surveys.definition import Survey, shipped
from bot.services.surveys.digests import DigestConfig, DigestService
from bot.services.surveys.service import Surveys
from bot.services.surveys.views import DecisionViewService
from bot.services.tokens import TokenService
from bot.telegram_http import AiohttpRequest
from handlers import register
from storage import schema
from storage.db import create_engine, create_sessionmaker, on_outbox_commit

# Opt in to timedelta-valued durations now (RetryAfter.retry_after) rather than warnings.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

MagnetApplication = Application[Any, MagnetContext, Any, Any, BotData, Any]


def file_url_for(api_url: str) -> str:
    """Telegram serves files under /file/bot<token>/ beside /bot<token>/."""
    base = api_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def load_surveys(settings: Settings) -> list[Survey]:
    """The survey definitions the bot runs: a town's own (MAGNET_SURVEYS_DIR) or the shipped."""
    directory = settings.surveys_path
    if directory is not None and not directory.is_dir():
        raise ConfigError(f"MAGNET_SURVEYS_DIR: {directory} is not a directory")
    try:
        return shipped(directory)
    except ValueError as exc:
        where = "MAGNET_SURVEYS_DIR" if directory is not None else "the shipped surveys"
        raise ConfigError(f"{where}: {exc} (see `magnet-bot surveys check`)") from exc


async def open_services(settings: Settings) -> Services:
    definitions = load_surveys(settings)
    engine = create_engine(settings.database_url)
    try:
        # Alembic is imported only when there is something to migrate, not at every start.
        if not await schema.is_current(engine):
            if not settings.should_auto_migrate:
                raise ConfigError(
                    "the database schema is not current: run `magnet-bot migrate` first"
                )
            from storage import migrate

            await migrate.upgrade(engine)
    except BaseException:
        await engine.dispose()
        raise
    sessions = create_sessionmaker(engine)
    town = settings.town()
    i18n = I18n(settings.tz, settings.locale, profile=town)
    residents = ResidentService(sessions, settings.admin_ids, town)
    quiet = QuietHours.parse(settings.quiet_hours, settings.tz)
    lab_config = LabConfig(
        offer_ttl=timedelta(hours=settings.offer_hours),
        feedback_report_after=timedelta(hours=settings.feedback_report_hours),
        coordinator_chat_id=settings.coordinator_chat_id,
        min_group_size=settings.min_group_size,
    )
    labs = LabService(sessions, i18n, lab_config)
    secret = settings.survey_secret.get_secret_value() if settings.survey_secret else None
    surveys = Surveys(sessions, definitions, i18n, secret)
    await surveys.sync()
    conversations = ConversationService(
        sessions,
        i18n,
        ConversationConfig(
            min_group_size=settings.min_group_size,
            min_voters=settings.conversation_min_voters,
            coordinator_chat_id=settings.coordinator_chat_id,
            admin_ids=frozenset(settings.admin_ids),
            locale=settings.locale,
        ),
    )
    views = DecisionViewService(
        sessions, settings.min_group_size, settings.population(), town.municipality_groups
    )
    network = NetworkService.from_settings(settings, sessions, views, list(surveys.shipped))
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
        privacy=PrivacyService(
            sessions, residents, labs, surveys.responses, conversations=conversations
        ),
        leadership=Leadership(engine),
        exports=ExportService(sessions),
        digests=DigestService(
            sessions,
            i18n,
            list(surveys.shipped),
            DigestConfig(
                chat_id=settings.coordinator_chat_id,
                locale=settings.locale,
                k=settings.min_group_size,
                tz=settings.tz,
                every=settings.digest_every,
                schedule=settings.digest_schedule,
            ),
            views,
            network=network if network.peers else None,
        ),
        tokens=TokenService(sessions),
        ideas=IdeaService(sessions, i18n, settings.coordinator_chat_id),
        stories=StoryService(sessions, i18n, settings.coordinator_chat_id),
        conversations=conversations,
        network=network if network.enabled else None,
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
        # Replies too: each replica keeps to its share of Telegram's overall limit, unless
        # they keep one budget together, which already counts every replica's sends.
        services.delivery.on_share = limiter.share
        services.delivery.divide_rate = not limiter.budget.shared
    services.scheduler = Scheduler(
        bot,
        services.announcements,
        services.delivery,
        tick_seconds=settings.scheduler_seconds,
        jobs=[
            services.lab_jobs.tick,
            *([services.network.tick] if services.network is not None else []),
            services.digests.tick,
        ],
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


def shared_budget(settings: Settings) -> RedisBudget | None:
    """The send budget the replicas of this bot keep together, when they have Redis (keyed by
    the bot's own id: two bots on one Redis each have Telegram's whole budget)."""
    if not settings.redis_url:
        return None
    bot_id = settings.token().split(":", 1)[0]
    return RedisBudget(settings.redis_url, key=f"magnet:send-budget:{bot_id}")


def build_application(
    settings: Settings, *, on_update_done: Callable[[int], None] | None = None
) -> MagnetApplication:
    async def post_init(application: MagnetApplication) -> None:
        services = await open_services(settings)
        application.bot_data.services = services
        metrics.services = services
        attach_delivery(services, application.bot)

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
        # PTB's defaults (256 connections for sending, one for getUpdates), on aiohttp.
        .request(AiohttpRequest(connection_pool_size=256))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .context_types(ContextTypes(context=MagnetContext, bot_data=BotData))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .concurrent_updates(processor)
        .rate_limiter(
            RetryingRateLimiter(
                Limits(private_count=settings.chat_burst),
                budget=shared_budget(settings),
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    processor.on_flood = functools.partial(ask_to_slow_down, application)
    register(application)
    application.bot_data.metrics = metrics
    return application  # type: ignore[return-value]
