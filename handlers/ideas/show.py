"""Showing an idea screen: as text, or as a photo whose caption it is when it fits."""

from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest

from bot.textfit import CAPTION_MAX, utf16_len
from handlers.common import send, show
from handlers.ideas.screens import Screen


async def put(update: Update, screen: Screen, *, fresh: bool = False) -> None:
    """Edit the pressed message where it can be; a photo's text past 1024 units follows it."""
    if screen.photo is None:
        if fresh:
            await send(update, screen.text, screen.markup)
        else:
            await show(update, screen.text, screen.markup)
        return
    fits = utf16_len(screen.text) <= CAPTION_MAX
    query = update.callback_query
    pressed = query.message if query is not None else None
    editable = (
        pressed is not None and pressed.is_accessible and bool(getattr(pressed, "photo", None))
    )
    if not fresh and fits and query is not None and editable:
        try:
            await query.edit_message_caption(screen.text, reply_markup=screen.markup)
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
    chat = update.effective_chat
    assert chat is not None
    if fits:
        await chat.send_photo(screen.photo, caption=screen.text, reply_markup=screen.markup)
        return
    await chat.send_photo(screen.photo)
    await send(update, screen.text, screen.markup)
