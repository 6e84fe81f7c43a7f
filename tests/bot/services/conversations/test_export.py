"""Staff's export of a conversation on both backends: statements (a rejected or pending one
without its text), every vote under a voter id that holds within one file only, each voter's
opinion group (the planted camps come back), counts under k left empty, audit-logged; as a
zip of CSV files and as an XLSX workbook."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from bot.services.conversations.service import ConversationService
from storage.models import AuditEntry, ConversationParticipant
from tests.bot.services.conversations.test_service import PEOPLE, seed, service
from tests.support.conversations import STATEMENTS

ENGLISH = [en for _, en in STATEMENTS]
PRIVATE = "Pokličite Marka na 041 123 456."
# Camp A agrees with every statement, camp B disagrees from the third on; the last of camp
# B passes on the fourth, so its counts are 5 agree, 4 disagree, 1 pass.
CAMP_A, CAMP_B = PEOPLE[:5], PEOPLE[5:]


def _stance(telegram_id: int, index: int) -> int:
    if telegram_id in CAMP_A or index < 2:
        return 1
    if telegram_id == CAMP_B[-1] and index == 3:
        return 0
    return -1


async def _voted(sessions, min_voters: int = 6) -> tuple[ConversationService, int]:  # type: ignore[no-untyped-def]
    svc = await service(sessions, min_group_size=3, min_voters=min_voters)
    view = await svc.open(1, seed())
    for telegram_id in PEOPLE:
        card = await svc.card(telegram_id, view.id)
        while card.statement_id is not None and card.text is not None:
            value = _stance(telegram_id, ENGLISH.index(card.text.en or ""))
            card = await svc.vote(telegram_id, view.id, card.statement_id, value)
    await svc.add_statement(PEOPLE[0], view.id, PRIVATE, "sl")
    return svc, view.id


def _table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_the_csv_export_holds_statements_votes_and_groups(sessions) -> None:  # type: ignore[no-untyped-def]
    svc, conversation = await _voted(sessions)
    found = await svc.export(conversation, "csv", route="test", who="office", actor=None)
    assert found.filename == f"conversation-{conversation}.zip" and found.voters == 10
    with zipfile.ZipFile(io.BytesIO(found.body)) as bundle:
        assert sorted(bundle.namelist()) == [
            "README.md",
            "groups.csv",
            "statements.csv",
            "voters.csv",
            "votes.csv",
        ]
        statements = _table(bundle.read("statements.csv"))
        votes = _table(bundle.read("votes.csv"))
        voters = _table(bundle.read("voters.csv"))
        groups = _table(bundle.read("groups.csv"))
        readme = bundle.read("README.md").decode()
        everything = b"".join(bundle.read(n) for n in bundle.namelist()).decode("utf-8-sig")
    by_text = {row["text_en"]: row for row in statements}
    assert (by_text[ENGLISH[0]]["votes"], by_text[ENGLISH[0]]["agree"]) == ("10", "10")
    assert (by_text[ENGLISH[2]]["agree"], by_text[ENGLISH[2]]["disagree"]) == ("5", "5")
    # One pass: under k, so the fourth statement's three counts are left empty.
    fourth = by_text[ENGLISH[3]]
    assert fourth["votes"] == "10" and fourth["agree"] == fourth["disagree"] == fourth["pass"] == ""
    [pending] = [row for row in statements if row["status"] == "pending"]
    assert pending["text_sl"] == pending["text_en"] == "" and pending["author"].startswith("V")
    assert PRIVATE not in everything
    # Every vote, under ten voter ids that are neither the stored ids nor Telegram ids.
    assert len(votes) == 10 * len(STATEMENTS)
    ids = {row["voter"] for row in votes}
    assert len(ids) == 10 and ids == {row["voter"] for row in voters}
    async with sessions() as session:
        stored = set((await session.execute(select(ConversationParticipant.id))).scalars())
    # Keyed ids by their form (their hex may hold any digits by chance), and no Telegram id.
    assert all(re.fullmatch(r"V[0-9a-f]{12}", voter) for voter in ids) and not ids & stored
    cells = {
        cell for table in (statements, votes, voters) for row in table for cell in row.values()
    }
    assert not cells & {str(tid) for tid in PEOPLE}
    assert pending["author"] in ids  # the author is one of the voters, under the same id
    # The planted camps come back as the two groups, each of at least k.
    assert sorted((row["group"], row["size"]) for row in groups) == [("A", "5"), ("B", "5")]
    agree_all = {
        row["voter"]
        for row in votes
        if row["statement"] == by_text[ENGLISH[5]]["statement"] and row["vote"] == "agree"
    }
    camp_of = {row["voter"]: row["group"] for row in voters}
    assert len({camp_of[v] for v in agree_all}) == 1 and len(agree_all) == 5
    assert len({camp_of[v] for v in ids - agree_all}) == 1
    assert "at least 3" in readme
    async with sessions() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "conversation.export")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.subject, e.details) for e in entries] == [
        (str(conversation), {"format": "csv", "route": "test", "token": "office"})
    ]
    # A second export: the same people under other ids.
    again = await svc.export(conversation, "csv", route="test", who="office", actor=None)
    with zipfile.ZipFile(io.BytesIO(again.body)) as bundle:
        assert not {r["voter"] for r in _table(bundle.read("voters.csv"))} & ids


async def test_the_xlsx_export_and_no_groups_below_the_voters_threshold(sessions) -> None:  # type: ignore[no-untyped-def]
    svc, conversation = await _voted(sessions, min_voters=20)  # ten voters: no groups
    found = await svc.export(conversation, "xlsx", route="test", who=None, actor=7)
    assert found.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(found.body), read_only=True)
    assert book.sheetnames == ["statements", "votes", "voters", "groups", "README"]
    voters = list(book["voters"].iter_rows(values_only=True))
    assert voters[0] == ("voter", "votes", "group") and len(voters) == 11
    assert {row[2] for row in voters[1:]} == {None}  # no group for anyone
    assert list(book["groups"].iter_rows(values_only=True)) == [("group", "size")]
    assert len(list(book["votes"].iter_rows(values_only=True))) == 1 + 10 * len(STATEMENTS)
    book.close()
