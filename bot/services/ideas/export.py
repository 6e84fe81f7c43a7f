"""Staff's export of ideas and supports: a zip of two CSV files and a README, with people as
pseudonyms that hold within one export only (a fresh key each time, never stored)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
import zipfile
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import audit as audit_repo
from storage.repositories import ideas as repo

IDEA_COLUMNS = [
    "idea",
    "status",
    "theme",
    "municipality",
    "title",
    "text",
    "has_photo",
    "author",
    "supports",
    "submitted_at",
    "published_at",
    "reject_reason",
    "outcome",
    "official_answer",
    "lab",
    "answered_at",
]
SUPPORT_COLUMNS = ["idea", "supporter", "supported_at"]

README = """# MAGNET ideas export

`ideas.csv`: one row per submitted idea (drafts are not exported).

- `idea`: the idea's number in the bot; `status`: pending, published or rejected
- `theme`, `municipality`: codes of the bot's themes (housing, mobility, industry, culture,
  energy) and municipalities (celje, prebold, savinjska, slovenia, abroad)
- `title`, `text`: as the resident wrote them (a coordinator may have corrected them)
- `has_photo`: 1 if the idea came with a photo (photos are not exported)
- `author`: a pseudonym, empty once the author has asked to be forgotten
- `supports`: how many residents support the idea now
- `outcome`: the coordinators' status (considering, lab, planned, done, not_feasible), with
  `official_answer`, `lab` (the lab's number for "lab") and `answered_at`
- times are ISO 8601 in UTC

`supports.csv`: one row per support: `idea`, `supporter` (a pseudonym), `supported_at`.

Pseudonyms are keyed with a random key made for this export and thrown away: within one file
the same person has the same pseudonym (an author who also supports shows as such), but they
do not match those of any other export and cannot be traced back to anyone.
"""


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


class Pseudonyms:
    """Names for the people of one export, keyed with a random key that is never stored."""

    def __init__(self, prefix: str = "P") -> None:
        self._key = secrets.token_bytes(32)
        self._prefix = prefix

    def __call__(self, someone: int | str | None) -> str:
        if someone is None:
            return ""
        digest = hmac.new(self._key, str(someone).encode(), hashlib.sha256).hexdigest()
        return self._prefix + digest[:12]


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def ideas_zip(
    sessions: async_sessionmaker[AsyncSession], route: str, who: str | None, actor: int | None
) -> bytes:
    """The zip, and its audit entry, in one transaction."""
    alias = Pseudonyms()
    async with sessions.begin() as session:
        ideas = [
            [
                idea.id,
                idea.status,
                idea.topic or "",
                idea.municipality or "",
                idea.title or "",
                idea.text or "",
                int(idea.photo_file_id is not None),
                alias(idea.author_id),
                supports,
                _iso(idea.submitted_at),
                _iso(idea.published_at),
                idea.reject_reason or "",
                idea.outcome or "",
                idea.answer or "",
                idea.lab_id or "",
                _iso(idea.answered_at),
            ]
            for idea, supports in await repo.list_all_for_export(session)
        ]
        supports = [
            [s.idea_id, alias(s.resident_id), _iso(s.created_at)]
            for s in await repo.list_supports_for_export(session)
        ]
        await audit_repo.add_audit_entry(
            session,
            "ideas.export",
            actor_telegram_id=actor,
            details={"route": route, "token": who, "ideas": len(ideas), "supports": len(supports)},
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("README.md", README)
        bundle.writestr("ideas.csv", _csv([IDEA_COLUMNS, *ideas]))
        bundle.writestr("supports.csv", _csv([SUPPORT_COLUMNS, *supports]))
    return out.getvalue()
