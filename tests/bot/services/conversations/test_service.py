"""The conversation service on both backends: pseudonymous votes, one vote per statement even
under racing taps, moderation, closing (results queued, links cut) and forgetting."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.domain import CONSENT_VERSION, Bilingual
from bot.i18n import I18n
from bot.services.conversations.seeds import Seed, SeedError, SeedIssue, parse_seed
from bot.services.conversations.service import ConversationConfig, ConversationService
from bot.services.conversations.types import ConversationError, ConversationProblem
from storage.models import (
    ConversationParticipant,
    ConversationStatement,
    ConversationVote,
    OutboxMessage,
    Resident,
)
from storage.repositories import conversations as repo
from tests.support.conversations import STATEMENTS, seed_csv, seed_yaml

GROUP = -100999
PEOPLE = list(range(4001, 4011))


def seed() -> Seed:
    return parse_seed("seed.yaml", seed_yaml())


async def service(sessions, **config) -> ConversationService:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        for tid in PEOPLE:
            session.add(
                Resident(
                    telegram_id=tid,
                    consent_version=CONSENT_VERSION,
                    onboarding_step="done",
                    locale="sl" if tid % 2 else "en",
                )
            )
    values = {"min_group_size": 2, "min_voters": 3, "coordinator_chat_id": GROUP, **config}
    return ConversationService(
        sessions, I18n(ZoneInfo("Europe/Ljubljana")), ConversationConfig(**values)
    )


async def test_votes_are_pseudonymous_and_counted_once(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    view = await svc.open(1, seed())
    card = await svc.card(PEOPLE[0])
    assert (card.position, card.total) == (1, 12)
    # Racing taps on the same statement: exactly one vote.
    results = await asyncio.gather(
        *(svc.vote(PEOPLE[0], view.id, card.statement_id, 1) for _ in range(5)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ConversationError)]
    assert len(refused) == 4 and all(
        r.problem == ConversationProblem.ALREADY_VOTED for r in refused
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationVote)) == 1
        [participant] = (await session.execute(select(ConversationParticipant))).scalars().all()
    assert len(participant.id) == 32 and str(PEOPLE[0]) not in participant.id
    # Everyone meets the statements in their own, stable order.
    orders = {tuple([(await svc.card(tid)).statement_id for _ in range(2)]) for tid in PEOPLE[1:6]}
    assert all(a == b for a, b in orders) and len({a for a, _ in orders}) > 1
    with pytest.raises(ConversationError) as forged:
        await svc.vote(PEOPLE[0], view.id, 999999, 1)
    assert forged.value.problem == ConversationProblem.UNKNOWN


async def test_a_statement_is_moderated_once_and_its_author_told(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    view = await svc.open(1, seed())
    with pytest.raises(ConversationError) as long:
        await svc.add_statement(PEOPLE[1], view.id, "x" * 201, "sl")
    assert long.value.problem == ConversationProblem.TOO_LONG and long.value.count == 201
    pending = await svc.add_statement(PEOPLE[1], view.id, "  Več   klopi ob Savinji. ", "sl")
    assert pending.text == "Več klopi ob Savinji."
    assert (await svc.view(view.id)).pending == 1
    moderated = await svc.moderate(2, pending.id, approve=True)
    assert moderated.approved
    with pytest.raises(ConversationError) as again:
        await svc.moderate(3, pending.id, approve=False)
    assert again.value.problem == ConversationProblem.ALREADY_MODERATED
    async with sessions() as session:
        kinds = (await session.execute(select(OutboxMessage.kind, OutboxMessage.chat_id))).all()
    assert ("conversation_moderation", GROUP) in kinds
    assert ("conversation_moderated", PEOPLE[1]) in kinds
    # The author agrees with their own statement; others now see 13.
    assert (await svc.card(PEOPLE[1])).voted == 1
    assert (await svc.card(PEOPLE[2])).total == 13
    for _ in range(3):
        await svc.add_statement(PEOPLE[3], view.id, "Še ena izjava o mestu.", "sl")
    with pytest.raises(ConversationError) as many:
        await svc.add_statement(PEOPLE[3], view.id, "Četrta izjava o mestu.", "sl")
    assert many.value.problem == ConversationProblem.TOO_MANY_PENDING


async def test_closing_queues_results_and_cuts_the_links(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    view = await svc.open(1, seed())
    # Two camps of five: each agrees where the other disagrees (written straight to the
    # database; voting through the service is tested above).
    for tid in PEOPLE:
        await svc.card(tid)
    async with sessions.begin() as session:
        ids = [s.id for s in await repo.approved_statements(session, view.id)]
        for index, tid in enumerate(PEOPLE):
            resident = await session.scalar(select(Resident.id).where(Resident.telegram_id == tid))
            participant = await repo.get_participant(session, view.id, resident)
            for sid in ids:
                value = 1 if (index < 5) == (sid % 2 == 0) else -1
                await repo.add_vote(session, participant.id, sid, value)
    analysis = await svc.analyse(view.id)
    assert analysis.opinions.voters == 10 and len(analysis.opinions.groups) == 2
    closed, told = await svc.close(1, view.id)
    assert told == 10 and closed.results_sent and not closed.is_open
    async with sessions() as session:
        results = (
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.kind == "conversation_result")
                )
            )
            .scalars()
            .all()
        )
        report = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "conversation_report")
            )
        ).scalar_one()
        linked = await session.scalar(
            select(func.count()).where(ConversationParticipant.resident_id.is_not(None))
        )
    assert {r.chat_id for r in results} == set(PEOPLE) and linked == 0
    assert any("Glasovalo je 10 oseb." in r.text for r in results)
    assert any("10 people voted." in r.text for r in results)
    assert report.chat_id == GROUP and report.attachment and report.attachment[:4] == b"\x89PNG"
    assert "Našli smo 2 skupini mnenj" in report.text
    with pytest.raises(ConversationError) as closed_again:
        await svc.close(1, view.id)
    assert closed_again.value.problem == ConversationProblem.CLOSED
    with pytest.raises(ConversationError):
        await svc.card(PEOPLE[0], view.id)


async def test_forgetting_keeps_the_votes_and_drops_the_pending_text(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    view = await svc.open(1, seed())
    card = await svc.card(PEOPLE[0])
    await svc.vote(PEOPLE[0], view.id, card.statement_id, -1)
    await svc.add_statement(PEOPLE[0], view.id, "Izjava, ki jo bom pozabil.", "sl")
    async with sessions.begin() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.telegram_id == PEOPLE[0]))
        ).scalar_one()
        exported = await svc.export_in(session, resident.id)
        assert exported[0]["votes"][0]["vote"] == "disagree"
        assert exported[0]["statements_written"][0]["status"] == "pending"
        await svc.forget_in(session, resident.id, PEOPLE[0])
    async with sessions() as session:
        assert await repo.list_linked(session, resident.id) == []
        assert await session.scalar(select(func.count()).select_from(ConversationVote)) == 1
        texts = (await session.execute(select(ConversationStatement.text_sl))).scalars().all()
        queued = (await session.execute(select(OutboxMessage.text))).scalars().all()
    assert "Izjava, ki jo bom pozabil." not in texts
    assert not any("pozabil" in text for text in queued)


def test_seed_files_in_yaml_and_csv_agree() -> None:
    yaml_seed, csv_seed = parse_seed("a.yml", seed_yaml()), parse_seed("a.CSV", seed_csv())
    assert yaml_seed == csv_seed
    assert yaml_seed.question == Bilingual(
        "Kaj bi naredilo Celje boljše za mlade?", "What would make Celje better for young people?"
    )
    assert len(yaml_seed.statements) == len(STATEMENTS)
    with pytest.raises(SeedError) as many:
        parse_seed("a.yaml", seed_yaml([(f"Izjava {i}.", f"Statement {i}.") for i in range(31)]))
    assert [p.issue for p in many.value.problems] == [SeedIssue.TOO_MANY]
    with pytest.raises(SeedError) as none:
        parse_seed("a.yaml", seed_yaml(question={"sl": "Vprašanje?"}))
    assert (
        none.value.problems[0].issue == SeedIssue.MISSING
        and none.value.problems[0].language == "en"
    )
    for name, data in (("a.txt", b"x"), ("a.yaml", b"\xff\xfe"), ("a.yaml", b"- just a list")):
        with pytest.raises(SeedError) as bad:
            parse_seed(name, data)
        assert bad.value.problems[0].issue == SeedIssue.UNREADABLE


async def test_invitations_go_to_reachable_residents_once_and_wait_out_quiet_hours(
    sessions,
) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    async with sessions.begin() as session:
        session.add(Resident(telegram_id=4999, consent_version=None, onboarding_step="consent"))
        blocked = (
            await session.execute(select(Resident).where(Resident.telegram_id == PEOPLE[0]))
        ).scalar_one()
        blocked.is_active = False
    view = await svc.open(1, seed())
    assert await svc.invite(1, view.id) == len(PEOPLE) - 1
    with pytest.raises(ConversationError) as twice:
        await svc.invite(1, view.id)
    assert twice.value.problem == ConversationProblem.ALREADY_INVITED
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.kind == "conversation_invite")
                )
            )
            .scalars()
            .all()
        )
    assert {r.chat_id for r in rows} == set(PEOPLE[1:])
    assert not any(r.urgent for r in rows)  # the delivery engine holds them over quiet hours
    assert any("O čem se strinjamo?" in r.text for r in rows)
    assert any("What do we agree on?" in r.text for r in rows)
