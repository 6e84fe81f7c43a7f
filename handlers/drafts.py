"""The buttons of a resident's moderated draft (an idea, a story), the same for both: the
draft's id from the callback, then the feature's action; a press for a draft that has moved
on gets the stale-button answer, any other refusal the feature's own words.

The service side of the same drafts is `bot.services.drafts`."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TypeVar

from telegram import Update

from bot.codec import Callback
from bot.context import MagnetContext
from bot.i18n import Translator
from bot.services.errors import DomainError
from handlers.common import ButtonHandler, answer, requires_onboarding, stale_button

E = TypeVar("E", bound=DomainError)
DraftAction = Callable[[Update, MagnetContext, int, str | None], Awaitable[None]]


def draft_buttons(
    noun: str, error: type[E], stale: Enum, problem_text: Callable[[Translator, E], str]
) -> Callable[[DraftAction], ButtonHandler]:
    """A decorator for the feature's draft buttons (`noun` names it in the logs)."""

    def draft_button(action: DraftAction) -> ButtonHandler:
        @requires_onboarding
        @functools.wraps(action)
        async def handle(update: Update, context: MagnetContext, callback: Callback) -> None:
            draft_id = callback.int_arg(0)
            if draft_id is None:
                await stale_button(update, context, f"{noun} {callback.action} without an id")
                return
            try:
                await action(update, context, draft_id, callback.arg(1))
            except error as exc:
                if exc.problem == stale:
                    await stale_button(update, context, f"{noun} draft: {exc}")
                else:
                    await answer(update, problem_text(context.tr, exc), alert=True)

        return handle

    return draft_button
