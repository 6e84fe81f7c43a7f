"""/survey (/anketa): the intro, one question at a time, Back and Skip, the summary, Submit,
and a lab that matches the reasons given. Every answer is stored as it is given."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Update

from bot.codec import Callback, awaiting
from bot.context import MagnetContext
from bot.domain import ResponseStatus
from bot.services.surveys.definition import Kind
from bot.services.surveys.errors import SurveyError, SurveyProblem
from bot.services.surveys.types import Position, Submitted
from handlers.common import answer, escape, requires_onboarding, send, show, stale_button
from handlers.surveys import funnel, screens

log = logging.getLogger(__name__)

# A step of ResponseService through the questions: (code, telegram id, version, ordinal, ...).
Move = Callable[..., Awaitable[Position]]


def problem_text(context: MagnetContext, problem: SurveyProblem, detail: str = "") -> str:
    tr = context.tr
    texts = {
        SurveyProblem.NO_ROUND: tr.gettext(
            "There is no survey open at the moment. We will let you know when there is one."
        ),
        SurveyProblem.DONE: tr.gettext(
            "You have already answered the survey in this round. Thank you! Each resident "
            "answers once per round."
        ),
        SurveyProblem.STALE: tr.gettext(
            "That button belongs to an earlier question. Here is where you are:"
        ),
        SurveyProblem.REQUIRED: tr.gettext("This question needs an answer."),
        SurveyProblem.TOO_MANY: tr.gettext("You can choose at most %(max)s. Untick one first.")
        % {"max": detail},
        SurveyProblem.OUT_OF_RANGE: tr.gettext(
            "That number is outside the range. Please try again."
        ),
        SurveyProblem.NOT_A_NUMBER: tr.gettext("Please write a whole number, like 12."),
        SurveyProblem.TOO_LONG: tr.gettext("Please keep it to %(max)s characters at most.")
        % {"max": detail},
        SurveyProblem.BAD_VALUE: tr.gettext("Please write your answer."),
        SurveyProblem.USE_BUTTONS: tr.gettext("Please answer with the buttons below."),
    }
    return texts.get(problem, tr.gettext("This button is no longer valid."))


def _code(context: MagnetContext) -> str:
    return context.services.surveys.default_code()


@requires_onboarding
async def start_survey(update: Update, context: MagnetContext) -> None:
    await show_intro(update, context, _code(context))


@requires_onboarding
async def intro_button(update: Update, context: MagnetContext, callback: Callback) -> None:
    await show_intro(update, context, _code(context))


async def show_intro(update: Update, context: MagnetContext, code: str) -> None:
    services, tr, me = context.services, context.tr, context.me
    state = await services.surveys.responses.status(code, me.telegram_id)
    await answer(update)
    if state == "none":
        await show(update, escape(problem_text(context, SurveyProblem.NO_ROUND)))
        return
    if state == ResponseStatus.COMPLETED:
        log.info("resident %s tried the survey %s again this round", me.id, code)
        await show(update, escape(problem_text(context, SurveyProblem.DONE)))
        return
    if state == ResponseStatus.IN_PROGRESS:
        position = await services.surveys.responses.position(code, me.telegram_id)
        welcome = tr.gettext("Welcome back! Let's continue where you left off.")
        await _ask(update, context, code, position, fresh=True, lead=welcome)
        return
    await show(
        update, *screens.intro(tr, services.surveys.shipped[code], services.settings.min_group_size)
    )


@requires_onboarding
async def begin_survey(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The resident chose how their answers are kept: the first question (or where they were)."""
    how = callback.arg(0)
    if how not in ("anonymous", "profile"):
        await stale_button(update, context, f"survey begin {callback.args}")
        return
    code, me = _code(context), context.me
    try:
        position = await context.services.surveys.responses.begin(
            code, me.telegram_id, anonymous=how == "anonymous"
        )
    except SurveyError as exc:
        await _refused(update, context, code, exc)
        return
    await context.services.residents.set_awaiting(me.telegram_id, awaiting("survey", code))
    await answer(update)
    await _ask(update, context, code, position)


@requires_onboarding
async def choose_option(update: Update, context: MagnetContext, callback: Callback) -> None:
    """A tap on an option (or a number of a scale)."""
    await _move(update, context, callback, context.services.surveys.responses.choose, 3)


@requires_onboarding
async def finish_choice(update: Update, context: MagnetContext, callback: Callback) -> None:
    """Done, on a multiple choice."""
    await _move(update, context, callback, context.services.surveys.responses.done)


