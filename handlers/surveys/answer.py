"""/survey (/anketa): the intro, one question at a time, Back and Skip, the summary, Submit,
and a lab that matches the reasons given. Every answer is stored as it is given."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update

from bot.codec import decode
from bot.context import MagnetContext
from bot.services.surveys.definition import Kind, Question
from bot.services.surveys.responses import Position, Submitted, SurveyError, SurveyProblem
from handlers.common import answer, escape, requires_onboarding, send, show
from handlers.common import stale_button as _stale
from handlers.surveys import screens as ss

log = logging.getLogger(__name__)


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


async def show_intro(update: Update, context: MagnetContext, code: str) -> None:
    services, tr = context.services, context.tr
    resident = context.resident
    assert resident is not None
    state = await services.surveys.status(code, resident.telegram_id)
    await answer(update)
    if state == "none":
        await show(update, escape(problem_text(context, SurveyProblem.NO_ROUND)))
        return
    if state == "completed":
        log.info("resident %s tried the survey %s again this round", resident.id, code)
        await show(update, escape(problem_text(context, SurveyProblem.DONE)))
        return
    if state == "in_progress":
        position = await services.surveys.position(code, resident.telegram_id)
        await send(update, escape(tr.gettext("Welcome back! Let's continue where you left off.")))
        await _ask(update, context, code, position, fresh=True)
        return
    survey = services.surveys.surveys[code]
    await show(update, *ss.intro(tr, survey))


@requires_onboarding
async def survey_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    resident = context.resident
    assert resident is not None
    if callback is None:
        await _stale(update, context, "undecodable survey button")
        return
    code = _code(context)
    action, args = callback.action, callback.args
    service = context.services.surveys
    try:
        if action == "intro":
            await show_intro(update, context, code)
            return
        if action == "go" and args and args[0] in ("0", "1"):
            position = await service.begin(code, resident.telegram_id, anonymous=args[0] == "1")
            await context.services.residents.set_awaiting(resident.telegram_id, f"survey:{code}")
            await answer(update)
            await _ask(update, context, code, position)
            return
        if len(args) < 2 or not all(_int(a) for a in args):
            await _stale(update, context, f"survey button {action} {args}")
            return
        version, ordinal = int(args[0]), int(args[1])
        uid = resident.telegram_id
        if action == "c" and len(args) == 3:
            position = await service.choose(code, uid, version, ordinal, int(args[2]))
        elif action == "d":
            position = await service.done(code, uid, version, ordinal)
        elif action == "s":
            position = await service.skip(code, uid, version, ordinal)
        elif action == "b":
            position = await service.back(code, uid, version, ordinal)
        elif action == "e":
            position = await service.edit(code, uid, version, ordinal)
        elif action == "o":
            await service.position(code, uid)  # still in progress
            await context.services.residents.set_awaiting(uid, f"survey_other:{code}")
            await answer(update)
            await send(
                update, escape(context.tr.gettext("Please write your answer in a few words."))
            )
            return
        elif action == "sub":
            result = await service.submit(code, uid, version)
            await answer(update)
            if isinstance(result, Submitted):
                await _thank(update, context, result)
            else:
                await send(update, escape(problem_text(context, SurveyProblem.REQUIRED)))
                await _ask(update, context, code, result, fresh=True)
            return
        else:
            await _stale(update, context, f"survey action {action}")
            return
    except SurveyError as exc:
        await _refused(update, context, code, exc)
        return
    await answer(update)
    await _ask(update, context, code, position)


def _int(value: str) -> bool:
    return value.lstrip("-").isdigit()


async def _refused(update: Update, context: MagnetContext, code: str, exc: SurveyError) -> None:
    """A polite answer; for a stale button, the question the resident is really at."""
    resident = context.resident
    assert resident is not None
    log.info("survey input from resident %s refused: %s", resident.id, exc)
    text = problem_text(context, exc.problem, exc.detail)
    if exc.problem in (SurveyProblem.TOO_MANY, SurveyProblem.REQUIRED) and update.callback_query:
        await answer(update, text, alert=True)
        return
    await answer(update, text if update.callback_query else None)
    await send(update, escape(text))
    if exc.problem in (SurveyProblem.DONE, SurveyProblem.NO_ROUND, SurveyProblem.NOT_STARTED):
        return
    position = await context.services.surveys.position(code, resident.telegram_id)
    await _ask(update, context, code, position, fresh=True)


async def _ask(
    update: Update, context: MagnetContext, code: str, position: Position, fresh: bool = False
) -> None:
    tr = context.tr
    screen = ss.summary(tr, position) if position.question is None else ss.question(tr, position)
    if fresh or update.callback_query is None:
        await send(update, *screen)
    else:
        await show(update, *screen)


async def survey_text(update: Update, context: MagnetContext, code: str, other: bool) -> bool:
    """Typed input while answering: a number, a text, or "other"; else a polite re-ask."""
    resident, message = context.resident, update.effective_message
    assert resident is not None and message is not None and message.text is not None
    service = context.services.surveys
    try:
        position = await service.position(code, resident.telegram_id)
    except SurveyError:
        await context.services.residents.set_awaiting(resident.telegram_id, None)
        return False
    question: Question | None = position.question
    typed = question is not None and (
        question.type in (Kind.NUMBER, Kind.TEXT) or (other and question.other)
    )
    if not typed:
        await send(update, escape(problem_text(context, SurveyProblem.USE_BUTTONS)))
        await _ask(update, context, code, position, fresh=True)
        return True
    try:
        position = await service.type_in(code, resident.telegram_id, message.text, other=other)
    except SurveyError as exc:
        await send(update, escape(problem_text(context, exc.problem, exc.detail)))
        await _ask(update, context, code, position, fresh=True)
        return True
    if other:
        await context.services.residents.set_awaiting(resident.telegram_id, f"survey:{code}")
    await _ask(update, context, code, position, fresh=True)
    return True


async def _thank(update: Update, context: MagnetContext, submitted: Submitted) -> None:
    tr, services = context.tr, context.services
    resident = context.resident
    assert resident is not None
    await services.residents.set_awaiting(resident.telegram_id, None)
    await show(update, escape(tr.gettext("✅ Thank you! Your answers are saved.")))
    for topic in submitted.topics:
        labs = await services.labs.upcoming(topic=topic, limit=5)
        now = datetime.now(UTC)
        lab = next((lab for lab in labs if lab.open_for_signup(now)), None)
        if lab is not None:
            await send(update, *ss.suggestion(tr, lab))
            return
