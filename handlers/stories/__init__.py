"""Urban stories in Telegram: coordinators publish, residents read and submit their own."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Awaiting
from bot.context import MagnetContext
from bot.numbers import parse_int
from bot.services.stories.types import Editable, StoryAwaiting
from handlers.common import button, command
from handlers.stories import browse, compose, moderate

HANDLERS = [
    command("story", compose.start_story),
    command("stories", browse.show_stories),
    button(NS.STORY, "same", compose.same_text),
    button(NS.STORY, "topic", compose.choose_topic),
    button(NS.STORY, "nophoto", compose.skip_photo),
    button(NS.STORY, "finish", compose.finish),
    button(NS.STORY, "discard", compose.discard),
    button(NS.STORY, "list", browse.list_stories),
    button(NS.STORY, "open", browse.open_story),
    button(NS.STORY, "new", browse.new_story),
    moderate.coordinator_press("approve", moderate.approve),
    moderate.coordinator_press("reject", moderate.reject),
    moderate.coordinator_press("edit", moderate.edit),
    moderate.coordinator_press("edit_field", moderate.edit_field),
]


async def _draft(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    story_id = parse_int(awaiting.arg(0))
    return story_id is not None and await compose.draft_text(update, context, story_id)


async def _draft_media(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    story_id = parse_int(awaiting.arg(0))
    return story_id is not None and await compose.draft_media(update, context, story_id)


async def _reason(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    story_id = parse_int(awaiting.arg(0))
    return story_id is not None and await moderate.reason_text(update, context, story_id)


async def _edit(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    story_id, field = parse_int(awaiting.arg(0)), awaiting.arg(1)
    if story_id is None or field not in set(Editable):
        return False
    return await moderate.edit_text(update, context, story_id, Editable(field))


AWAITING = {StoryAwaiting.DRAFT: _draft, StoryAwaiting.REJECT: _reason, StoryAwaiting.EDIT: _edit}
AWAITING_MEDIA = {
    StoryAwaiting.DRAFT: _draft_media,
    StoryAwaiting.REJECT: _reason,
    StoryAwaiting.EDIT: _edit,
}
