"""The idea service on both backends: one support per resident, withdrawing, the digest's
top ideas (k rule), and what forgetting a resident leaves."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.i18n import I18n
from bot.services.audit import recent_entries
from bot.services.exports import ExportService
from bot.services.ideas import notices
from bot.services.ideas.service import IdeaService, top_ideas
from bot.services.ideas.types import IdeaError, IdeaProblem, IdeaStep, Outcome
from storage.models import Idea, IdeaSupport, OutboxMessage, Resident, utcnow
from storage.repositories import ideas as repo

GROUP = -1009


async def residents(sessions, ids):  # type: ignore[no-untyped-def]
    now = utcnow()
    rows = [
        dict(
            telegram_id=i,
            language_code="sl",
            consent_version=1,
            consented_at=now,
            municipality="celje",
            onboarding_step="done",
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        for i in ids
    ]
    async with sessions.begin() as session:
        await session.execute(insert(Resident), rows)


async def published(ideas: IdeaService, author: int, title: str) -> int:
    draft, _ = await ideas.start(author, "sl")
    await ideas.set_text(author, draft.id, title)
    await ideas.set_text(author, draft.id, "Besedilo ideje.")
    await ideas.choose(author, draft.id, IdeaStep.TOPIC, "energy")
    await ideas.choose(author, draft.id, IdeaStep.MUNICIPALITY, "prebold")
    await ideas.set_photo(author, draft.id, None)
    await ideas.submit(author, draft.id)
    await ideas.approve(1, draft.id)
    return draft.id


async def test_supports_top_ideas_and_forgetting(sessions) -> None:  # type: ignore[no-untyped-def]
    i18n = I18n(ZoneInfo("Europe/Ljubljana"))
    ideas = IdeaService(sessions, i18n, GROUP)
    await residents(sessions, range(10, 20))
    first = await published(ideas, 10, "Sončna elektrarna na šoli")
    second = await published(ideas, 11, "Skupnostni vrt")
    for supporter in range(12, 17):
        await ideas.support(supporter, first, True)
    await ideas.support(12, second, True)
    with pytest.raises(IdeaError) as again:
        await ideas.support(12, second, True)
    assert again.value.problem == IdeaProblem.STALE
    with pytest.raises(IdeaError) as own:
        await ideas.support(10, first, True)
    assert own.value.problem == IdeaProblem.OWN_IDEA
    card = await ideas.support(12, second, False)
    assert card.idea.supports == 0 and not card.supported

    async with sessions() as session:
        tops = await top_ideas(session, utcnow() - timedelta(days=7), 5, minimum=5)
        later = await top_ideas(session, utcnow() + timedelta(minutes=1), 5)
    assert [(t.id, t.new_supports, t.supports) for t in tops] == [(first, 5, 5)]
    assert later == []  # nothing gathered after that moment
    text = "\n".join(notices.digest_lines(i18n.get("sl"), tops))
    assert "+5 podpor ta teden (5 podpor)" in text

    _, told = await ideas.answer(1, first, Outcome.PLANNED, "Občina jo bo postavila spomladi.")
    assert told == 6  # the author and five supporters
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.kind == "idea_answer")
                )
            )
            .scalars()
            .all()
        )
    assert {r.urgent for r in rows} == {False}  # quiet hours hold them

    await ideas.start(10, "sl")  # a draft too
    async with sessions.begin() as session:
        resident = (
            await session.execute(select(Resident).where(Resident.telegram_id == 10))
        ).scalar_one()
        supporter = (
            await session.execute(select(Resident).where(Resident.telegram_id == 13))
        ).scalar_one()
        await repo.forget_resident(session, resident.id)
        await repo.forget_resident(session, supporter.id)
    async with sessions() as session:
        left = (await session.execute(select(Idea).order_by(Idea.id))).scalars().all()
        supports = await repo.count_supports(session, first)
        linked = (await session.execute(select(IdeaSupport.resident_id))).scalars().all()
    assert [i.status for i in left] == ["published", "published"]  # the draft is gone
    assert left[0].author_id is None and supports == 4 and supporter.id not in linked


async def test_the_ideas_export_is_pseudonymous_and_audit_logged(sessions) -> None:  # type: ignore[no-untyped-def]
    ideas = IdeaService(sessions, I18n(ZoneInfo("Europe/Ljubljana")), None)
    await residents(sessions, range(30, 34))
    first = await published(ideas, 30, "Knjižnica stvari")
    await ideas.support(31, first, True)
    await ideas.support(32, first, True)
    await ideas.start(33, "sl")  # a draft is not exported
    body = await ExportService(sessions).ideas_zip("http", who="token-1")
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert sorted(bundle.namelist()) == ["README.md", "ideas.csv", "supports.csv"]
        rows = list(csv.DictReader(io.StringIO(bundle.read("ideas.csv").decode("utf-8-sig"))))
        supports = list(
            csv.DictReader(io.StringIO(bundle.read("supports.csv").decode("utf-8-sig")))
        )
        readme = bundle.read("README.md").decode()
    [row] = rows
    assert row["title"] == "Knjižnica stvari" and row["supports"] == "2"
    # A keyed pseudonym, not the Telegram id (30) written in: its hex may contain "30" by chance.
    assert re.fullmatch(r"P[0-9a-f]{12}", row["author"]), row["author"]
    assert len({s["supporter"] for s in supports}) == 2 and row["author"] not in {
        s["supporter"] for s in supports
    }
    assert "pseudonym" in readme
    again = await ExportService(sessions).ideas_zip("cli")
    with zipfile.ZipFile(io.BytesIO(again)) as bundle:
        other = next(csv.DictReader(io.StringIO(bundle.read("ideas.csv").decode("utf-8-sig"))))
    assert other["author"] != row["author"]  # pseudonyms do not carry across exports
    [entry, _] = await recent_entries(sessions, "ideas.export")
    assert entry.details["ideas"] == 1 and entry.details["supports"] == 2
