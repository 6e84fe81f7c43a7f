"""Ideas in Telegram: residents write, read and support them; coordinators moderate and answer."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Awaiting
from bot.context import MagnetContext
from bot.numbers import parse_int
from bot.services.ideas.types import Editable, IdeaAwaiting, Outcome
from handlers.common import button, command
from handlers.ideas import browse, compose, moderate

HANDLERS = [
    command("idea", compose.start_idea),
    command("ideas", browse.show_ideas),
    button(NS.IDEA, "topic", compose.choose_topic),
    button(NS.IDEA, "muni", compose.choose_municipality),
    button(NS.IDEA, "nophoto", compose.skip_photo),
    button(NS.IDEA, "submit", compose.submit),
    button(NS.IDEA, "discard", compose.discard),
    button(NS.IDEA, "list", browse.list_ideas),
    button(NS.IDEA, "themes", browse.choose_theme),
    button(NS.IDEA, "open", browse.open_idea),
    button(NS.IDEA, "support", browse.support_idea),
    button(NS.IDEA, "unsupport", browse.withdraw_support),
    button(NS.IDEA, "mine", browse.my_ideas),
    button(NS.IDEA, "new", browse.new_idea),
    button(NS.IDEA, "delete", browse.delete_idea),
    button(NS.IDEA, "confirm_delete", browse.confirm_delete),
    moderate.coordinator_press("approve", moderate.approve),
    moderate.coordinator_press("reject", moderate.reject),
    moderate.coordinator_press("edit", moderate.edit),
    moderate.coordinator_press("edit_field", moderate.edit_field),
    moderate.coordinator_press("pending", moderate.show_pending),
    moderate.coordinator_press("status", moderate.choose_status),
    moderate.coordinator_press("outcome", moderate.choose_outcome),
    moderate.coordinator_press("lab", moderate.choose_lab),
]


def _id(awaiting: Awaiting) -> int | None:
    return parse_int(awaiting.arg(0))


async def _draft(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    idea_id = _id(awaiting)
    return idea_id is not None and await compose.draft_text(update, context, idea_id)


async def _draft_media(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    idea_id = _id(awaiting)
    return idea_id is not None and await compose.draft_media(update, context, idea_id)


async def _reason(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    idea_id = _id(awaiting)
    return idea_id is not None and await moderate.reason_text(update, context, idea_id)


async def _edit(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    idea_id, field = _id(awaiting), awaiting.arg(1)
    if idea_id is None or field not in set(Editable):
        return False
    return await moderate.edit_text(update, context, idea_id, Editable(field))


async def _answer(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    idea_id, outcome = _id(awaiting), awaiting.arg(1)
    lab = parse_int(awaiting.arg(2)) if awaiting.arg(2) is not None else None
    if idea_id is None or outcome not in set(Outcome):
        return False
    return await moderate.answer_text(update, context, idea_id, Outcome(outcome), lab)


# What a resident or coordinator types while an idea step waits for it (`resident.awaiting`).
AWAITING = {
    IdeaAwaiting.DRAFT: _draft,
    IdeaAwaiting.REJECT: _reason,
    IdeaAwaiting.EDIT: _edit,
    IdeaAwaiting.ANSWER: _answer,
}
# ...and what they send that is not text (a photo for the draft; anything else is explained).
AWAITING_MEDIA = {
    IdeaAwaiting.DRAFT: _draft_media,
    IdeaAwaiting.REJECT: _reason,
    IdeaAwaiting.EDIT: _edit,
    IdeaAwaiting.ANSWER: _answer,
}