@requires_onboarding
async def skip_question(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _move(update, context, callback, context.services.surveys.responses.skip)


@requires_onboarding
async def go_back(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _move(update, context, callback, context.services.surveys.responses.back)


@requires_onboarding
async def edit_answer(update: Update, context: MagnetContext, callback: Callback) -> None:
    """A number on the summary: that question again."""
    await _move(update, context, callback, context.services.surveys.responses.edit)


async def _move(
    update: Update, context: MagnetContext, callback: Callback, move: Move, count: int = 2
) -> None:
    """A button that moves through the questions, with its integer arguments (the version,
    the question's ordinal, maybe the option); then the question the resident is at."""
    args = _integers(callback, count)
    if args is None:
        await stale_button(update, context, f"survey {callback.action} {callback.args}")
        return
    code = _code(context)
    try:
        position = await move(code, context.me.telegram_id, *args)
    except SurveyError as exc:
        await _refused(update, context, code, exc)
        return
    await answer(update)
    await _ask(update, context, code, position)


def _integers(callback: Callback, count: int) -> tuple[int, ...] | None:
    """The button's `count` integer arguments, or None if it was forged."""
    if len(callback.args) != count:
        return None
    values = tuple(callback.int_arg(i, low=-1) for i in range(count))  # -1: the summary
    return None if None in values else values  # type: ignore[return-value]


@requires_onboarding
async def write_other(update: Update, context: MagnetContext, callback: Callback) -> None:
    """The "Other…" option: the resident's next text is their own answer to the question (on
    a multiple choice where it is already ticked, the press unticks it)."""
    args = _integers(callback, 2)
    if args is None:
        await stale_button(update, context, f"survey other {callback.args}")
        return
    code, me = _code(context), context.me
    try:
        position, write = await context.services.surveys.responses.other(
            code, me.telegram_id, *args
        )
    except SurveyError as exc:
        await _refused(update, context, code, exc)
        return
    await answer(update)
    if not write:
        await _ask(update, context, code, position)
        return
    await context.services.residents.set_awaiting(me.telegram_id, awaiting("survey_other", code))
    await send(update, escape(context.tr.gettext("Please write your answer in a few words.")))


@requires_onboarding
async def submit_survey(update: Update, context: MagnetContext, callback: Callback) -> None:
    args = _integers(callback, 2)
    if args is None:
        await stale_button(update, context, f"survey submit {callback.args}")
        return
    code, uid = _code(context), context.me.telegram_id
    try:
        result = await context.services.surveys.responses.submit(code, uid, args[0])
    except SurveyError as exc:
        await _refused(update, context, code, exc)
        return
    await answer(update)
    if isinstance(result, Submitted):
        await _thank(update, context, result)
    else:
        required = problem_text(context, SurveyProblem.REQUIRED)
        await _ask(update, context, code, result, fresh=True, lead=required)


async def _refused(update: Update, context: MagnetContext, code: str, exc: SurveyError) -> None:
    """A polite answer; for a stale button, the question the resident is really at."""
    me = context.me
    log.info("survey input from resident %s refused: %s", me.id, exc)
    text = problem_text(context, exc.problem, exc.detail)
    if exc.problem in (SurveyProblem.TOO_MANY, SurveyProblem.REQUIRED) and update.callback_query:
        await answer(update, text, alert=True)
        return
    await answer(update, text if update.callback_query else None)
    if exc.problem in (SurveyProblem.DONE, SurveyProblem.NO_ROUND, SurveyProblem.NOT_STARTED):
        await send(update, escape(text))
        return
    position = await context.services.surveys.responses.position(code, me.telegram_id)
    await _ask(update, context, code, position, fresh=True, lead=text)


async def _ask(
    update: Update,
    context: MagnetContext,
    code: str,
    position: Position,
    fresh: bool = False,
    lead: str | None = None,
) -> None:
    """The question the resident is at (or the summary); `lead`, a line said first, goes in
    the same message: one message, not two, for a problem or a welcome back."""
    tr = context.tr
    if position.question is None:
        text, markup = screens.summary(tr, position)
    else:
        text, markup = screens.question(tr, position)
    if lead:
        text = f"{escape(lead)}\n\n{text}"
    if fresh or update.callback_query is None:
        await send(update, text, markup)
    else:
        await show(update, text, markup)


async def survey_text(update: Update, context: MagnetContext, code: str, other: bool) -> bool:
    """Typed input while answering: a number, a text, or "other"; else a polite re-ask."""
    me, message = context.me, update.effective_message
    assert message is not None and message.text is not None
    service = context.services.surveys.responses
    try:
        position = await service.position(code, me.telegram_id)
    except SurveyError:
        await context.services.residents.set_awaiting(me.telegram_id, None)
        return False
    question = position.question
    typed = question is not None and (
        question.type in (Kind.NUMBER, Kind.TEXT) or (other and question.other)
    )
    if not typed:
        use_buttons = problem_text(context, SurveyProblem.USE_BUTTONS)
        await _ask(update, context, code, position, fresh=True, lead=use_buttons)
        return True
    try:
        position = await service.type_in(code, me.telegram_id, message.text, other=other)
    except SurveyError as exc:
        problem = problem_text(context, exc.problem, exc.detail)
        await _ask(update, context, code, position, fresh=True, lead=problem)
        return True
    if other:
        await context.services.residents.set_awaiting(me.telegram_id, awaiting("survey", code))
    await _ask(update, context, code, position, fresh=True)
    return True


async def _thank(update: Update, context: MagnetContext, submitted: Submitted) -> None:
    tr, services = context.tr, context.services
    await services.residents.set_awaiting(context.me.telegram_id, None)
    await show(update, escape(tr.gettext("✅ Thank you! Your answers are saved.")))
    for topic in submitted.topics:
        labs = await services.labs.upcoming(topic=topic, limit=5)
        now = datetime.now(UTC)
        lab = next((lab for lab in labs if lab.open_for_signup(now)), None)
        if lab is not None:
            number = await funnel.count_suggested(context, submitted.survey.code)
            await send(update, *screens.suggestion(tr, lab, number))
            return
