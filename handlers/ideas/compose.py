"""/idea (/ideja): a resident writes an idea step by step, sees it as it will appear, submits.

The draft and its step live in the database (and `resident.awaiting` points at it), so a
restart loses nothing; the service decides each next step.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import MagnetContext
from bot.services.ideas.service import IdeaService
from bot.services.ideas.types import IdeaError, IdeaProblem, IdeaStep, IdeaView
from handlers.common import answer, escape, requires_onboarding, send
from handlers.drafts import draft_buttons
from handlers.ideas import screens
from handlers.ideas.show import put

log = logging.getLogger(__name__)

ASK_AGAIN = {IdeaProblem.WANTS_BUTTON, IdeaProblem.WANTS_TEXT}


def service(context: MagnetContext) -> IdeaService:
    return context.services.ideas


@requires_onboarding
async def start_idea(update: Update, context: MagnetContext) -> None:
    draft, new = await service(context).start(context.me.telegram_id, context.tr.locale)
    if not new:
        text = context.tr.gettext("You have an unfinished idea; let's continue it.")
        await send(update, escape(text))
    await ask(update, context, draft, fresh=True)


async def ask(
    update: Update, context: MagnetContext, draft: IdeaView, *, fresh: bool = False
) -> None:
    tr = context.tr
    if draft.step == IdeaStep.PREVIEW:
        for screen in screens.preview(tr, draft):
            await put(update, screen, fresh=True)
        return
    # Questions that follow a typed answer come as new messages; buttons edit in place.
    await put(update, screens.step(tr, draft), fresh=fresh or update.callback_query is None)


async def _refuse(
    update: Update, context: MagnetContext, exc: IdeaError, draft: IdeaView | None
) -> None:
    log.info("idea input refused: %s", exc.problem.value)
    await send(update, escape(screens.problem_text(context.tr, exc)))
    if draft is not None and exc.problem in ASK_AGAIN:
        await ask(update, context, draft, fresh=True)


async def draft_text(update: Update, context: MagnetContext, idea_id: int) -> bool:
    """Typed text for the resident's draft; False if that draft is gone."""
    draft = await service(context).draft(context.me.telegram_id)
    if draft is None or draft.id != idea_id:
        return False
    message = update.effective_message
    assert message is not None
    try:
        changed = await service(context).set_text(context.me.telegram_id, idea_id, message.text)
    except IdeaError as exc:
        await _refuse(update, context, exc, draft)
        return True
    await ask(update, context, changed)
    return True


async def draft_media(update: Update, context: MagnetContext, idea_id: int) -> bool:
    """A photo (or a sticker, a file...) while a draft waits; False if that draft is gone."""
    draft = await service(context).draft(context.me.telegram_id)
    if draft is None or draft.id != idea_id:
        return False
    message = update.effective_message
    assert message is not None
    if draft.step != IdeaStep.PHOTO or not message.photo:
        problem = (
            IdeaProblem.WANTS_TEXT
            if draft.step in (IdeaStep.TITLE, IdeaStep.TEXT)
            else (IdeaProblem.WANTS_BUTTON)
        )
        await _refuse(update, context, IdeaError(problem), draft)
        return True
    changed = await service(context).set_photo(
        context.me.telegram_id, idea_id, message.photo[-1].file_id
    )
    await ask(update, context, changed)
    return True


# The draft's buttons, as stories' and ideas' share them.
draft_button = draft_buttons("idea", IdeaError, IdeaProblem.STALE, screens.problem_text)


@draft_button
async def choose_topic(
    update: Update, context: MagnetContext, idea_id: int, code: str | None
) -> None:
    draft = await service(context).choose(
        context.me.telegram_id, idea_id, IdeaStep.TOPIC, code or ""
    )
    await answer(update)
    await ask(update, context, draft)


@draft_button
async def choose_municipality(
    update: Update, context: MagnetContext, idea_id: int, code: str | None
) -> None:
    draft = await service(context).choose(
        context.me.telegram_id, idea_id, IdeaStep.MUNICIPALITY, code or ""
    )
    await answer(update)
    await ask(update, context, draft)


@draft_button
async def skip_photo(update: Update, context: MagnetContext, idea_id: int, _: str | None) -> None:
    draft = await service(context).set_photo(context.me.telegram_id, idea_id, None)
    await answer(update)
    await ask(update, context, draft)


@draft_button
async def submit(update: Update, context: MagnetContext, idea_id: int, _: str | None) -> None:
    await service(context).submit(context.me.telegram_id, idea_id)
    await answer(update)
    await send(update, screens.submitted(context.tr))


@draft_button
async def discard(update: Update, context: MagnetContext, idea_id: int, _: str | None) -> None:
    await service(context).discard(context.me.telegram_id, idea_id)
    await answer(update)
    await send(update, escape(context.tr.gettext("The idea is discarded.")))
