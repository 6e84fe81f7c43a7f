"""The streamed export (one query, answers gathered in SQL, pivoted off the event loop) means
exactly what the per-answer reading before it meant, on a dataset that tries every corner:
two versions, options only one of them offers, "other" texts, formulas and control
characters, JSON null and SQL NULL, numbers, long texts, answers to questions the response's
version does not ask, responses without answers, unfinished ones and another round's."""

from __future__ import annotations

import csv
import io
import json
import random

from openpyxl import load_workbook
from sqlalchemy import insert, null, select

from bot.services import exports as exports_module
from bot.services.exports import CODEBOOK, ExportService
from bot.services.surveys.definition import Kind, shipped
from storage.models import SurveyAnswer, SurveyResponse, SurveyRound, SurveyVersion, utcnow
from tests.bot.services.surveys.test_versions_export import CODE, surveys, version_one
from tests.support.exports_reference import reference_rows

TEXTS = (
    "Več stanovanj za mlade.",
    "=SUM(A1:A9)",
    "+386 40 123 456",
    "-- ne vem",
    "@coordinator",
    "ESC\x1b in NUL\x00 and a tab\tand a line\nbreak",
    "Dolgo besedilo, ki presega šestdeset štiri znake, da ga predpomnilnik ne shrani nikoli.",
    "",
)


def _value(question, rng: random.Random) -> object:  # type: ignore[no-untyped-def]
    pick = rng.random()
    if pick < 0.05:
        return null()  # SQL NULL
    if pick < 0.1:
        return None  # JSON null
    if question.type == Kind.MULTI:
        codes = [*question.values, "gone_option"]
        return rng.sample(codes, rng.randint(0, min(3, len(codes))))
    if question.type == Kind.SINGLE:
        return rng.choice([*question.values, "=cmd"])
    if question.type == Kind.SCALE:
        return rng.choice([1, 2, 3, 4, 5, 2.5])
    if question.type == Kind.NUMBER:
        return rng.choice([0, 17, 40, 1234567890123])
    return rng.choice(TEXTS)


async def test_the_streamed_export_means_what_the_old_one_meant(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Batches of 7, so every format's joins between batches are in what is compared.
    monkeypatch.setattr(exports_module, "BATCH", 7)
    first = await surveys(sessions, [version_one()])
    await first.rounds.open(1, CODE)
    await surveys(sessions, shipped())
    rng = random.Random(17)
    async with sessions.begin() as session:
        versions = list(
            (await session.execute(select(SurveyVersion.id).order_by(SurveyVersion.id))).scalars()
        )
        round_id = await session.scalar(select(SurveyRound.id))
        definitions = {versions[0]: version_one(), versions[1]: shipped()[0]}
        now = utcnow()
        responses, answers = [], []
        for number in range(1, 121):
            version = rng.choice(versions)
            status = "completed" if number % 9 else "in_progress"
            responses.append(
                {
                    "id": number,
                    "round_id": round_id,
                    "version_id": version,
                    "respondent": f"{number:032x}",
                    "anonymous": True,
                    "status": status,
                    "editing": False,
                    "municipality": rng.choice(("celje", "prebold", None)),
                    "age_band": rng.choice(("18_24", "35_49", None)),
                    "resident_status": rng.choice(("employed", "student", None)),
                    "started_at": now,
                    "updated_at": now,
                    "completed_at": now if number % 13 else None,
                }
            )
            if number % 10 == 0:
                continue  # a response without answers
            asked = definitions[version].ordered
            others = definitions[versions[0] if version == versions[1] else versions[1]].ordered
            for question in rng.sample(asked, rng.randint(1, len(asked))) + others[:1]:
                answers.append(
                    {
                        "response_id": number,
                        "version_id": version,
                        "question_code": question.code,
                        "value": _value(question, rng),
                        "other_text": rng.choice((None, None, *TEXTS)),
                        "answered_at": now,
                    }
                )
        await session.execute(insert(SurveyResponse), responses)
        # Unique per response and question: the last of a duplicate pick stays out.
        seen: set[tuple[int, str]] = set()
        kept = []
        for answer in answers:
            if (answer["response_id"], answer["question_code"]) not in seen:
                seen.add((answer["response_id"], answer["question_code"]))
                kept.append(answer)
        for answer in kept:
            await session.execute(insert(SurveyAnswer).values(**answer))

    exports = ExportService(sessions)
    plan = await exports.plan(CODE, 1)
    expected = [row async for row in reference_rows(sessions, plan)]
    got = [row async for batch in exports.rows(plan) for row in batch]
    assert len(expected) == sum(1 for r in responses if r["status"] == "completed")
    assert got == expected
    # And the CSV, byte for byte, as the old writer would have written those rows.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in plan.columns])
    writer.writerows(expected)
    csv_bytes = b"".join([chunk async for chunk in exports.csv_chunks(plan)])
    assert csv_bytes == ("\ufeff" + buffer.getvalue()).encode("utf-8")
    # And the JSON (batches encoded in the worker thread, joined here): one object per row.
    names = [c.name for c in plan.columns]
    json_bytes = b"".join([chunk async for chunk in exports.json_chunks(plan)])
    assert json.loads(json_bytes) == [dict(zip(names, row, strict=True)) for row in expected]
    # And the XLSX: every cell as the rows hold it (an empty text reads back as empty).
    path = await exports.xlsx_file(plan)
    try:
        workbook = load_workbook(path, read_only=True)
        sheet = [list(row) for row in workbook["answers"].iter_rows(values_only=True)]
        width = len(plan.columns)
        assert sheet[0] == [c.name for c in plan.columns]
        padded = [row + [None] * (width - len(row)) for row in sheet[1:]]
        assert padded == [[None if v == "" else v for v in row] for row in expected]
        book = [list(row) for row in workbook["codebook"].iter_rows(values_only=True)]
        book = [row + [None] * (len(CODEBOOK) - len(row)) for row in book]
        assert book == [
            [None if v == "" else v for v in row] for row in exports.codebook_rows(plan)
        ]
        workbook.close()
    finally:
        path.unlink()
