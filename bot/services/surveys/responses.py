"""The survey engine: rounds, one response per resident per round, every answer stored as it
is given, Back/Skip/edit from the summary, anonymity, and the lab a resident's reasons suggest.

A response is found by a keyed hash of (round, Telegram id), never by a stored link in
anonymous mode: the hash resumes a half-finished survey and refuses a second one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.surveys.definition import Kind, Question, Survey
from bot.services.surveys.errors import SurveyError, SurveyProblem
from bot.services.surveys.rounds import RoundState, SurveyRounds
from storage.models import SurveyResponse, SurveyRound
from storage.repositories import residents as residents_repo
from storage.repositories import surveys as repo

log = logging.getLogger(__name__)

__all__ = ["Position", "RoundState", "Submitted", "SurveyError", "SurveyProblem", "SurveyService"]

SUMMARY = "summary"
# Reasons, in the order they speak for a lab suggestion (pushed away first).
SUGGESTING = ("reasons_leave", "would_stay", "reasons_left", "bring_back", "reasons_stay")


@dataclass(frozen=True)
class Position:
    """Where a resident is in their response: a question, or the summary."""

    survey: Survey
    version_id: int
    round_number: int
    anonymous: bool
    question: Question | None  # None: the summary
    answers: dict[str, Any]  # answered (not skipped) question code -> value
    other_texts: dict[str, str]
    skipped: frozenset[str]
    path: tuple[Question, ...]
    editing: bool = False

    @property
    def index(self) -> int:
        """1-based number of the current question on the resident's path."""
        if self.question is None:
            return len(self.path)
        return next(i for i, q in enumerate(self.path, start=1) if q.code == self.question.code)

    @property
    def total(self) -> int:
        return len(self.path)

    def ordinal(self, question: Question) -> int:
        """The question's index in the whole definition (what buttons carry)."""
        return self.survey.ordered.index(question)


@dataclass(frozen=True)
class Submitted:
    survey: Survey
    respondent: str
    topics: tuple[str, ...] = field(default_factory=tuple)


def _now() -> datetime:
    return datetime.now(UTC)


