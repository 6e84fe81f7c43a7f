"""Answers given to version 1 of the survey stay readable and exportable after version 2
ships: each row carries its version, and the codebook reads it under that version's codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.domain import CONSENT_VERSION
from bot.i18n import I18n
from bot.services.exports import ExportService
from bot.services.surveys.definition import Survey, load_file, shipped
from bot.services.surveys.service import Surveys
from bot.services.surveys.types import Position
from storage.models import Resident

CODE = "stay_or_leave"
V1 = Path(__file__).resolve().parents[3] / "fixtures" / "stay_or_leave.v1.yaml"


def version_one() -> Survey:
    survey, problems = load_file(V1)
    assert survey is not None and problems == []
    return survey


async def surveys(sessions, definitions: list[Survey]) -> Surveys:  # type: ignore[no-untyped-def]
    svc = Surveys(sessions, definitions, I18n(ZoneInfo("Europe/Ljubljana")), "k")
    await svc.sync()
    return svc


async def respond(svc: Surveys, tid: int, picks: dict[str, Any]) -> None:
    """One response: `picks` by question code (option codes, a number or a text; a tuple
    (codes, text) for a multiple choice with "other"); the first option elsewhere."""
    async with svc.responses._sessions.begin() as session:
        session.add(
            Resident(
                telegram_id=tid,
                consent_version=CONSENT_VERSION,
                onboarding_step="done",
                municipality="celje",
                age_band="25_34",
                status="employed",
            )
        )
    position: Position = await svc.responses.begin(CODE, tid, anonymous=True)
    while position.question is not None:
        q = position.question
        ordinal, version = position.ordinal(q), position.version_id
        given = picks.get(q.code)
        if q.type.value == "scale":
            position = await svc.responses.choose(CODE, tid, version, ordinal, given or 3)
        elif q.type.value in ("number", "text"):
            position = await svc.responses.type_in(CODE, tid, str(given or 10))
        else:
            other = None
            if isinstance(given, tuple):
                given, other = given
            codes = [o.code for o in q.options]
            for code in given if isinstance(given, list) else [given or codes[0]]:
                position = await svc.responses.choose(
                    CODE, tid, version, ordinal, codes.index(code)
                )
            if other is not None:
                await svc.responses.other(CODE, tid, version, ordinal)
                position = await svc.responses.type_in(CODE, tid, other, other=True)
            if q.type.value == "multi":
                position = await svc.responses.done(CODE, tid, version, ordinal)
    await svc.responses.submit(CODE, tid, position.version_id)


async def test_version_one_answers_export_under_their_own_codebook(sessions) -> None:  # type: ignore[no-untyped-def]
    old = await surveys(sessions, [version_one()])
    await old.rounds.open(1, CODE)
    await respond(
        old,
        1,
        {
            "lives": "celje",
            "occupation": "student",
            "intention": "maybe_leave",
            "reasons_leave": ["housing", "social"],
            "idea": "Več klopi",
        },
    )
    new = await surveys(sessions, shipped())  # the bot is upgraded: version 2
    await respond(
        new,
        2,
        {
            "lives": "celje",
            "residence_history": "always",
            "occupation": "employed",
            "intention": "probably_leave",
            "reasons_leave": (["housing"], "Hrup s ceste"),
            "idea": "Več dreves",
        },
    )
    exports = ExportService(sessions)
    plan = await exports.plan(CODE, 1)
    assert sorted(number for number, _ in plan.versions.values()) == [1, 2]
    # CSV: one row per response, each under its own version's codes.
    text = b"".join([chunk async for chunk in exports.csv_chunks(plan)]).decode("utf-8-sig")
    first, second = list(csv.DictReader(io.StringIO(text)))
    assert (first["version"], second["version"]) == ("1", "2")
    assert first["intention"] == "maybe_leave" and second["intention"] == "probably_leave"
    assert first["reasons_leave.social"] == "1"  # an option only version 1 offered
    assert second["reasons_leave.social"] == ""  # not offered in version 2: empty, not 0
    assert first["reasons_leave.other"] == "" and second["reasons_leave.other"] == "1"
    assert second["reasons_leave.other_text"] == "Hrup s ceste"
    assert first["residence_history"] == "" and second["residence_history"] == "always"
    # The codebook: every wording and every value with the versions it applies to.
    book = exports.codebook_rows(plan)
    header = book[0]
    assert header[:5] == ["column", "question", "type", "role", "among"]
    rows = [dict(zip(header, row, strict=True)) for row in book[1:]]
    wordings = {r["versions"]: r for r in rows if r["column"] == "intention"}
    assert set(wordings) == {"1", "2"}
    assert wordings["1"]["text_sl"].startswith("Kaj mislite") and wordings["1"]["role"] == ""
    assert wordings["2"]["role"] == "key" and wordings["2"]["text_sl"].startswith("Ali nameravate")
    values = {r["option"]: r for r in rows if r["question"] == "intention" and r["type"] == "value"}
    assert values["maybe_leave"]["versions"] == "1" and values["maybe_leave"]["label_sl"]
    assert values["probably_leave"]["versions"] == "2"
    assert values["definitely_stay"]["role"] == "headline" and values["dont_know"]["role"] == ""
    social = next(r for r in rows if r["column"] == "reasons_leave.social")
    assert social["versions"] == "1"
    housing = [r for r in rows if r["column"] == "reasons_leave.housing"]
    assert {r["versions"]: r["label_sl"] for r in housing} == {
        "1": "Dostopno stanovanje",
        "2": "Premalo cenovno dostopnih stanovanj",
    }
    assert {r["role"] for r in housing} == {"", "push"}
    # XLSX: the same rows, and the codebook sheet beside them.
    path = await exports.xlsx_file(plan)
    try:
        workbook = load_workbook(path, read_only=True)
        sheet = list(workbook["answers"].iter_rows(values_only=True))
        names = list(sheet[0])
        versions = [row[names.index("version")] for row in sheet[1:]]
        assert versions == [1, 2]
        assert sheet[1][names.index("intention")] == "maybe_leave"
        codebook = list(workbook["codebook"].iter_rows(values_only=True))
        assert list(codebook[0]) == header and len(codebook) == len(book)
        workbook.close()
    finally:
        path.unlink()
