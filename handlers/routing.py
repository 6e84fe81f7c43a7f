"""Typed text and media go to whichever feature waits for them, else to the fallbacks.

`resident.awaiting` (a `bot.codec.Awaiting`) names the feature that asked last; each feature
package lists its kinds in AWAITING. An announcement draft takes text and photos otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.codec import Awaiting
from bot.context import MagnetContext
from handlers import conversations, fallback, ideas, labs, stories, surveys
from handlers.announcements import compose as announcements

TextHandler = Callable[[Update, MagnetContext, Awaiting], Awaitable[bool]]
AWAITING: dict[str, TextHandler] = {
    **labs.AWAITING,
    **surveys.AWAITING,
    **ideas.AWAITING,
    **stories.AWAITING,
    **conversations.AWAITING,
}
# Features that also take (or politely refuse) a photo or other media while they wait.
AWAITING_MEDIA: dict[str, TextHandler] = {**ideas.AWAITING_MEDIA, **stories.AWAITING_MEDIA}


async def _awaited(
    update: Update, context: MagnetContext, table: dict[str, TextHandler] = AWAITING
) -> bool:
    resident = context.resident
    awaiting = Awaiting.decode(resident.awaiting if resident is not None else None)
    handler = table.get(awaiting.kind) if awaiting is not None else None
    return handler is not None and await handler(update, context, awaiting)


async def route_text(update: Update, context: MagnetContext) -> None:
    if await _awaited(update, context):
        return
    if await announcements.compose_text(update, context):
        return
    await fallback.stray_text(update, context)


async def route_media(update: Update, context: MagnetContext) -> None:
    if await _awaited(update, context, AWAITING_MEDIA):
        return
    if not await announcements.compose_photo(update, context):
        await fallback.unsupported_media(update, context)
