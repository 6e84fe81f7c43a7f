"""/surveys (/ankete) for coordinators: each survey's round, its completed and partial
responses; open and close rounds, and invite every reachable resident once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.domain import Role, RoundStatus
from bot.i18n import Translator
from bot.services.surveys.errors import SurveyError, SurveyProblem
from bot.services.surveys.types import RoundState
from handlers.common import (
    Button,
    answer,
    bold,
    escape,
    keyboard,
    requires_role,
    show,
    stale_button,
)

T = TypeVar("T")


@requires_role(Role.COORDINATOR)
async def list_surveys(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    lines = [bold(tr.gettext("Surveys"))]
    rows = []
    for state in await context.services.surveys.rounds.states():
        lines += ["", bold(state.title.get(tr.locale) or state.code), *_round_lines(tr, state)]
        rows.append(_round_buttons(tr, state))
    await show(update, "\n".join(lines), keyboard(rows))


def _round_lines(tr: Translator, state: RoundState) -> list[str]:
    if state.number is None:
        return [escape(tr.gettext("No round yet."))]
    status = (
        # TRANSLATORS: Status of a survey ROUND (sl masculine "krog"), inserted into
        # "Round %(number)d: %(status)s since %(when)s".
        tr.gettext("open")
        if state.status == RoundStatus.OPEN
        # TRANSLATORS: Status of a survey ROUND (sl masculine "krog"), inserted into
        # "Round %(number)d: %(status)s since %(when)s".
        else tr.gettext("closed")
    )
    since = tr.gettext("Round %(number)d: %(status)s since %(when)s") % {
        "number": state.number,
        "status": status,
        "when": tr.when(state.opened_at) if state.opened_at else "—",
    }
    counts = (
        tr.ngettext(
            "%(count)d completed response", "%(count)d completed responses", state.completed
        )
        % {"count": state.completed}
        + " · "
        + tr.ngettext("%(count)d unfinished", "%(count)d unfinished", state.partial)
        % {"count": state.partial}
    )
    return [escape(since), escape(counts)]


def _round_buttons(tr: Translator, state: RoundState) -> list[Button]:
    if state.status != RoundStatus.OPEN:
        return [(tr.gettext("▶️ Open a new round"), encode(NS.SURVEY_ROUNDS, "open", state.code))]
    row = [(tr.gettext("⏹ Close the round"), encode(NS.SURVEY_ROUNDS, "close", state.code))]
    if not state.invited:
        row.append(
            (tr.gettext("📣 Invite residents"), encode(NS.SURVEY_ROUNDS, "invite", state.code))
        )
    return row


def _survey(context: MagnetContext, callback: Callback) -> str | None:
    code = callback.arg(0)
    return code if code in context.services.surveys.shipped else None


async def _act(
    update: Update,
    context: MagnetContext,
    callback: Callback,
    act: Callable[[int, str], Awaitable[T]],
    done: Callable[[Translator, T], str],
) -> None:
    """A coordinator's button on a survey's rounds: act, say how it went, show the list again."""
    if (code := _survey(context, callback)) is None:
        await stale_button(update, context, f"{callback.action} a round of {callback.args}")
        return
    try:
        result = await act(context.me.telegram_id, code)
    except SurveyError as exc:
        await _refused(update, context, exc)
    else:
        await answer(update, done(context.tr, result))
    await list_surveys(update, context)


@requires_role(Role.COORDINATOR)
async def open_round(update: Update, context: MagnetContext, callback: Callback) -> None:
    def done(tr: Translator, state: RoundState) -> str:
        return tr.gettext("Round %(number)d is open.") % {"number": state.number}

    await _act(update, context, callback, context.services.surveys.rounds.open, done)


@requires_role(Role.COORDINATOR)
async def close_round(update: Update, context: MagnetContext, callback: Callback) -> None:
    def done(tr: Translator, state: RoundState) -> str:
        return tr.gettext("Round %(number)d is closed.") % {"number": state.number}

    await _act(update, context, callback, context.services.surveys.rounds.close, done)


@requires_role(Role.COORDINATOR)
async def invite_residents(update: Update, context: MagnetContext, callback: Callback) -> None:
    def done(tr: Translator, count: int) -> str:
        return tr.ngettext(
            "Inviting %(count)d resident.", "Inviting %(count)d residents.", count
        ) % {"count": count}

    await _act(update, context, callback, context.services.surveys.rounds.invite, done)


async def _refused(update: Update, context: MagnetContext, exc: SurveyError) -> None:
    tr = context.tr
    texts = {
        SurveyProblem.ALREADY_OPEN: tr.gettext("A round is already open."),
        SurveyProblem.NOT_OPEN: tr.gettext("No round is open."),
        SurveyProblem.STALE: tr.gettext("The residents have already been invited to this round."),
    }
    await answer(
        update, texts.get(exc.problem, tr.gettext("This button is no longer valid.")), alert=True
    )
