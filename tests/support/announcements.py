"""An announcement to everyone, composed through the service's steps as /announce walks them."""

from __future__ import annotations

from typing import Any

from bot.services.announcements.types import AnnouncementView, Audience, Compose


async def ready_to_send(
    services: Any, author: int, text: str, *, urgent: bool = False
) -> AnnouncementView:
    """The author's draft at its preview: `text` in both languages, no photo, to everyone."""
    drafts = services.announcements.drafts
    draft, _ = await drafts.start(author, "sl")
    draft = await drafts.set_text(author, draft.id, text)
    draft = await drafts.same_text(author, draft.id)
    draft = await drafts.skip_photo(author, draft.id)
    draft = await drafts.choose_audience(author, draft.id, Audience.ALL)
    if draft.step == Compose.URGENCY:
        draft = await drafts.set_urgency(author, draft.id, urgent)
    assert draft.step == Compose.PREVIEW
    return draft
