"""`magnet-bot stories export`: the published stories as a bundle for the EU Urban
Initiative's Portico platform: JSON for machines, Markdown per story for people, the photos,
and a README.md that explains every field. Audit-logged like every export."""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Choice, label_of
from bot.profile import load_profile
from storage.models import Story
from storage.repositories import audit as audit_repo
from storage.repositories import stories as repo

log = logging.getLogger(__name__)

# A photo's bytes by its Telegram file id; None when it can no longer be fetched.
PhotoFetcher = Callable[[str], Awaitable[bytes | None]]

README = """# MAGNET urban stories, for Portico

This bundle holds the urban stories published by the MAGNET bot (Celje and Prebold,
Slovenia), ready to upload to the EU Urban Initiative's Portico platform.

## Files

- `stories.json`: every story as one JSON object in a list (fields below)
- `stories.schema.json`: the JSON Schema (draft 2020-12) `stories.json` follows; check a
  bundle with any validator, e.g. `python -m jsonschema -i stories.json stories.schema.json`
  or `check-jsonschema --schemafile stories.schema.json stories.json`
- `stories/<id>-<slug>.md`: each story as Markdown, Slovenian first, then English
- `photos/<id>.jpg`: the story's photo, when it has one and it could be fetched

## Fields of `stories.json`

- `id`: the story's number in the bot
- `kind`: `official` (written by the MAGNET coordinators in both languages) or `resident`
  (sent by a resident in their language and approved by the coordinators)
- `title_sl`, `title_en`, `text_sl`, `text_en`: the story; a resident's story has only the
  language it was written in (the other is `null`)
- `theme`: the theme's code (`housing`, `mobility`, `industry`, `culture`, `energy`) and
  `theme_label` its English name
- `published_at`: when it was published, ISO 8601 in UTC
- `photo`: the photo's path in this bundle, or `null`; `photo_missing` is `true` when the
  story has a photo that could not be fetched from Telegram
- `markdown`: the path of the story's Markdown file
- `recipients`: how many residents following the theme it was sent to

Stories carry no author: residents' names and Telegram accounts are never exported.

Generated: {generated}
"""


def schema_text() -> str:
    """The JSON Schema of `stories.json`, shipped in the package and in every bundle."""
    return files(__package__).joinpath("portico.schema.json").read_text(encoding="utf-8")


def slug(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40] or "story"


def _markdown(story: Story, photo: str | None, topics: Sequence[Choice]) -> str:
    parts = []
    for title, text, language in (
        (story.title_sl, story.text_sl, "Slovenščina"),
        (story.title_en, story.text_en, "English"),
    ):
        if title or text:
            parts.append(f"# {title or ''}\n\n*{language}*\n\n{text or ''}\n")
    theme = label_of(topics, story.topic) or ""
    published = story.published_at.date().isoformat() if story.published_at else ""
    head = f"Theme: {theme}  \nPublished: {published}  \nKind: {story.kind}\n"
    image = f"\n![photo](../{photo})\n" if photo else ""
    return head + image + "\n" + "\n---\n\n".join(parts)


async def stories_zip(
    sessions: async_sessionmaker[AsyncSession],
    fetch: PhotoFetcher | None,
    *,
    route: str,
    who: str | None,
    topics: Sequence[Choice] | None = None,
) -> tuple[bytes, int]:
    """The bundle and how many stories it holds; the export is audit-logged. Themes are
    named in English, as the town's profile labels them."""
    topics = load_profile().topics if topics is None else topics
    async with sessions() as session:
        stories = list(await repo.list_all_published(session))
    out = io.BytesIO()
    records: list[dict[str, Any]] = []
    missing = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for story in stories:
            photo_path = None
            if story.photo_file_id and fetch is not None:
                data = await fetch(story.photo_file_id)
                if data:
                    photo_path = f"photos/{story.id}.jpg"
                    bundle.writestr(photo_path, data)
            lost = bool(story.photo_file_id) and photo_path is None
            missing += lost
            markdown = f"stories/{story.id}-{slug(story.title_en or story.title_sl or '')}.md"
            bundle.writestr(markdown, _markdown(story, photo_path, topics))
            records.append(
                {
                    "id": story.id,
                    "kind": story.kind,
                    "title_sl": story.title_sl,
                    "title_en": story.title_en,
                    "text_sl": story.text_sl,
                    "text_en": story.text_en,
                    "theme": story.topic,
                    "theme_label": label_of(topics, story.topic),
                    "published_at": story.published_at.isoformat() if story.published_at else None,
                    "photo": photo_path,
                    "photo_missing": lost,
                    "markdown": markdown,
                    "recipients": story.recipients,
                }
            )
        bundle.writestr("stories.json", json.dumps(records, ensure_ascii=False, indent=2))
        bundle.writestr("stories.schema.json", schema_text())
        generated = datetime.now(UTC).isoformat(timespec="seconds")
        bundle.writestr("README.md", README.replace("{generated}", generated))
    async with sessions.begin() as session:
        await audit_repo.add_audit_entry(
            session,
            "stories.export",
            actor_telegram_id=None,
            details={
                "route": route,
                "who": who,
                "stories": len(records),
                "photos_missing": missing,
            },
        )
    log.info("stories export: %d stories, %d photos missing", len(records), missing)
    return out.getvalue(), len(records)
