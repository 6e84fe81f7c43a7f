"""A resident's response: one per resident per round, every answer stored as it is given,
Back/Skip/edit from the summary, anonymity, and the lab a resident's reasons suggest.

A response is found by a keyed hash of (round, Telegram id), never by a stored link in
anonymous mode: the hash resumes a half-finished survey and refuses a second one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ResponseStatus
from bot.services.surveys import answers as rules
from bot.services.surveys.answers import OTHER, SUMMARY
from bot.services.surveys.definition import Kind, Question, Survey
from bot.services.surveys.errors import SurveyError, SurveyProblem
from bot.services.surveys.types import Position, Submitted
from storage.db import reading
from storage.models import SurveyAnswer, SurveyResponse, SurveyRound, utcnow
from storage.repositories import residents as residents_repo
from storage.repositories import surveys as repo

log = logging.getLogger(__name__)


class ResponseService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        shipped: dict[str, Survey],
        secret: str | None = None,
    ):
        self._sessions = sessions
        self._shipped = shipped
        self._secret = secret.encode() if secret else None
        self._versions: dict[int, Survey] = {}
        # Each survey's open round as last seen: a tap checks it is still open while reading
        # the response, in one statement; the database stays the judge of open or closed.
        self._open_rounds: dict[str, int] = {}

    async def sync(self) -> None:
        """Record each shipped definition (a changed one becomes the next version)."""
        async with self._sessions.begin() as session:
            for survey in self._shipped.values():
                definition = survey.model_dump(mode="json", by_alias=True)
                await repo.add_version_if_new(session, survey.code, survey.checksum(), definition)

    def dedupe_hash(self, round_id: int, telegram_id: int) -> str:
        """What finds a resident's response in a round, without storing who they are."""
        assert self._secret is not None, "the bot starts only with MAGNET_SURVEY_SECRET set"
        message = f"{round_id}:{telegram_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    async def forget_in(self, session: AsyncSession, telegram_id: int) -> list[int]:
        """Erase what the keyed hash still ties to this person: their participation records
        and unfinished anonymous responses. The rounds they had taken part in."""
        rounds = await repo.list_round_ids(session)
        return await repo.delete_traces(
            session, {r: self.dedupe_hash(r, telegram_id) for r in rounds}
        )

    async def participated_in(self, session: AsyncSession, telegram_id: int) -> list[int]:
        """The rounds this person finished, as the participation records say (for /mydata)."""
        rounds = await repo.list_round_ids(session)
        return [
            r
            for r in rounds
            if await repo.has_participated(session, r, self.dedupe_hash(r, telegram_id))
        ]

    async def _definition(self, session: AsyncSession, version_id: int) -> Survey:
        if version_id not in self._versions:
            version = await repo.get_version(session, version_id)
            assert version is not None
            self._versions[version_id] = Survey.model_validate(version.definition)
        return self._versions[version_id]

    async def _response(
        self, session: AsyncSession, code: str, telegram_id: int, lock: bool = False
    ) -> tuple[SurveyRound, SurveyResponse | None]:
        known = self._open_rounds.get(code)
        if known is not None:
            found = await repo.open_round_response(
                session, known, self.dedupe_hash(known, telegram_id), lock=lock
            )
            if found is not None:
                return found
        current = await repo.open_round(session, code)
        if current is None:
            self._open_rounds.pop(code, None)
            raise SurveyError(SurveyProblem.NO_ROUND, code)
        self._open_rounds[code] = current.id
        key = self.dedupe_hash(current.id, telegram_id)
        response = await repo.response_by_hash(session, current.id, key, lock=lock)
        if response is None and await repo.has_participated(session, current.id, key):
            raise SurveyError(SurveyProblem.DONE)
        return current, response

    async def status(self, code: str, telegram_id: int) -> str:
        """'none' (no open round), 'new', 'in_progress' or 'completed'."""
        async with reading(self._sessions) as session:
            try:
                _, response = await self._response(session, code, telegram_id)
            except SurveyError as exc:
                return ResponseStatus.COMPLETED if exc.problem == SurveyProblem.DONE else "none"
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
            if response is not None and response.status == ResponseStatus.COMPLETED:
                raise SurveyError(SurveyProblem.DONE)
            if response is None:
                response = await self._start(session, current, code, telegram_id, anonymous)
            return await self._position(session, current, response)

    async def _start(
        self,
        session: AsyncSession,
        current: SurveyRound,
        code: str,
        telegram_id: int,
        anonymous: bool,
    ) -> SurveyResponse:
        version = await repo.latest_version(session, code)
        assert version is not None, "sync() records the shipped surveys"
        resident = await residents_repo.get_resident(session, telegram_id)
        survey = await self._definition(session, version.id)
        response = SurveyResponse(
            round_id=current.id,
            version_id=version.id,
            respondent=secrets.token_hex(16),
            dedupe_hash=self.dedupe_hash(current.id, telegram_id),
            resident_id=None if anonymous or resident is None else resident.id,
            anonymous=anonymous,
            status=ResponseStatus.IN_PROGRESS,
            current=survey.ordered[0].code,
        )
        session.add(response)
        await session.flush()
        log.info("survey %s round %s: a response started", code, current.number)
        return response

    async def position(self, code: str, telegram_id: int) -> Position:
        async with reading(self._sessions) as session:
            current, response = await self._response(session, code, telegram_id)
            if response is None:
                raise SurveyError(SurveyProblem.NOT_STARTED)
            if response.status == ResponseStatus.COMPLETED:
                raise SurveyError(SurveyProblem.DONE)
            return await self._position(session, current, response)

    async def _position(
        self,
        session: AsyncSession,
        current: SurveyRound,
        response: SurveyResponse,
        rows: list[SurveyAnswer] | None = None,
    ) -> Position:
        """Where the response stands; `rows` are its answers in order when already in hand."""
        survey = await self._definition(session, response.version_id)
        if rows is None:
            rows = await repo.answers_of(session, response.id)
        answers = _given(rows)
        skipped = frozenset(a.question_code for a in rows if a.value is None)
        others = {a.question_code: a.other_text for a in rows if a.other_text}
        question = None if response.current == SUMMARY else survey.question(response.current or "")
        # What the resident has been shown never goes down (Back, a changed answer, a restart).
        response.progress = max(response.progress or 0, rules.progress(survey, answers, question))
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
            progress=response.progress,
        )

    async def _in_progress(
        self, session: AsyncSession, code: str, telegram_id: int
    ) -> tuple[SurveyRound, SurveyResponse, Survey]:
        """The resident's unfinished response, locked, with its definition."""
        current, response = await self._response(session, code, telegram_id, lock=True)
        if response is None:
            raise SurveyError(SurveyProblem.NOT_STARTED)
        if response.status == ResponseStatus.COMPLETED:
            raise SurveyError(SurveyProblem.DONE)
        return current, response, await self._definition(session, response.version_id)

    async def _at(
        self, session: AsyncSession, code: str, telegram_id: int, version_id: int, ordinal: int
    ) -> tuple[SurveyRound, SurveyResponse, Survey, Question | None]:
        """The response, checked to be at the question a button was for (else STALE);
        ordinal -1 is the summary."""
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

    async def _at_question(
        self, session: AsyncSession, code: str, telegram_id: int, version_id: int, ordinal: int
    ) -> tuple[SurveyRound, SurveyResponse, Survey, Question]:
        """As `_at`, for a button that belongs to a question, not to the summary."""
        current, response, survey, question = await self._at(
            session, code, telegram_id, version_id, ordinal
        )
        if question is None:
            raise SurveyError(SurveyProblem.STALE, "a question's button on the summary")
        return current, response, survey, question

    async def choose(
        self, code: str, telegram_id: int, version_id: int, ordinal: int, option: int
    ) -> Position:
        """A tap on an option: single choice and scale answer and move on; multiple choice
        toggles (the selection is stored at once) and waits for Done."""
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at_question(
                session, code, telegram_id, version_id, ordinal
            )
            rows = {a.question_code: a for a in await repo.answers_of(session, response.id)}
            row = rows.get(question.code)
            value, complete = rules.tapped(question, option, row.value if row else None)
            # A multiple choice keeps the text of its "other" while "other" stays ticked.
            kept = row.other_text if row and isinstance(value, list) and OTHER in value else None
            answer = await repo.put_answer(
                session, response, question.code, value, kept, existing=row
            )
            # The answers in id order, this one included (a new one has the highest id): the
            # most frequent update of all reads them once instead of three times.
            given = list(rows.values()) if row is not None else [*rows.values(), answer]
            if complete:
                await self._advance(session, survey, response, question, given)
            return await self._position(session, current, response, given)

    async def done(self, code: str, telegram_id: int, version_id: int, ordinal: int) -> Position:
        """Multiple choice: the selection is complete."""
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at_question(
                session, code, telegram_id, version_id, ordinal
            )
            if question.type != Kind.MULTI:
                raise SurveyError(SurveyProblem.STALE, "done on a non-multi question")
            stored = {a.question_code: a.value for a in await repo.answers_of(session, response.id)}
            if not stored.get(question.code):
                if question.required:
                    raise SurveyError(SurveyProblem.REQUIRED)
                await repo.put_answer(session, response, question.code, None)
            await self._advance(session, survey, response, question)
            return await self._position(session, current, response)

    async def other(
        self, code: str, telegram_id: int, version_id: int, ordinal: int
    ) -> tuple[Position, bool]:
        """ "Other…" pressed: whether the resident's next text is their own answer. On a
        multiple choice where "other" is already ticked, the press unticks it instead."""
        async with self._sessions.begin() as session:
            current, response, _survey, question = await self._at_question(
                session, code, telegram_id, version_id, ordinal
            )
            rows = {a.question_code: a for a in await repo.answers_of(session, response.id)}
            row = rows.get(question.code)
            chosen = row.value if row else None
            if question.type == Kind.MULTI and isinstance(chosen, list) and OTHER in chosen:
                value = rules.toggled(question, OTHER, chosen)
                await repo.put_answer(session, response, question.code, value)
                return await self._position(session, current, response), False
            rules.other_allowed(question, chosen)
            return await self._position(session, current, response), True

    async def type_in(
        self, code: str, telegram_id: int, text: str, other: bool = False
    ) -> Position:
        """Typed input: a number, a free text, or the "other" of a choice. A multiple choice
        stays open after its "other" (more may be ticked before Done)."""
        async with self._sessions.begin() as session:
            current, response, survey = await self._in_progress(session, code, telegram_id)
            question = survey.question(response.current or "")
            stored = {a.question_code: a.value for a in await repo.answers_of(session, response.id)}
            given = stored.get(question.code) if question is not None else None
            value, other_text = rules.typed(question, text, other, given)
            assert question is not None
            await repo.put_answer(session, response, question.code, value, other_text)
            if question.type != Kind.MULTI:
                await self._advance(session, survey, response, question)
            return await self._position(session, current, response)

    async def skip(self, code: str, telegram_id: int, version_id: int, ordinal: int) -> Position:
        async with self._sessions.begin() as session:
            current, response, survey, question = await self._at_question(
                session, code, telegram_id, version_id, ordinal
            )
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
            answers = _given(await repo.answers_of(session, response.id))
            previous = rules.previous(survey, answers, question)
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
            answers = _given(await repo.answers_of(session, response.id))
            if target not in survey.path(answers):
                raise SurveyError(SurveyProblem.STALE, f"{target.code} is not on the path")
            response.current, response.editing = target.code, True
            await session.flush()
            return await self._position(session, current, response)

    async def _advance(
        self,
        session: AsyncSession,
        survey: Survey,
        response: SurveyResponse,
        after: Question,
        rows: list[SurveyAnswer] | None = None,
    ) -> None:
        if rows is None:
            rows = await repo.answers_of(session, response.id)
        seen = {a.question_code for a in rows}
        response.current, response.editing = rules.following(
            survey, _given(rows), seen, after, response.editing
        )

    async def submit(self, code: str, telegram_id: int, version_id: int) -> Submitted | Position:
        """Complete the response; if a required answer is missing, the position to give it."""
        async with self._sessions.begin() as session:
            current, response, survey, _ = await self._at(
                session, code, telegram_id, version_id, -1
            )
            if response.current != SUMMARY:
                raise SurveyError(SurveyProblem.STALE, "not at the summary")
            rows = await repo.answers_of(session, response.id)
            answers = _given(rows)
            path = survey.path(answers)
            missing = [q for q in path if q.required and q.code not in answers]
            if missing:
                response.current, response.editing = missing[0].code, True
                await session.flush()
                return await self._position(session, current, response)
            # Answers a changed branch left behind are not part of the response.
            on_path = {q.code for q in path}
            left_behind = [a.question_code for a in rows if a.question_code not in on_path]
            await repo.delete_answers(session, response.id, left_behind)
            await self._complete(session, response, telegram_id)
            log.info("survey %s round %s: a response completed", code, current.number)
            kept = {code: value for code, value in answers.items() if code in on_path}
            return Submitted(survey, response.respondent, rules.topics(survey, kept))

    async def _complete(
        self, session: AsyncSession, response: SurveyResponse, telegram_id: int
    ) -> None:
        """Close the response, with the profile copied as it is now (for the statistics)."""
        resident = await residents_repo.get_resident(session, telegram_id)
        if resident is not None:
            response.municipality = resident.municipality
            response.age_band = resident.age_band
            response.resident_status = resident.status
        response.status, response.completed_at = ResponseStatus.COMPLETED, utcnow()
        response.current, response.editing = None, False
        # From now on only the participation record knows this person answered the round.
        await repo.add_participation(
            session, response.round_id, self.dedupe_hash(response.round_id, telegram_id)
        )
        response.dedupe_hash = None


def _given(rows: list[SurveyAnswer]) -> dict[str, Any]:
    """Answered (not skipped) question code -> value."""
    return {a.question_code: a.value for a in rows if a.value is not None}
