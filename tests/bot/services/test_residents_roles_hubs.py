"""The resident, role and hub services on a real database (both backends)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from bot.domain import CONSENT_VERSION, Role, Step
from bot.services.audit import recent_entries
from bot.services.hubs import HubService
from bot.services.residents import ConsentRequired, InvalidChoice, ResidentService
from bot.services.roles import RoleChange, RoleService
from storage.models import Resident, ResidentTopic


async def test_touch_creates_a_bare_resident_once(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    first = await residents.touch(42)
    again = await residents.touch(42)
    assert first.id == again.id
    assert first.step == Step.CONSENT
    assert first.consent_version is None
    assert (first.municipality, first.age_band, first.status, first.topics) == (
        None,
        None,
        None,
        frozenset(),
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 1


async def test_concurrent_touches_of_one_resident_make_one_row(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    views = await asyncio.gather(*(residents.touch(7) for _ in range(10)))
    assert len({v.id for v in views}) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 1


async def test_nothing_is_stored_before_consent(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(1)
    with pytest.raises(ConsentRequired):
        await residents.answer(1, Step.MUNICIPALITY, "celje")
    with pytest.raises(ConsentRequired):
        await residents.toggle_topic(1, "housing")
    view = await residents.get(1)
    assert view is not None and view.municipality is None and view.topics == frozenset()


async def test_onboarding_advances_and_records_consent(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(1)
    view = await residents.accept_consent(1)
    assert view.consent_version == CONSENT_VERSION and view.step == Step.MUNICIPALITY
    assert view.consented_at is not None and view.consented_at.tzinfo is not None
    assert abs((datetime.now(UTC) - view.consented_at).total_seconds()) < 60
    view = await residents.answer(1, Step.MUNICIPALITY, "prebold")
    assert view.step == Step.AGE_BAND and view.municipality == "prebold"
    view = await residents.answer(1, Step.AGE_BAND, "25_34")
    view = await residents.answer(1, Step.STATUS, "employed")
    assert view.step == Step.TOPICS
    view = await residents.toggle_topic(1, "energy")
    view = await residents.toggle_topic(1, "housing")
    view = await residents.toggle_topic(1, "housing")
    assert view.topics == frozenset({"energy"})
    view = await residents.finish_topics(1)
    assert view.onboarded
    # A later change (from /settings) does not move the step back.
    view = await residents.answer(1, Step.MUNICIPALITY, "abroad")
    assert view.step == Step.DONE and view.municipality == "abroad"
    entries = await recent_entries(sessions, "consent.accept")
    assert [e.actor_telegram_id for e in entries] == [1]


async def test_invalid_codes_are_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(1)
    await residents.accept_consent(1)
    for step, code in [(Step.MUNICIPALITY, "ljubljana"), (Step.AGE_BAND, "x"), (Step.TOPICS, "a")]:
        with pytest.raises(InvalidChoice):
            await residents.answer(1, step, code)
    with pytest.raises(InvalidChoice):
        await residents.toggle_topic(1, "football")
    with pytest.raises(InvalidChoice):
        await residents.set_locale(1, "de")


async def test_declining_consent_deletes_the_profile(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(1)
    await residents.accept_consent(1)
    await residents.answer(1, Step.MUNICIPALITY, "celje")
    await residents.answer(1, Step.AGE_BAND, "18_24")
    await residents.toggle_topic(1, "culture")
    await residents.remember_payload(1, "lab_3")
    view = await residents.decline_consent(1)
    assert view.step == Step.DECLINED
    assert (view.consent_version, view.municipality, view.age_band, view.start_payload) == (
        None,
        None,
        None,
        None,
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResidentTopic)) == 0
    assert [e.action for e in await recent_entries(sessions, "consent.withdraw")] == [
        "consent.withdraw"
    ]


async def test_payload_is_handed_out_once(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(1)
    await residents.accept_consent(1)
    await residents.remember_payload(1, "hub_celje")
    assert await residents.take_payload(1) == "hub_celje"
    assert await residents.take_payload(1) is None


async def test_blocking_and_returning(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(1)
    await residents.set_active(1, False)
    view = await residents.get(1)
    assert view is not None and not view.is_active
    assert (await residents.touch(1)).is_active  # writing to the bot means they are back
    await residents.set_active(999, False)  # unknown: nothing to do, no error
    assert await residents.get(999) is None


async def test_roles_are_granted_revoked_and_audited(sessions) -> None:  # type: ignore[no-untyped-def]
    roles, residents = RoleService(sessions), ResidentService(sessions, admin_ids=[1])
    assert await roles.grant(1, 50, Role.COORDINATOR) == RoleChange.GRANTED
    assert await roles.grant(1, 50, Role.COORDINATOR) == RoleChange.ALREADY_HELD
    assert await roles.grant(1, 50, Role.STAFF) == RoleChange.GRANTED
    view = await residents.touch(50)
    assert view.roles == {Role.COORDINATOR, Role.STAFF}
    assert view.has_role(Role.COORDINATOR) and not view.has_role(Role.ADMIN)
    admin = await residents.touch(1)
    assert admin.has_role(Role.ADMIN) and admin.has_role(Role.STAFF)
    assert await roles.revoke(1, 50, Role.STAFF) == RoleChange.REVOKED
    assert await roles.revoke(1, 50, Role.STAFF) == RoleChange.NOT_HELD
    with pytest.raises(ValueError, match="cannot be granted"):
        await roles.grant(1, 50, Role.ADMIN)
    grants = await roles.list_grants()
    assert [(g.telegram_id, g.role) for g in grants] == [(50, Role.COORDINATOR)]
    log = await recent_entries(sessions)
    assert [
        (e.action, e.subject, e.details["role"]) for e in log if e.action.startswith("role")
    ] == [
        ("role.revoke", "50", "staff"),
        ("role.grant", "50", "staff"),
        ("role.grant", "50", "coordinator"),
    ]
    assert all(e.actor_telegram_id == 1 for e in log if e.action.startswith("role"))


async def test_hub_address_change_is_audited(sessions) -> None:  # type: ignore[no-untyped-def]
    hubs = HubService(sessions)
    assert await hubs.set_address("prebold", "Hmeljarska 3, 3312 Prebold", actor_id=5)
    assert not await hubs.set_address("maribor", "x")
    hub = await hubs.get("prebold")
    assert hub is not None and hub.address == "Hmeljarska 3, 3312 Prebold"
    assert hub.name("en") == "MiniHub Prebold"
    [entry] = await recent_entries(sessions, "hub.address")
    assert entry.details == {"old": "3312 Prebold", "new": "Hmeljarska 3, 3312 Prebold"}


def test_every_role_name_the_bot_shows_is_one_an_admin_may_type() -> None:
    from zoneinfo import ZoneInfo

    from bot.i18n import I18n
    from bot.services.roles import parse_role
    from handlers.roles import role_name

    i18n = I18n(ZoneInfo("Europe/Ljubljana"))
    for locale in ("sl", "en"):
        for role in (Role.COORDINATOR, Role.STAFF):
            assert parse_role(role_name(i18n.get(locale), role)) == role


async def test_touch_of_an_unchanged_resident_only_reads(sessions) -> None:  # type: ignore[no-untyped-def]
    residents = ResidentService(sessions)
    await residents.touch(5, "sl")
    await residents.accept_consent(5)
    await residents.touch(5, "sl")  # keeps Telegram's language now that they agreed
    statements: list[str] = []
    engine = sessions.kw["bind"].sync_engine

    def _seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", _seen)
    try:
        assert (await residents.touch(5, "sl")).consent_version == CONSENT_VERSION
        assert statements == ["SELECT"]  # no BEGIN IMMEDIATE, no write, on either backend
        statements.clear()
        assert (await residents.touch(5, "en")).language_code == "en"  # a change still writes
        assert "UPDATE" in statements
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    assert (await residents.get(5)).language_code == "en"  # type: ignore[union-attr]
