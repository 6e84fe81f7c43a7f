"""/stories (/zgodbe): the published urban stories, newest first, each readable in full."""

from __future__ import annotations

import logging

from telegram import Update

from bot.codec import Callback
from bot.context import MagnetContext
from bot.services.stories.types import StoryError
from handlers.common import answer, requires_onboarding, show, stale_button
from handlers.ideas.show import put
from handlers.stories import compose, screens

log = logging.getLogger(__name__)


async def _listing(update: Update, context: MagnetContext, offset: int) -> None:
    screen = screens.listing(context.tr, await compose.service(context).published(offset))
    await show(update, screen.text, screen.markup)


@requires_onboarding
async def show_stories(update: Update, context: MagnetContext) -> None:
    await _listing(update, context, 0)


@requires_onboarding
async def list_stories(update: Update, context: MagnetContext, callback: Callback) -> None:
    offset = callback.int_arg(0, 0, 100_000)
    if offset is None:
        await stale_button(update, context, f"story list {callback.args}")
        return
    await answer(update)
    await _listing(update, context, offset)


@requires_onboarding
async def open_story(update: Update, context: MagnetContext, callback: Callback) -> None:
    story_id = callback.int_arg(0)
    if story_id is None:
        await stale_button(update, context, f"story {callback.args}")
        return
    try:
        story = await compose.service(context).get(story_id)
    except StoryError as exc:
        await answer(update, screens.problem_text(context.tr, exc), alert=True)
        return
    await answer(update)
    await put(update, screens.card(context.tr, story))


@requires_onboarding
async def new_story(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    await compose.start_story(update, context)