class SurveyService(SurveyRounds):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        surveys: list[Survey],
        secret: str | None = None,
    ):
        self._sessions = sessions
        self.surveys = {s.code: s for s in surveys}
        self._secret = secret.encode() if secret else None
        self._versions: dict[int, Survey] = {}

    # ---- definitions and keys --------------------------------------------------------------

    async def sync(self) -> None:
        """Record each shipped definition; a changed one becomes the next version."""
        async with self._sessions.begin() as session:
            for survey in self.surveys.values():
                definition = survey.model_dump(mode="json", by_alias=True)
                await repo.add_version_if_new(session, survey.code, survey.checksum(), definition)
            if self._secret is None:
                key = await repo.app_secret(session, "survey_hash", lambda: secrets.token_hex(32))
                self._secret = key.encode()
                log.warning(
                    "MAGNET_SURVEY_SECRET is not set: survey hashes use a key kept in the "
                    "database; set one so that a copy of the database alone cannot link "
                    "anonymous answers to residents"
                )

    def _hash(self, round_id: int, telegram_id: int) -> str:
        assert self._secret is not None, "sync() first"
        message = f"{round_id}:{telegram_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    async def _definition(self, session: AsyncSession, version_id: int) -> Survey:
        if version_id not in self._versions:
            version = await repo.get_version(session, version_id)
            assert version is not None
            self._versions[version_id] = Survey.model_validate(version.definition)
        return self._versions[version_id]

    def default_code(self) -> str:
        return next(iter(self.surveys))

    # ---- a resident's response -------------------------------------------------------------

    async def _round(self, session: AsyncSession, code: str) -> SurveyRound:
        current = await repo.open_round(session, code)
        if current is None:
            raise SurveyError(SurveyProblem.NO_ROUND, code)
        return current

    async def _response(
        self, session: AsyncSession, code: str, telegram_id: int, lock: bool = False
    ) -> tuple[SurveyRound, SurveyResponse | None]:
        current = await self._round(session, code)
        response = await repo.response_by_hash(
            session, current.id, self._hash(current.id, telegram_id), lock=lock
        )
        return current, response

    async def status(self, code: str, telegram_id: int) -> str:
        """'none' (no open round), 'new', 'in_progress' or 'completed'."""
        async with self._sessions() as session:
            try:
                _, response = await self._response(session, code, telegram_id)
            except SurveyError:
                return "none"
            return response.status if response else "new"

    async def begin(self, code: str, telegram_id: int, anonymous: bool) -> Position:
        """Start (or resume) the resident's response; two taps at once make one response."""
        try:
            return await self._begin(code, telegram_id, anonymous)
        except IntegrityError:
            return await self._begin(code, telegram_id, anonymous)

    async def _begin(self, code: str, telegram_id: int, anonymous: bool) -> Position:
        async with self._sessions.begin() as session:
            current, response = await self._response(session, code, telegram_id, lock=True)
            if response is not None and response.status == "completed":
                raise SurveyError(SurveyProblem.DONE)
            if response is None:
                version = await repo.latest_version(session, code)
                assert version is not None, "sync() records the shipped surveys"
                resident = await residents_repo.get_resident(session, telegram_id)
                survey = await self._definition(session, version.id)
                response = SurveyResponse(
                    round_id=current.id,
                    version_id=version.id,
                    respondent=secrets.token_hex(16),
                    dedupe_hash=self._hash(current.id, telegram_id),
                    resident_id=None if anonymous or resident is None else resident.id,
                    anonymous=anonymous,
                    status="in_progress",
                    current=survey.ordered[0].code,
                )
                session.add(response)
                await session.flush()
                log.info("survey %s round %s: a response started", code, current.number)
            return await self._position(session, current, response)

    async def position(self, code: str, telegram_id: int) -> Position:
        async with self._sessions() as session:
            current, response = await self._response(session, code, telegram_id)
            if response is None:
                raise SurveyError(SurveyProblem.NOT_STARTED)
            if response.status == "completed":
                raise SurveyError(SurveyProblem.DONE)
            return await self._position(session, current, response)

    async def _position(
        self, session: AsyncSession, current: SurveyRound, response: SurveyResponse
    ) -> Position:
        survey = await self._definition(session, response.version_id)
        rows = await repo.answers_of(session, response.id)
        answers = {a.question_code: a.value for a in rows if a.value is not None}
        skipped = frozenset(a.question_code for a in rows if a.value is None)
        others = {a.question_code: a.other_text for a in rows if a.other_text}
        question = None if response.current == SUMMARY else survey.question(response.current or "")
        return Position(
            survey=survey,
            version_id=response.version_id,
            round_number=current.number,
            anonymous=response.anonymous,
            question=question,
            answers=answers,
            other_texts=others,
            skipped=skipped,
            path=tuple(survey.path(answers)),
            editing=response.editing,
        )

    async def _in_progress(
        self, session: AsyncSession, code: str, telegram_id: int
    ) -> tuple[SurveyRound, SurveyResponse, Survey]:
        """The resident's unfinished response, locked, with its definition."""
        current, response = await self._response(session, code, telegram_id, lock=True)
        if response is None:
            raise SurveyError(SurveyProblem.NOT_STARTED)
        if response.status == "completed":
            raise SurveyError(SurveyProblem.DONE)
        return current, response, await self._definition(session, response.version_id)

    async def _at(
        self, session: AsyncSession, code: str, telegram_id: int, version_id: int, ordinal: int
    ) -> tuple[SurveyRound, SurveyResponse, Survey, Question | None]:
        """The response, checked to be at the question a button was for (else STALE)."""
        current, response, survey = await self._in_progress(session, code, telegram_id)
        if version_id != response.version_id:
            raise SurveyError(SurveyProblem.STALE, f"version {version_id}")
        if ordinal == -1:
            return current, response, survey, None
        if not 0 <= ordinal < len(survey.ordered):
            raise SurveyError(SurveyProblem.STALE, f"question {ordinal}")
        question = survey.ordered[ordinal]
        if response.current != question.code:
            raise SurveyError(SurveyProblem.STALE, f"{question.code} is not current")
        return current, response, survey, question

    async def choose(
        self, code: str, telegram_id: int, version_id: int, ordinal: int, option: int
    ) -> Position:
        """A tap on an option: single choice and scale answer and move on; multiple choice
        toggles (the selection is stored at once) and waits for Done."""
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at(
                session, code, telegram_id, version_id, ordinal
            )
            assert question is not None
            if question.type == Kind.SCALE:
                if not 1 <= option <= 5:
                    raise SurveyError(SurveyProblem.BAD_VALUE, str(option))
                await repo.put_answer(session, response, question.code, option)
                await self._advance(session, survey, response, question)
            elif question.type == Kind.SINGLE:
                if not 0 <= option < len(question.options):
                    raise SurveyError(SurveyProblem.BAD_VALUE, str(option))
                await repo.put_answer(
                    session, response, question.code, question.options[option].code
                )
                await self._advance(session, survey, response, question)
            elif question.type == Kind.MULTI:
                if not 0 <= option < len(question.options):
                    raise SurveyError(SurveyProblem.BAD_VALUE, str(option))
                rows = {
                    a.question_code: a.value for a in await repo.answers_of(session, response.id)
                }
                chosen = list(rows.get(question.code) or [])
                picked = question.options[option].code
                if picked in chosen:
                    chosen.remove(picked)
                elif question.max is not None and len(chosen) >= question.max:
                    raise SurveyError(SurveyProblem.TOO_MANY, str(question.max))
                else:
                    chosen.append(picked)
                order = [o.code for o in question.options]
                await repo.put_answer(
                    session, response, question.code, sorted(chosen, key=order.index) or None
                )
            else:
                raise SurveyError(SurveyProblem.USE_BUTTONS)
            return await self._position(session, current, response)

    async def done(self, code: str, telegram_id: int, version_id: int, ordinal: int) -> Position:
        """Multiple choice: the selection is complete."""
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at(
                session, code, telegram_id, version_id, ordinal
            )
            assert question is not None
            rows = {a.question_code: a.value for a in await repo.answers_of(session, response.id)}
            if question.type != Kind.MULTI:
                raise SurveyError(SurveyProblem.STALE, "done on a non-multi question")
            if not rows.get(question.code):
                if question.required:
                    raise SurveyError(SurveyProblem.REQUIRED)
                await repo.put_answer(session, response, question.code, None)
            await self._advance(session, survey, response, question)
            return await self._position(session, current, response)

    async def type_in(
        self, code: str, telegram_id: int, text: str, other: bool = False
    ) -> Position:
        """Typed input: a number, a free text, or the "other" of a single choice."""
        async with self._sessions.begin() as session:
            current, response, survey = await self._in_progress(session, code, telegram_id)
            question = survey.question(response.current or "")
            if question is None:
                raise SurveyError(SurveyProblem.USE_BUTTONS)
            value: Any
            other_text = None
            text = text.strip()
            if other and question.type == Kind.SINGLE and question.other:
                if not text:
                    raise SurveyError(SurveyProblem.BAD_VALUE)
                if len(text) > 200:
                    raise SurveyError(SurveyProblem.TOO_LONG, "200")
                value, other_text = "other", text
            elif question.type == Kind.NUMBER:
                normalised = text.replace(",", ".").replace(" ", "")
                try:
                    number = float(normalised)
                except ValueError:
                    raise SurveyError(SurveyProblem.NOT_A_NUMBER) from None
                if not number.is_integer():
                    raise SurveyError(SurveyProblem.NOT_A_NUMBER)
                assert question.min is not None and question.max is not None
                if not question.min <= number <= question.max:
                    raise SurveyError(SurveyProblem.OUT_OF_RANGE)
                value = int(number)
            elif question.type == Kind.TEXT:
                if not text:
                    raise SurveyError(SurveyProblem.BAD_VALUE)
                if len(text) > question.text_limit:
                    raise SurveyError(SurveyProblem.TOO_LONG, str(question.text_limit))
                value = text
            else:
                raise SurveyError(SurveyProblem.USE_BUTTONS)
            await repo.put_answer(session, response, question.code, value, other_text)
            await self._advance(session, survey, response, question)
            return await self._position(session, current, response)

    async def skip(self, code: str, telegram_id: int, version_id: int, ordinal: int) -> Position:
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at(
                session, code, telegram_id, version_id, ordinal
            )
            assert question is not None
            if question.required:
                raise SurveyError(SurveyProblem.REQUIRED)
            await repo.put_answer(session, response, question.code, None)
            await self._advance(session, survey, response, question)
            return await self._position(session, current, response)

    async def back(self, code: str, telegram_id: int, version_id: int, ordinal: int) -> Position:
        """The previous question on the path (from the summary: the last one)."""
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at(
                session, code, telegram_id, version_id, ordinal
            )
            answers = await self._answers(session, response)
            path = survey.path(answers)
            if question is None:
                previous = path[-1] if path else None
            else:
                before = [q for q in path if survey.ordered.index(q) < ordinal]
                previous = before[-1] if before else None
            if previous is not None:
                response.current, response.editing = previous.code, False
            await session.flush()
            return await self._position(session, current, response)

    async def edit(self, code: str, telegram_id: int, version_id: int, ordinal: int) -> Position:
        """From the summary: change one answer, then come back to the summary."""
        async with self._sessions.begin() as session:
            current, response, survey, _ = await self._at(
                session, code, telegram_id, version_id, -1
            )
            if response.current != SUMMARY or not 0 <= ordinal < len(survey.ordered):
                raise SurveyError(SurveyProblem.STALE, "not at the summary")
            target = survey.ordered[ordinal]
            if target not in survey.path(await self._answers(session, response)):
                raise SurveyError(SurveyProblem.STALE, f"{target.code} is not on the path")
            response.current, response.editing = target.code, True
            await session.flush()
            return await self._position(session, current, response)

    async def _answers(self, session: AsyncSession, response: SurveyResponse) -> dict[str, Any]:
        return {
            a.question_code: a.value
            for a in await repo.answers_of(session, response.id)
            if a.value is not None
        }

    async def _advance(
        self, session: AsyncSession, survey: Survey, response: SurveyResponse, after: Question
    ) -> None:
        """Next: the following question on the path; when editing from the summary, the first
        question the change newly put on the path, else back to the summary."""
        rows = await repo.answers_of(session, response.id)
        answers = {a.question_code: a.value for a in rows if a.value is not None}
        seen = {a.question_code for a in rows}
        path = survey.path(answers)
        if response.editing:
            unseen = [q for q in path if q.code not in seen]
            response.current = unseen[0].code if unseen else SUMMARY
            response.editing = bool(unseen)
        else:
            index = survey.ordered.index(after)
            later = [q for q in path if survey.ordered.index(q) > index]
            response.current = later[0].code if later else SUMMARY
        await session.flush()

    async def submit(self, code: str, telegram_id: int, version_id: int) -> Submitted | Position:
        """Complete the response; if a required answer is missing, the position to give it."""
        async with self._sessions.begin() as session:
            current, response, survey, _ = await self._at(
                session, code, telegram_id, version_id, -1
            )
            if response.current != SUMMARY:
                raise SurveyError(SurveyProblem.STALE, "not at the summary")
            rows = await repo.answers_of(session, response.id)
            answers = {a.question_code: a.value for a in rows if a.value is not None}
            path = survey.path(answers)
            on_path = {q.code for q in path}
            missing = [q for q in path if q.required and q.code not in answers]
            if missing:
                response.current, response.editing = missing[0].code, True
                await session.flush()
                return await self._position(session, current, response)
            # Answers a changed branch left behind are not part of the response.
            await repo.delete_answers(
                session,
                response.id,
                [a.question_code for a in rows if a.question_code not in on_path],
            )
            resident = await residents_repo.get_resident(session, telegram_id)
            if resident is not None:
                response.municipality = resident.municipality
                response.age_band = resident.age_band
                response.resident_status = resident.status
            response.status, response.completed_at = "completed", _now()
            response.current, response.editing = None, False
            log.info("survey %s round %s: a response completed", code, current.number)
            return Submitted(survey, response.respondent, _topics(survey, answers))


def _topics(survey: Survey, answers: dict[str, Any]) -> tuple[str, ...]:
    """Lab themes the reasons point to, most telling first."""
    found: list[str] = []
    for code in SUGGESTING:
        question = survey.question(code)
        given = answers.get(code)
        if question is None or not given:
            continue
        for value in given if isinstance(given, list) else [given]:
            option = question.option(value)
            if option is not None and option.topic and option.topic not in found:
                found.append(option.topic)
    return tuple(found)
