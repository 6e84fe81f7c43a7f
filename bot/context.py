"""Typed dependencies for handlers: the services (per application) and resident/translator (per update)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.delivery.engine import DeliveryEngine
from bot.delivery.quiet import QuietHours
from bot.i18n import I18n, Translator
from bot.leader import Leadership
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.services.announcements.service import AnnouncementService
from bot.services.conversations.service import ConversationService
from bot.services.exports import ExportService
from bot.services.hubs import HubService
from bot.services.ideas.service import IdeaService
from bot.services.labs.compose import LabAdmin
from bot.services.labs.jobs import LabJobs
from bot.services.labs.records import LabRecords
from bot.services.labs.signup import LabService
from bot.services.network.service import NetworkService
from bot.services.privacy import PrivacyService
from bot.services.residents import ResidentService, ResidentView
from bot.services.roles import RoleService
from bot.services.stories.service import StoryService
from bot.services.surveys.digests import DigestService
from bot.services.surveys.service import Surveys
from bot.services.tokens import TokenService

if TYPE_CHECKING:
    from telegram import Update  # noqa: F401


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    i18n: I18n
    residents: ResidentService
    roles: RoleService
    hubs: HubService
    announcements: AnnouncementService
    quiet: QuietHours
    labs: LabService
    lab_records: LabRecords
    lab_admin: LabAdmin
    lab_jobs: LabJobs
    surveys: Surveys
    privacy: PrivacyService
    exports: ExportService
    digests: DigestService
    leadership: Leadership
    tokens: TokenService
    ideas: IdeaService
    stories: StoryService
    conversations: ConversationService
    network: NetworkService | None = None
    delivery: DeliveryEngine | None = None
    scheduler: Scheduler | None = None

    @property
    def delivery_engine(self) -> DeliveryEngine:
        assert self.delivery is not None, "the delivery engine starts in post_init"
        return self.delivery


class BotData:
    """application.bot_data: filled in post_init, when the engine exists."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.metrics: Metrics | None = None


class MagnetContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """One context per update: the gate (group -1) fills `resident` and `tr` for the handlers."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], chat_id=None, user_id=None
    ):  # type: ignore[no-untyped-def]
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.resident: ResidentView | None = None
        self._tr: Translator | None = None

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        assert services is not None, "services are created in post_init"
        return services

    @property
    def me(self) -> ResidentView:
        """The resident behind this update, for handlers that run after the gate found one."""
        if self.resident is None:
            raise LookupError("no resident for this update: the gate did not run or found none")
        return self.resident

    @property
    def tr(self) -> Translator:
        """The resident's translator (set by the gate; the town's default before that)."""
        return self._tr if self._tr is not None else self.services.i18n.get(None)

    @tr.setter
    def tr(self, value: Translator) -> None:
        self._tr = value
