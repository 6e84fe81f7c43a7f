"""Residents: the per-update touch, consent and the onboarding/profile answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import (
    AGE_BANDS,
    CONSENT_VERSION,
    ONBOARDING_ORDER,
    STATUSES,
    Choice,
    Role,
    Step,
    codes,
)
from bot.profile import Profile, load_profile
from storage.db import reading
from storage.models import Resident, utcnow
from storage.repositories import audit as audit_repo
from storage.repositories import residents as repo
from storage.repositories import roles as roles_repo


class InvalidChoice(ValueError):
    """A code that is not one of the offered options (a forged or outdated button)."""


class ConsentRequired(PermissionError):
    """Profile data may only be stored after the resident agreed."""


def profile_fields(town: Profile) -> dict[Step, tuple[str, Sequence[Choice]]]:
    """The onboarding questions answered from a list: the column and the town's options."""
    return {
        Step.MUNICIPALITY: ("municipality", town.municipalities),
        Step.AGE_BAND: ("age_band", AGE_BANDS),
        Step.STATUS: ("status", STATUSES),
    }


@dataclass(frozen=True)
class ResidentView:
    id: int
    telegram_id: int
    locale: str | None
    language_code: str | None
    step: Step
    consent_version: int | None
    consented_at: datetime | None
    municipality: str | None
    age_band: str | None
    status: str | None
    topics: frozenset[str]
    start_payload: str | None
    is_active: bool
    # Which feature the next typed text is for (see Resident.awaiting).
    awaiting: str | None
    roles: frozenset[Role]

    @property
    def needs_consent(self) -> bool:
        return self.consent_version != CONSENT_VERSION

    @property
    def onboarded(self) -> bool:
        return self.step == Step.DONE and not self.needs_consent

    def has_role(self, role: Role) -> bool:
        return role == Role.RESIDENT or role in self.roles or Role.ADMIN in self.roles


def _next_step(step: Step) -> Step:
    index = ONBOARDING_ORDER.index(step)
    return ONBOARDING_ORDER[index + 1] if index + 1 < len(ONBOARDING_ORDER) else Step.DONE


