"""Feedback after a lab: was it useful, would you come again (two taps), and one optional line."""

from __future__ import annotations

import logging

from telegram import Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.services.labs.types import FEEDBACK_TEXT_MAX, LabError
from handlers.common import answer, escape, keyboard, send, show
from handlers.labs import screens
from handlers.labs.problems import BadButton, numbers, resident_button

log = logging.getLogger(__name__)


def _rating(callback: Callback) -> tuple[int, int]:
    reg_id, value = numbers(callback, 2)
    if value not in (1, 2, 3):
        raise BadButton(f"rating {callback.args}")
    return reg_id, value


@resident_button
async def rate_useful(update: Update, context: MagnetContext, callback: Callback) -> None:
    reg_id, value = _rating(callback)
    tr = context.tr
    await context.services.lab_records.give_feedback(reg_id, context.me.telegram_id, useful=value)
    await answer(update)
    await show(
        update,
        escape(tr.gettext("Would you come to a lab like this again?")),
        screens.again_buttons(tr, reg_id),
    )


@resident_button
async def rate_again(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The second answer; the service then awaits the optional line."""
    reg_id, value = _rating(callback)
    tr = context.tr
    await context.services.lab_records.give_feedback(reg_id, context.me.telegram_id, again=value)
    await answer(update)
    text = tr.gettext(
        "Anything else you'd like to tell the organisers? Write one line, or tap Skip. "
        "It reaches them without your name."
    )
    skip = encode(NS.LAB, "skip_comment", reg_id)
    await show(update, escape(text), keyboard([[(tr.gettext("Skip"), skip)]]))


@resident_button
async def skip_comment(update: Update, context: MagnetContext, callback: Callback) -> None:
    numbers(callback, 1)
    await context.services.residents.set_awaiting(context.me.telegram_id, None)
    await answer(update)
    await show(update, escape(context.tr.gettext("Thank you for your feedback!")))


async def comment(update: Update, context: MagnetContext, reg_id: int) -> bool:
    """The optional line of feedback, typed after the buttons."""
    tr, services = context.tr, context.services
    telegram_id, message = context.me.telegram_id, update.effective_message
    assert message is not None and message.text is not None
    text = message.text.strip()
    if len(text) > FEEDBACK_TEXT_MAX:
        await send(
            update,
            escape(
                tr.gettext("Please keep it under %(limit)d characters; yours has %(length)d.")
                % {"limit": FEEDBACK_TEXT_MAX, "length": len(text)}
            ),
        )
        return True
    try:
        await services.lab_records.give_feedback(reg_id, telegram_id, text=text)
    except LabError as exc:
        log.info("feedback text for %s refused: %s", reg_id, exc)
        await services.residents.set_awaiting(telegram_id, None)
        return False
    await send(update, escape(tr.gettext("Thank you for your feedback!")))
    return True
