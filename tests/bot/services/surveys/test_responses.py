"""The survey engine on a real database (both backends): versions, rounds, one response per
resident per round, anonymity, branching, edits and bad input."""

from __future__ import annotations

import asyncio
import copy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.domain import CONSENT_VERSION
from bot.i18n import I18n
from bot.services.surveys.definition import Survey, shipped
from bot.services.surveys.errors import SurveyError, SurveyProblem
from bot.services.surveys.service import Surveys
from bot.services.surveys.types import Position, Submitted
from storage.models import (
    AuditEntry,
    Resident,
    SurveyAnswer,
    SurveyParticipation,
    SurveyResponse,
    SurveyVersion,
)

CODE = "stay_or_leave"
ANA, BEN = 3001, 3002


async def service(sessions, surveys=None, secret="test-secret") -> Surveys:  # type: ignore[no-untyped-def]
    surveys = surveys or shipped()
    svc = Surveys(sessions, surveys, I18n(ZoneInfo("Europe/Ljubljana")), secret)
    await svc.sync()
    return svc


async def residents(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        for tid, municipality in ((ANA, "celje"), (BEN, "abroad")):
            session.add(
                Resident(
                    telegram_id=tid,
                    consent_version=CONSENT_VERSION,
                    onboarding_step="done",
                    municipality=municipality,
                    age_band="18_24",
                    status="student",
                )
            )


def at(position: Position) -> str:
    return position.question.code if position.question else "summary"


async def pick(svc: Surveys, tid: int, position: Position, *codes: str) -> Position:
    """Tap the options with these codes on the current question (Done for multiple choice)."""
    q = position.question
    assert q is not None
    for code in codes:
        index = next(i for i, o in enumerate(q.options) if o.code == code)
        position = await svc.responses.choose(
            CODE, tid, position.version_id, position.ordinal(q), index
        )
    if q.type.value == "multi":
        position = await svc.responses.done(CODE, tid, position.version_id, position.ordinal(q))
    return position


async def answer_all(svc: Surveys, tid: int, position: Position) -> Position:
    """The rest of the path with the first option, 4 on scales, 20 years, a short text."""
    while position.question is not None:
        q = position.question
        ordinal = position.ordinal(q)
        if q.type.value in ("single", "multi"):
            position = await pick(svc, tid, position, q.options[0].code)
        elif q.type.value == "scale":
            position = await svc.responses.choose(CODE, tid, position.version_id, ordinal, 4)
        elif q.type.value == "number":
            position = await svc.responses.type_in(CODE, tid, "20")
        else:
            position = await svc.responses.type_in(CODE, tid, "Več prostorov za mlade.")
    return position


async def test_versions_follow_the_definition(sessions) -> None:  # type: ignore[no-untyped-def]
    await service(sessions)
    await service(sessions)  # unchanged: no new version
    changed = copy.deepcopy(shipped()[0].model_dump(by_alias=True))
    changed["sections"][0]["questions"][0]["text"]["en"] = "Where do you live today?"
    await service(sessions, [Survey.model_validate(changed)])
    async with sessions() as session:
        versions = (await session.execute(select(SurveyVersion.version))).scalars().all()
    assert sorted(versions) == [1, 2]


async def test_one_anonymous_response_per_round_with_versions_and_codes(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    await residents(sessions)
    with pytest.raises(SurveyError) as none:
        await svc.responses.begin(CODE, ANA, anonymous=True)
    assert none.value.problem == SurveyProblem.NO_ROUND
    await svc.rounds.open(1, CODE)
    first, again = await asyncio.gather(
        svc.responses.begin(CODE, ANA, anonymous=True),
        svc.responses.begin(CODE, ANA, anonymous=True),
    )
    assert at(first) == at(again) == "lives"
    position = await pick(svc, ANA, first, "celje")
    assert at(position) == "residence_history"
    position = await pick(svc, ANA, position, "always")
    position = await pick(svc, ANA, position, "student")
    assert at(position) == "work_place"
    position = await answer_all(svc, ANA, position)
    result = await svc.responses.submit(CODE, ANA, position.version_id)
    assert isinstance(result, Submitted)
    with pytest.raises(SurveyError) as twice:
        await svc.responses.begin(CODE, ANA, anonymous=False)
    assert twice.value.problem == SurveyProblem.DONE
    async with sessions() as session:
        (response,) = (await session.execute(select(SurveyResponse))).scalars().all()
        answers = (await session.execute(select(SurveyAnswer))).scalars().all()
    assert response.resident_id is None and response.anonymous
    # A finished response carries nothing that finds its author: even with the key, the hash
    # only says that Ana took part in the round, not which response is hers.
    assert response.dedupe_hash is None and len(response.respondent) == 32
    async with sessions() as session:
        (taken,) = (await session.execute(select(SurveyParticipation))).scalars().all()
    assert taken.round_id == response.round_id and str(ANA) not in taken.dedupe_hash
    assert (response.municipality, response.age_band, response.resident_status) == (
        "celje",
        "18_24",
        "student",
    )
    assert {a.version_id for a in answers} == {response.version_id}
    assert {a.question_code for a in answers} <= {q.code for q in shipped()[0].ordered}
    # Another secret hashes differently: without the key, nobody can recompute the link.
    other = await service(sessions, secret="another-secret")
    assert other.responses.dedupe_hash(response.round_id, ANA) != taken.dedupe_hash
    assert svc.responses.dedupe_hash(response.round_id, ANA) == taken.dedupe_hash
    # A new round: the same resident answers again, once.
    await svc.rounds.close(1, CODE)
    await svc.rounds.open(1, CODE)
    assert at(await svc.responses.begin(CODE, ANA, anonymous=False)) == "lives"
    async with sessions() as session:
        linked = (
            await session.execute(select(SurveyResponse).where(SurveyResponse.anonymous.is_(False)))
        ).scalar_one()
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert linked.resident_id is not None
    assert actions.count("survey.open") == 2 and "survey.close" in actions


async def test_branching_back_skip_and_edits_from_the_summary(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    await residents(sessions)
    await svc.rounds.open(1, CODE)
    position = await svc.responses.begin(CODE, BEN, anonymous=True)
    position = await pick(svc, BEN, position, "abroad")
    assert at(position) == "origin" and (position.index, position.total) == (2, 5)
    assert position.progress == 100 // 11  # one behind him, of at most 11 for those abroad
    position = await pick(svc, BEN, position, "celje")
    position = await svc.responses.back(
        CODE, BEN, position.version_id, position.ordinal(position.question)
    )
    assert at(position) == "origin" and position.answers["origin"] == "celje"
    position = await pick(svc, BEN, position, "celje")
    position = await pick(svc, BEN, position, "job_seeking")  # no work place, no commute
    assert at(position) == "reasons_left"
    # Required questions cannot be skipped; an optional one can.
    with pytest.raises(SurveyError) as required:
        await svc.responses.skip(
            CODE, BEN, position.version_id, position.ordinal(position.question)
        )
    assert required.value.problem == SurveyProblem.REQUIRED
    q = position.question
    assert q is not None and q.code == "reasons_left"
    for code in ("housing", "jobs", "pay"):
        position = await svc.responses.choose(
            CODE,
            BEN,
            position.version_id,
            position.ordinal(q),
            [o.code for o in q.options].index(code),
        )
    with pytest.raises(SurveyError) as too_many:
        await svc.responses.choose(CODE, BEN, position.version_id, position.ordinal(q), 4)
    assert too_many.value.problem == SurveyProblem.TOO_MANY
    position = await svc.responses.done(CODE, BEN, position.version_id, position.ordinal(q))
    assert at(position) == "return"
    position = await pick(svc, BEN, position, "fairly_likely")
    position = await answer_all(svc, BEN, position)
    assert at(position) == "summary" and position.progress == 100
    # Change where he lives from the summary: the branch for people who left disappears,
    # the one for residents appears and is asked before the summary comes back.
    lives = next(q for q in position.path if q.code == "lives")
    position = await svc.responses.edit(CODE, BEN, position.version_id, position.ordinal(lives))
    position = await pick(svc, BEN, position, "prebold")
    assert at(position) == "residence_history" and position.progress == 100  # kept
    position = await pick(svc, BEN, position, "moved_in")
    assert at(position) == "years_here"
    with pytest.raises(SurveyError) as range_:
        await svc.responses.type_in(CODE, BEN, "250")
    assert range_.value.problem == SurveyProblem.OUT_OF_RANGE
    with pytest.raises(SurveyError) as letters:
        await svc.responses.type_in(CODE, BEN, "dvajset")
    assert letters.value.problem == SurveyProblem.NOT_A_NUMBER
    position = await svc.responses.skip(
        CODE, BEN, position.version_id, position.ordinal(position.question)
    )
    assert at(position) == "intention"
    position = await pick(svc, BEN, position, "definitely_leave")
    position = await pick(svc, BEN, position, "housing")  # reasons_leave
    position = await pick(svc, BEN, position, "transport")  # would_stay
    assert at(position) == "qol_overall"  # residents rate their town
    position = await answer_all(svc, BEN, position)
    assert at(position) == "summary"
    # A button from an earlier question is stale.
    with pytest.raises(SurveyError) as stale:
        await svc.responses.choose(CODE, BEN, position.version_id, 0, 1)
    assert stale.value.problem == SurveyProblem.STALE
    result = await svc.responses.submit(CODE, BEN, position.version_id)
    assert isinstance(result, Submitted)
    assert result.topics[:2] == ("housing", "mobility")
    async with sessions() as session:
        codes = set((await session.execute(select(SurveyAnswer.question_code))).scalars().all())
        count = await session.scalar(select(func.count()).select_from(SurveyResponse))
    assert "origin" not in codes and "reasons_left" not in codes and "intention" in codes
    assert count == 1


async def test_text_limits_and_buttons_where_buttons_are_expected(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    await residents(sessions)
    await svc.rounds.open(1, CODE)
    position = await svc.responses.begin(CODE, ANA, anonymous=False)
    with pytest.raises(SurveyError) as buttons:
        await svc.responses.type_in(CODE, ANA, "Celje")
    assert buttons.value.problem == SurveyProblem.USE_BUTTONS
    position = await pick(svc, ANA, position, "celje")
    position = await pick(svc, ANA, position, "always")
    other = await svc.responses.type_in(CODE, ANA, "Delam v kmetijstvu", other=True)
    assert other.answers["occupation"] == "other"
    assert other.other_texts["occupation"] == "Delam v kmetijstvu"
    position = await answer_all(svc, ANA, other)
    idea = next(q for q in position.path if q.code == "idea")
    position = await svc.responses.edit(CODE, ANA, position.version_id, position.ordinal(idea))
    with pytest.raises(SurveyError) as long_:
        await svc.responses.type_in(CODE, ANA, "x" * 501)
    assert long_.value.problem == SurveyProblem.TOO_LONG
    position = await svc.responses.type_in(CODE, ANA, "Kolesarske poti do Šempetra.")
    assert at(position) == "summary" and position.answers["idea"].startswith("Kolesarske")


async def test_other_and_none_of_these_on_a_multiple_choice(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    await residents(sessions)
    await svc.rounds.open(1, CODE)
    position = await svc.responses.begin(CODE, ANA, anonymous=True)
    for code in ("celje", "always", "retired"):
        position = await pick(svc, ANA, position, code)
    position = await svc.responses.skip(
        CODE, ANA, position.version_id, position.ordinal(position.question)
    )
    position = await pick(svc, ANA, position, "dont_know")
    q = position.question
    assert q is not None and q.code == "reasons_stay"
    ordinal, codes = position.ordinal(q), [o.code for o in q.options]

    async def tap(code: str) -> Position:
        return await svc.responses.choose(
            CODE, ANA, position.version_id, ordinal, codes.index(code)
        )

    position = await tap("family")
    position, write = await svc.responses.other(CODE, ANA, position.version_id, ordinal)
    assert write and at(position) == "reasons_stay"
    position = await svc.responses.type_in(CODE, ANA, "Vrt in sosedje", other=True)
    # Still on the question, "other" ticked beside what was chosen, its text kept.
    assert at(position) == "reasons_stay"
    assert position.answers["reasons_stay"] == ["family", "other"]
    assert position.other_texts["reasons_stay"] == "Vrt in sosedje"
    position = await tap("social")
    assert position.answers["reasons_stay"] == ["social", "family", "other"]
    assert position.other_texts["reasons_stay"] == "Vrt in sosedje"
    with pytest.raises(SurveyError) as full:
        await tap("pay")
    assert full.value.problem == SurveyProblem.TOO_MANY
    # "None of these" clears the others; another choice clears it again.
    position = await tap("none")
    assert position.answers["reasons_stay"] == ["none"]
    assert "reasons_stay" not in position.other_texts
    position = await tap("housing")
    assert position.answers["reasons_stay"] == ["housing"]
    position, write = await svc.responses.other(CODE, ANA, position.version_id, ordinal)
    position = await svc.responses.type_in(CODE, ANA, "Mir", other=True)
    position, write = await svc.responses.other(CODE, ANA, position.version_id, ordinal)
    assert not write and position.answers["reasons_stay"] == ["housing"]  # unticked
    position, _ = await svc.responses.other(CODE, ANA, position.version_id, ordinal)
    position = await svc.responses.type_in(CODE, ANA, "Mir", other=True)
    position = await svc.responses.done(CODE, ANA, position.version_id, ordinal)
    assert at(position) == "reasons_leave"
    position = await answer_all(svc, ANA, position)
    result = await svc.responses.submit(CODE, ANA, position.version_id)
    assert isinstance(result, Submitted)
    async with sessions() as session:
        row = (
            await session.execute(
                select(SurveyAnswer).where(SurveyAnswer.question_code == "reasons_stay")
            )
        ).scalar_one()
    assert row.value == ["housing", "other"] and row.other_text == "Mir"


async def test_progress_is_kept_after_back_and_a_restart(sessions) -> None:  # type: ignore[no-untyped-def]
    svc = await service(sessions)
    await residents(sessions)
    await svc.rounds.open(1, CODE)
    position = await svc.responses.begin(CODE, ANA, anonymous=True)
    assert position.progress == 0
    for code in ("celje", "always", "employed", "home_town"):
        position = await pick(svc, ANA, position, code)
    reached = position.progress
    assert at(position) == "years_here" and reached > 0
    position = await svc.responses.back(
        CODE, ANA, position.version_id, position.ordinal(position.question)
    )
    assert at(position) == "work_place" and position.progress == reached
    restarted = await service(sessions)  # a new process reads it from the database
    again = await restarted.responses.position(CODE, ANA)
    assert at(again) == "work_place" and again.progress == reached


async def test_a_round_closed_by_another_replica_refuses_the_next_tap(sessions) -> None:  # type: ignore[no-untyped-def]
    svc, other = await service(sessions), await service(sessions)
    await residents(sessions)
    await other.rounds.open(1, CODE)
    position = await svc.responses.begin(CODE, ANA, anonymous=True)
    position = await pick(svc, ANA, position, "celje")  # this replica now knows the round
    assert at(position) == "residence_history"
    await other.rounds.close(1, CODE)
    with pytest.raises(SurveyError) as closed:
        await pick(svc, ANA, position, "always")
    assert closed.value.problem == SurveyProblem.NO_ROUND
    await other.rounds.open(1, CODE)
    fresh = await svc.responses.begin(CODE, ANA, anonymous=True)
    assert at(fresh) == "lives" and fresh.round_number == position.round_number + 1
    assert at(await pick(svc, ANA, fresh, "celje")) == "residence_history"
