"""From the survey to the labs: the lab suggested at the end of the survey, counted per round
when it is shown and when someone signs up from it (counts only: nothing ties the sign-up to
the answers that led to it)."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Callback
from bot.context import MagnetContext
from bot.domain import ACTIVE
from bot.numbers import ROW_ID_MAX
from handlers.common import stale_button
from handlers.labs.signup import join_lab


async def count_suggested(context: MagnetContext, code: str) -> int | None:
    """One more respondent of the open round shown a lab; the round's number, for the button."""
    state = await context.services.surveys.rounds.state(code)
    if state.number is None:
        return None
    await context.services.digests.views.count_suggested(code, state.number)
    return state.number


async def join_suggested_lab(update: Update, context: MagnetContext, callback: Callback) -> None:
    """ "Sign up" under the suggestion: the lab's own sign-up, then counted if it took."""
    number, lab_id, version = (callback.int_arg(i, 0, ROW_ID_MAX) for i in range(3))
    if number is None or lab_id is None or version is None:
        await stale_button(update, context, f"survey join {callback.args}")
        return
    labs, me = context.services.labs, context.me
    before = await labs.registration(lab_id, me.telegram_id)
    await join_lab(update, context, Callback(NS.LAB, "join", (str(lab_id), str(version), "0")))
    after = await labs.registration(lab_id, me.telegram_id)
    if (
        after is not None
        and after.status in ACTIVE
        and (before is None or before.status not in ACTIVE)
    ):
        code = context.services.surveys.default_code()
        await context.services.digests.views.count_signed_up(code, number)
