"""Typed text and media go to whichever feature waits for them, else to the fallbacks.

`resident.awaiting` says which feature asked last ("lab", "labedit:<id>:<field>",
"fb:<registration>", "ann"); announcements keep their draft-based routing otherwise.
"""

from __future__ import annotations

from telegram import Update

from bot.context import MagnetContext
from bot.services.labs.types import EDITABLE
from handlers import fallback
from handlers.announcements import compose as announce
from handlers.labs import compose as lab_admin
from handlers.labs import signup as labs
from handlers.surveys import answer as survey


async def _awaited(update: Update, context: MagnetContext) -> bool:
    resident = context.resident
    focus = resident.awaiting if resident is not None else None
    if not focus:
        return False
    kind, _, rest = focus.partition(":")
    if kind == "lab":
        return await lab_admin.compose_text(update, context)
    if kind == "labedit":
        lab_id, _, field = rest.partition(":")
        steps = {s.value: s for s in EDITABLE}
        if lab_id.isdigit() and field in steps:
            return await lab_admin.edit_text(update, context, int(lab_id), steps[field])
    if kind in ("survey", "survey_other") and rest:
        return await survey.survey_text(update, context, rest, other=kind == "survey_other")
    if kind == "fb" and rest.isdigit():
        return await labs.feedback_text(update, context, int(rest))
    return False


async def route_text(update: Update, context: MagnetContext) -> None:
    if await _awaited(update, context):
        return
    if await announce.compose_text(update, context):
        return
    await fallback.stray_text(update, context)


async def route_media(update: Update, context: MagnetContext) -> None:
    if not await announce.compose_photo(update, context):
        await fallback.unsupported_media(update, context)
