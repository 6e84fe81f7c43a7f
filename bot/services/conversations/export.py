"""Staff's export of one conversation: its statements, every vote under a pseudonymous voter
id, and each voter's opinion group, as a zip of CSV files (with a README) or one XLSX workbook.

Voter ids are keyed with a random key made for this export and thrown away (as in the ideas
export), so they hold within one file and match nothing else. The only aggregates are each
statement's vote counts and the groups' sizes, under the k rule: a statement's votes are
counted only from k, its agree, disagree and pass counts only if each is 0 or at least k
(else all three are blank, so no subtraction gives a small one away), and opinion groups exist only with at
least k members (smaller ones are merged by the clustering, and with fewer than k placed
nobody gets a group). Residents' statements that were not approved are listed without their
text: a coordinator turned them down, often for what they said about someone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.conversations.clustering import (
    MIN_VOTES,
    VoteMatrix,
    find_opinion_groups,
)
from bot.services.conversations.types import ConversationError, ConversationProblem
from bot.services.exports import neutral
from bot.services.ideas.export import Pseudonyms
from storage.models import ConversationStatement
from storage.repositories import audit as audit_repo
from storage.repositories import conversations as repo

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
STATEMENT_COLUMNS = [
    "statement",
    "status",
    "text_sl",
    "text_en",
    "author",
    "votes",
    "agree",
    "disagree",
    "pass",
]
VOTE_COLUMNS = ["voter", "statement", "vote"]
VOTER_COLUMNS = ["voter", "votes", "group"]
GROUP_COLUMNS = ["group", "size"]
VOTES = {1: "agree", -1: "disagree", 0: "pass"}

README = """# MAGNET conversation export

One "what do we agree on?" conversation: `{question}`

- `statements.csv`: `statement` (its number), `status` (approved, pending, rejected),
  `text_sl`, `text_en` (empty for statements that were not approved), `author` (the voter id
  of the resident who wrote it; empty for the coordinators' seeds and for an author who asked
  to be forgotten); then `votes` (how many voted on it) and `agree`, `disagree`, `pass`,
  the k rule for figures: `votes` is empty when fewer than {k} voted, and the three counts
  are all empty unless each is 0 or at least {k}, so that none can be worked out from the
  others (`votes.csv` holds the votes themselves)
- `votes.csv`: one row per vote: `voter`, `statement`, `vote` (agree, disagree or pass)
- `voters.csv`: `voter`, how many `votes`, and the opinion `group` (A, B, ...) the analysis
  put them in; empty for those with too few votes to be placed, or when there were fewer
  than {min_voters} voters (no groups are looked for then)
- `groups.csv`: each opinion group and its size; every group has at least {k} people

Voter ids are made with a random key for this export and thrown away: within one file a
voter keeps one id, but it matches no other export and cannot be traced back to anyone.
The votes keep no time.
"""


@dataclass(frozen=True)
class ConversationExport:
    filename: str
    content_type: str
    body: bytes
    voters: int


def _counts(values: list[int], k: int) -> list[Any]:
    """votes, agree, disagree, pass: each 0 or at least k, or the cells left empty."""
    total = len(values)
    cells = [values.count(1), values.count(-1), values.count(0)]
    if 0 < total < k:
        return ["", "", "", ""]
    if any(0 < c < k for c in cells):
        return [total, "", "", ""]
    return [total, *cells]


def _groups(
    votes: list[tuple[str, int, int]], ids: list[int], k: int, grouped: bool
) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """Each placed voter's group label, and the groups' sizes (none under k)."""
    if not grouped:  # below the voters' threshold no groups are looked for (as in the report)
        return {}, []
    matrix = VoteMatrix.from_votes(votes, ids)
    known = set(ids)
    rows = list(dict.fromkeys(p for p, s, _ in votes if s in known))  # the matrix's own order
    opinions = find_opinion_groups(matrix, min_group=k)
    if not opinions.groups:
        return {}, []
    enough = matrix.seen.sum(axis=1) >= min(MIN_VOTES, max(len(ids), 1))
    placed = [p for p, ok in zip(rows, enough, strict=True) if ok]
    labels = [opinions.groups[int(g)].label for g in opinions.labels]
    membership = dict(zip(placed, labels, strict=True))
    return membership, [(g.label, g.size) for g in opinions.groups]


async def conversation_export(
    sessions: async_sessionmaker[AsyncSession],
    conversation_id: int,
    fmt: str,
    *,
    k: int,
    min_voters: int,
    route: str,
    who: str | None,
    actor: int | None,
) -> ConversationExport:
    """The file, and its audit entry; ConversationError(UNKNOWN) for no such conversation."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    alias = Pseudonyms("V")
    async with sessions.begin() as session:
        conversation = await repo.get_conversation(session, conversation_id)
        if conversation is None:
            raise ConversationError(ConversationProblem.UNKNOWN, str(conversation_id))
        statements = list(
            (
                await session.execute(
                    select(ConversationStatement)
                    .where(ConversationStatement.conversation_id == conversation_id)
                    .order_by(ConversationStatement.id)
                )
            ).scalars()
        )
        votes = await repo.list_votes(session, conversation_id)
        await audit_repo.add_audit_entry(
            session,
            "conversation.export",
            actor_telegram_id=actor,
            subject=str(conversation_id),
            details={"format": fmt, "route": route, "token": who},
        )
    approved = [s.id for s in statements if s.status == "approved"]
    voters = sorted({p for p, _, _ in votes})
    grouped = len(voters) >= min_voters
    membership, sizes = await asyncio.to_thread(_groups, votes, approved, k, grouped)
    by_statement: dict[int, list[int]] = {}
    by_voter: dict[str, int] = {}
    for participant, statement_id, value in votes:
        by_statement.setdefault(statement_id, []).append(value)
        by_voter[participant] = by_voter.get(participant, 0) + 1
    sheets = {
        "statements": [STATEMENT_COLUMNS]
        + [
            [
                s.id,
                s.status,
                neutral(s.text_sl or "") if s.status == "approved" else "",
                neutral(s.text_en or "") if s.status == "approved" else "",
                alias(s.author),
                *_counts(by_statement.get(s.id, []), k),
            ]
            for s in statements
        ],
        # Sorted by the (random) voter id: the order of the rows tells nothing about who came first.
        "votes": [VOTE_COLUMNS, *sorted([alias(p), s, VOTES.get(v, str(v))] for p, s, v in votes)],
        "voters": [
            VOTER_COLUMNS,
            *sorted([alias(p), by_voter[p], membership.get(p, "")] for p in voters),
        ],
        "groups": [GROUP_COLUMNS] + [[label, size] for label, size in sizes],
    }
    readme = (
        README.replace("{question}", conversation.question_en)
        .replace("{k}", str(k))
        .replace("{min_voters}", str(min_voters))
    )
    body = await asyncio.to_thread(_zip if fmt == "csv" else _xlsx, sheets, readme)
    extension = "zip" if fmt == "csv" else "xlsx"
    return ConversationExport(
        f"conversation-{conversation_id}.{extension}", CONTENT_TYPES[fmt], body, len(voters)
    )


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _zip(sheets: dict[str, list[list[Any]]], readme: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("README.md", readme)
        for name, rows in sheets.items():
            bundle.writestr(f"{name}.csv", _csv(rows))
    return out.getvalue()


def _xlsx(sheets: dict[str, list[list[Any]]], readme: str) -> bytes:
    from openpyxl import Workbook  # imported when a spreadsheet is asked for, not at start

    workbook = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    about = workbook.create_sheet("README")
    for line in readme.splitlines():
        about.append([neutral(line)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
