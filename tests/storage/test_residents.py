"""Who may be written to: one query for every feature that writes to residents on its own."""

from __future__ import annotations

from bot.domain import CONSENT_VERSION
from storage.models import Resident
from storage.repositories import residents as repo


async def test_reachable_residents_are_consented_onboarded_and_active(sessions) -> None:  # type: ignore[no-untyped-def]
    people = [
        # telegram id, consent, onboarding step, active, municipality
        (1, CONSENT_VERSION, "done", True, "celje"),
        (2, None, "done", True, "celje"),  # withdrew consent
        (3, CONSENT_VERSION, "topics", True, "celje"),  # still onboarding
        (4, CONSENT_VERSION, "done", False, "celje"),  # blocked the bot
        (5, CONSENT_VERSION, "done", True, "prebold"),
    ]
    async with sessions.begin() as session:
        for tid, consent, step, active, municipality in reversed(people):
            session.add(
                Resident(
                    telegram_id=tid,
                    consent_version=consent,
                    onboarding_step=step,
                    is_active=active,
                    municipality=municipality,
                    locale="en" if tid == 5 else None,
                    language_code="sl",
                )
            )
    async with sessions() as session:
        everyone = await repo.reachable_residents(session)
        in_celje = await repo.reachable_residents(session, Resident.municipality == "celje")
    # In the order of their rows (by id), not of their Telegram ids.
    assert [r.telegram_id for r in everyone] == [5, 1]
    assert [(r.locale, r.language_code) for r in everyone] == [("en", "sl"), (None, "sl")]
    assert [r.telegram_id for r in in_celje] == [1]
