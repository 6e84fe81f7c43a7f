"""How labs say no: the one wording of each LabProblem, and the wrappers that turn a refused
request or a malformed button into a polite answer."""

from __future__ import annotations

import functools
import logging
from typing import Any

from telegram import Update

from bot.codec import Callback
from bot.context import MagnetContext
from bot.domain import Role
from bot.i18n import Translator
from bot.services.labs.parsing import InputError
from bot.services.labs.types import LabError, LabProblem
from bot.services.labs.wording import input_text
from bot.textfit import cut
from handlers.common import (
    ButtonHandler,
    answer,
    escape,
    requires_onboarding,
    requires_role,
    send,
    stale_button,
)

log = logging.getLogger(__name__)


class BadButton(Exception):
    """Callback arguments of a shape we never produced."""


def numbers(callback: Callback, count: int) -> list[int]:
    """The first `count` arguments of a button, which must be whole numbers."""
    values = [callback.int_arg(i) for i in range(count)]  # ASCII digits, within a row id
    if any(v is None for v in values):
        raise BadButton(f"{callback.action} {callback.args}")
    return [v for v in values if v is not None]


def problem_text(tr: Translator, problem: LabProblem, detail: str = "") -> str:
    texts = {
        LabProblem.NOT_FOUND: tr.gettext(
            "I couldn't find that lab: it may have been cancelled, or the link is incomplete."
        ),
        LabProblem.CANCELLED: tr.gettext("This lab has been cancelled."),
        LabProblem.STARTED: tr.gettext("This lab has already started."),
        LabProblem.CLOSED: tr.gettext("Registration for this lab has closed."),
        LabProblem.STALE: tr.gettext(
            "This lab was changed in the meantime. Here it is as it is now; please check "
            "and try again."
        ),
        LabProblem.ALREADY: tr.gettext("You are already signed up for this lab."),
        LabProblem.NOT_SIGNED_UP: tr.gettext("You are not signed up for this lab."),
        LabProblem.NO_OFFER: tr.gettext("This offer is no longer open."),
        LabProblem.OFFER_EXPIRED: tr.gettext(
            "Sorry, this offer has expired and the seat went to the next person waiting."
        ),
        LabProblem.GUESTS: tr.gettext("This lab doesn't take guests."),
        LabProblem.NOT_ENDED: tr.gettext("The lab hasn't ended yet."),
        LabProblem.NOT_CONFIRMED: tr.gettext("This registration is not confirmed."),
        LabProblem.UNKNOWN_CODE: tr.gettext("No registration has the code %(code)s.")
        % {"code": cut(detail, 32)},  # whatever was typed, echoed only as far as a code goes
        LabProblem.NO_SEAT: tr.gettext(
            "This registration is not confirmed (waitlist or cancelled)."
        ),
        LabProblem.NOT_NOW: tr.gettext("Check-in is open only around the time of the lab."),
    }
    return texts.get(LabProblem(problem), tr.gettext("This button is no longer valid."))


async def refuse(update: Update, context: MagnetContext, exc: LabError) -> None:
    """Tell the resident why: an alert on a button, else a message."""
    log.info("lab request refused: %s", exc.problem.value)  # the detail may be typed text
    text = problem_text(context.tr, LabProblem(exc.problem), exc.detail)
    await answer(update, text, alert=True)
    if update.callback_query is None:
        await send(update, escape(text))


def resident_button(handler: ButtonHandler) -> ButtonHandler:
    """A resident's lab button: onboarded residents only; refusals answered politely."""

    @requires_onboarding
    @functools.wraps(handler)
    async def wrapper(update: Update, context: MagnetContext, callback: Callback) -> Any:
        try:
            return await handler(update, context, callback)
        except BadButton as exc:
            await stale_button(update, context, f"lab button {exc}")
        except LabError as exc:
            await refuse(update, context, exc)
        return None

    return wrapper


# Refusals that mean the coordinator pressed a button from before a change.
OUTDATED = (LabProblem.STALE, LabProblem.NOT_FOUND, LabProblem.NOT_YOURS)


def coordinator_button(handler: ButtonHandler) -> ButtonHandler:
    """A coordinator's lab button: coordinators only; an outdated button is answered as such."""

    @requires_role(Role.COORDINATOR)
    @functools.wraps(handler)
    async def wrapper(update: Update, context: MagnetContext, callback: Callback) -> Any:
        try:
            return await handler(update, context, callback)
        except BadButton as exc:
            await stale_button(update, context, f"lab admin button {exc}")
        except InputError as exc:
            await answer(update, input_text(context.tr, exc), alert=True)
        except LabError as exc:
            if exc.problem in OUTDATED:
                await stale_button(update, context, f"lab admin {callback.args}: {exc}")
            else:
                await answer(update, problem_text(context.tr, LabProblem(exc.problem)), alert=True)
        return None

    return wrapper
