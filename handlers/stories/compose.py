"""/story (/zgodba): a coordinator writes an urban story in both languages and publishes it to
residents who follow its theme; a resident writes their own, which the coordinators moderate.
The draft lives in the database (`resident.awaiting` points at it): a restart loses nothing."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import MagnetContext
from bot.domain import Role
from bot.services.stories.service import StoryService
from bot.services.stories.types import StoryError, StoryKind, StoryProblem, StoryStep, StoryView
from handlers.common import answer, escape, requires_onboarding, send
from handlers.drafts import draft_buttons
from handlers.ideas.show import put
from handlers.stories import screens

log = logging.getLogger(__name__)

ASK_AGAIN = {StoryProblem.WANTS_BUTTON, StoryProblem.WANTS_TEXT}


def service(context: MagnetContext) -> StoryService:
    return context.services.stories


@requires_onboarding
async def start_story(update: Update, context: MagnetContext) -> None:
    official = context.me.has_role(Role.COORDINATOR)
    draft, new = await service(context).start(context.me.telegram_id, context.tr.locale, official)
    if not new:
        text = context.tr.gettext("You have an unfinished story; let's continue it.")
        await send(update, escape(text))
    await ask(update, context, draft, fresh=True)


async def ask(
    update: Update, context: MagnetContext, draft: StoryView, *, fresh: bool = False
) -> None:
    tr = context.tr
    if draft.step == StoryStep.PREVIEW:
        readers = {loc: context.services.i18n.get(loc) for loc in ("sl", "en")}
        for screen in screens.preview(tr, draft, readers):
            await put(update, screen, fresh=True)
        return
    await put(update, screens.step(tr, draft), fresh=fresh or update.callback_query is None)


async def _refuse(
    update: Update, context: MagnetContext, exc: StoryError, draft: StoryView
) -> None:
    log.info("story input refused: %s", exc.problem.value)
    await send(update, escape(screens.problem_text(context.tr, exc)))
    if exc.problem in ASK_AGAIN:
        await ask(update, context, draft, fresh=True)


async def draft_text(update: Update, context: MagnetContext, story_id: int) -> bool:
    draft = await service(context).draft(context.me.telegram_id)
    if draft is None or draft.id != story_id:
        return False
    message = update.effective_message
    assert message is not None
    try:
        changed = await service(context).set_text(context.me.telegram_id, story_id, message.text)
    except StoryError as exc:
        await _refuse(update, context, exc, draft)
        return True
    await ask(update, context, changed)
    return True


async def draft_media(update: Update, context: MagnetContext, story_id: int) -> bool:
    draft = await service(context).draft(context.me.telegram_id)
    if draft is None or draft.id != story_id:
        return False
    message = update.effective_message
    assert message is not None
    if draft.step != StoryStep.PHOTO or not message.photo:
        text_step = draft.step not in (StoryStep.TOPIC, StoryStep.PREVIEW)
        problem = StoryProblem.WANTS_TEXT if text_step else StoryProblem.WANTS_BUTTON
        await _refuse(update, context, StoryError(problem), draft)
        return True
    changed = await service(context).set_photo(
        context.me.telegram_id, story_id, message.photo[-1].file_id
    )
    await ask(update, context, changed)
    return True


# The draft's buttons, as stories' and ideas' share them.
draft_button = draft_buttons("story", StoryError, StoryProblem.STALE, screens.problem_text)


@draft_button
async def same_text(update: Update, context: MagnetContext, story_id: int, _: str | None) -> None:
    draft = await service(context).same_text(context.me.telegram_id, story_id)
    await answer(update)
    await ask(update, context, draft)


@draft_button
async def choose_topic(
    update: Update, context: MagnetContext, story_id: int, code: str | None
) -> None:
    draft = await service(context).choose_topic(context.me.telegram_id, story_id, code or "")
    await answer(update)
    await ask(update, context, draft)


@draft_button
async def skip_photo(update: Update, context: MagnetContext, story_id: int, _: str | None) -> None:
    draft = await service(context).set_photo(context.me.telegram_id, story_id, None)
    await answer(update)
    await ask(update, context, draft)


@draft_button
async def finish(update: Update, context: MagnetContext, story_id: int, _: str | None) -> None:
    story = await service(context).finish(context.me.telegram_id, story_id)
    await answer(update)
    tr = context.tr
    if story.kind == StoryKind.OFFICIAL:
        text = tr.ngettext(
            "📣 Story #%(id)d is published; it is going to %(count)d resident.",
            "📣 Story #%(id)d is published; it is going to %(count)d residents.",
            story.recipients,
        ) % {"id": story.id, "count": story.recipients}
    else:
        text = tr.gettext(
            "📨 Thank you! Your story is with the coordinators. I will tell you when it is "
            "published."
        )
    await send(update, escape(text))


@draft_button
async def discard(update: Update, context: MagnetContext, story_id: int, _: str | None) -> None:
    await service(context).discard(context.me.telegram_id, story_id)
    await answer(update)
    await send(update, escape(context.tr.gettext("The story is discarded.")))
