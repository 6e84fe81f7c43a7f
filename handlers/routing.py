"""Typed text and media go to whichever feature waits for them, else to the fallbacks."""

from __future__ import annotations

from telegram import Update

from bot.context import MagnetContext
from handlers import announce, fallback


async def route_text(update: Update, context: MagnetContext) -> None:
    if not await announce.compose_text(update, context):
        await fallback.stray_text(update, context)


async def route_media(update: Update, context: MagnetContext) -> None:
    if not await announce.compose_photo(update, context):
        await fallback.unsupported_media(update, context)