class ResidentService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        admin_ids: Iterable[int] = (),
        town: Profile | None = None,
    ):
        self._sessions = sessions
        self._admin_ids = frozenset(admin_ids)
        self.town = town or load_profile()
        self._fields = profile_fields(self.town)

    async def _view(
        self,
        session: AsyncSession,
        resident: Resident,
        topics: Iterable[str] | None = None,
        granted: Iterable[str] | None = None,
    ) -> ResidentView:
        """The resident as handlers see it; `topics` and `granted` roles when already read."""
        if granted is None:
            granted = await roles_repo.list_roles_of(session, resident.telegram_id)
        roles = {Role(r) for r in granted}
        if resident.telegram_id in self._admin_ids:
            roles.add(Role.ADMIN)
        if topics is None:
            topics = await repo.list_topics(session, resident.id)
        return ResidentView(
            id=resident.id,
            telegram_id=resident.telegram_id,
            locale=resident.locale,
            language_code=resident.language_code,
            step=Step(resident.onboarding_step),
            consent_version=resident.consent_version,
            consented_at=resident.consented_at,
            municipality=resident.municipality,
            age_band=resident.age_band,
            status=resident.status,
            topics=frozenset(topics),
            start_payload=resident.start_payload,
            is_active=resident.is_active,
            awaiting=resident.awaiting,
            roles=frozenset(roles),
        )

    async def _reload(self, session: AsyncSession, telegram_id: int) -> ResidentView:
        resident = await repo.get_resident(session, telegram_id)
        assert resident is not None
        await session.refresh(resident)
        return await self._view(session, resident)

    async def _consented(self, session: AsyncSession, telegram_id: int) -> Resident:
        resident = await repo.get_resident(session, telegram_id, lock=True)
        if resident is None or resident.consent_version is None:
            raise ConsentRequired(telegram_id)
        return resident

    async def touch(self, telegram_id: int, language_code: str | None = None) -> ResidentView:
        """Called for every private update: make sure the resident exists; writing means active.

        Telegram's language is kept only once they agreed: it picks the language of the
        messages we send them on our own initiative.
        """
        # Nearly every update finds the resident as they were: one read, no write transaction.
        async with reading(self._sessions) as session:
            found = await repo.get_resident_topics_roles(session, telegram_id)
            if found is not None and not self._touched(found[0], language_code):
                return await self._view(session, *found)
        async with self._sessions.begin() as session:
            found = await repo.get_resident_topics_roles(session, telegram_id)
            if found is None:
                await repo.add_resident_if_missing(session, telegram_id)
                found = await repo.get_resident_topics_roles(session, telegram_id)
                assert found is not None
            resident, topics, granted = found
            changes = self._touched(resident, language_code)
            if changes:
                await repo.update_resident(session, telegram_id, **changes)
                await session.refresh(resident)
            # Read with the resident a moment ago in this transaction: no more queries.
            return await self._view(session, resident, topics, granted)

    @staticmethod
    def _touched(resident: Resident, language_code: str | None) -> dict[str, object]:
        """What an update from the resident changes: writing means active again, and
        Telegram's language is kept once they agreed."""
        changes: dict[str, object] = {}
        if not resident.is_active:
            changes.update(is_active=True, blocked_at=None)
        if (
            resident.consent_version is not None
            and language_code
            and resident.language_code != language_code[:16]
        ):
            changes["language_code"] = language_code[:16]
        return changes

    async def get(self, telegram_id: int) -> ResidentView | None:
        async with self._sessions.begin() as session:
            resident = await repo.get_resident(session, telegram_id)
            return None if resident is None else await self._view(session, resident)

    async def get_by_id(self, resident_id: int) -> ResidentView | None:
        """By database id (the dashboard's session carries no Telegram id)."""
        async with self._sessions.begin() as session:
            resident = await session.get(Resident, resident_id)
            return None if resident is None else await self._view(session, resident)

    async def accept_consent(
        self, telegram_id: int, language_code: str | None = None
    ) -> ResidentView:
        async with self._sessions.begin() as session:
            resident = await repo.get_resident(session, telegram_id, lock=True)
            assert resident is not None
            step = Step(resident.onboarding_step)
            if step in (Step.CONSENT, Step.DECLINED):
                step = Step.MUNICIPALITY
            await repo.update_resident(
                session,
                telegram_id,
                consent_version=CONSENT_VERSION,
                consented_at=utcnow(),
                onboarding_step=step.value,
                language_code=(language_code or "")[:16] or None,
            )
            await audit_repo.add_audit_entry(
                session,
                "consent.accept",
                actor_telegram_id=telegram_id,
                details={"version": CONSENT_VERSION},
            )
            return await self._reload(session, telegram_id)

    async def decline_consent(self, telegram_id: int) -> ResidentView:
        """No consent, no profile: whatever was stored beyond the id and language goes."""
        async with self._sessions.begin() as session:
            return await self.decline_in(session, telegram_id)

    async def decline_in(self, session: AsyncSession, telegram_id: int) -> ResidentView:
        """`decline_consent` inside the caller's transaction (withdrawal erases more with it)."""
        resident = await repo.get_resident(session, telegram_id, lock=True)
        assert resident is not None, "the gate creates the resident first"
        had_consent = resident.consent_version is not None
        await repo.clear_profile(
            session,
            resident,
            consent_version=None,
            consented_at=None,
            awaiting=None,
            onboarding_step=Step.DECLINED.value,
        )
        if had_consent:
            await audit_repo.add_audit_entry(
                session, "consent.withdraw", actor_telegram_id=telegram_id
            )
        return await self._reload(session, telegram_id)

    async def answer(self, telegram_id: int, field_step: Step, code: str) -> ResidentView:
        """Store one profile answer; during onboarding, move on to the next question."""
        if field_step not in self._fields:
            raise InvalidChoice(field_step)
        column, choices = self._fields[field_step]
        if code not in codes(choices):
            raise InvalidChoice(code)
        async with self._sessions.begin() as session:
            resident = await self._consented(session, telegram_id)
            values: dict[str, object] = {column: code}
            if resident.onboarding_step == field_step.value:
                values["onboarding_step"] = _next_step(field_step).value
            await repo.update_resident(session, telegram_id, **values)
            return await self._reload(session, telegram_id)

    async def toggle_topic(self, telegram_id: int, topic: str) -> ResidentView:
        if topic not in codes(self.town.topics):
            raise InvalidChoice(topic)
        async with self._sessions.begin() as session:
            resident = await self._consented(session, telegram_id)
            if topic in await repo.list_topics(session, resident.id):
                await repo.delete_topic(session, resident.id, topic)
            else:
                await repo.add_topic(session, resident.id, topic)
            return await self._reload(session, telegram_id)

    async def finish_topics(self, telegram_id: int) -> ResidentView:
        async with self._sessions.begin() as session:
            resident = await self._consented(session, telegram_id)
            if resident.onboarding_step == Step.TOPICS.value:
                await repo.update_resident(session, telegram_id, onboarding_step=Step.DONE.value)
            return await self._reload(session, telegram_id)

    async def set_locale(self, telegram_id: int, locale: str) -> ResidentView:
        if locale not in self.town.languages:
            raise InvalidChoice(locale)
        async with self._sessions.begin() as session:
            await repo.update_resident(session, telegram_id, locale=locale)
            return await self._reload(session, telegram_id)

    async def set_awaiting(self, telegram_id: int, awaiting: str | None) -> None:
        """Route the resident's next typed text to a feature (None: to nobody)."""
        async with self._sessions.begin() as session:
            await repo.update_resident(session, telegram_id, awaiting=awaiting)

    async def remember_payload(self, telegram_id: int, payload: str) -> None:
        async with self._sessions.begin() as session:
            await repo.update_resident(session, telegram_id, start_payload=payload)

    async def take_payload(self, telegram_id: int) -> str | None:
        """The deep-link payload kept through onboarding, handed out once."""
        async with self._sessions.begin() as session:
            resident = await repo.get_resident(session, telegram_id, lock=True)
            payload = resident.start_payload if resident is not None else None
            if payload is not None:
                await repo.update_resident(session, telegram_id, start_payload=None)
            return payload

    async def set_active(self, telegram_id: int, active: bool) -> None:
        """Follow my_chat_member: a resident who blocked the bot gets nothing until they return."""
        async with self._sessions.begin() as session:
            if await repo.get_resident(session, telegram_id) is None:
                return
            await repo.update_resident(
                session,
                telegram_id,
                is_active=active,
                blocked_at=None if active else utcnow(),
            )
