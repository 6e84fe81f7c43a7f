"""Staff exports of survey answers: CSV, XLSX and JSON, with a codebook.

Rows are read in batches and written as they come, so memory stays flat however many
answers there are. Respondents appear as R000001, R000002... numbered within one export:
stable inside it, meaningless outside it; the Telegram id never appears. A cell a
spreadsheet would run as a formula is written as text.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import re
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.surveys.answers import OTHER
from bot.services.surveys.definition import Kind, Question, Survey
from storage.repositories import audit as audit_repo
from storage.repositories import surveys as surveys_repo

log = logging.getLogger(__name__)

BATCH = 2000
FIXED = ("respondent", "round", "version", "completed_on", "municipality", "age_band", "status")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 (so XLSX) cannot hold; tabs and line breaks stay.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMATS = ("csv", "xlsx", "json")
CODEBOOK = (
    "column",
    "question",
    "type",
    "role",
    "among",
    "text_sl",
    "text_en",
    "option",
    "label_sl",
    "label_en",
    "versions",
)
FIXED_MEANING = {
    "respondent": "pseudonymous id, numbered within this export",
    "round": "survey round",
    "version": "survey version answered",
    "completed_on": "date of submission (UTC)",
    "municipality": "profile, copied at submission",
    "age_band": "profile, copied at submission",
    "status": "profile, copied at submission",
}


class ExportError(LookupError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    question: str | None = None
    kind: str = "fixed"
    option: str | None = None


@dataclass(frozen=True)
class Plan:
    """What one export covers: a survey's round, its columns and the versions answered."""

    survey_code: str
    round_id: int
    round_number: int
    columns: tuple[Column, ...]
    versions: dict[int, tuple[int, Survey]]  # version id -> (version number, definition)


def neutral(value: Any) -> Any:
    """A typed text as every format can hold it: control characters (ESC, NUL, ...), which
    XLSX refuses and analysis tools choke on, become U+FFFD; and a text a spreadsheet would
    take for a formula keeps a leading apostrophe."""
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("\ufffd", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def columns_for(surveys: Sequence[Survey]) -> list[Column]:
    """Fixed columns, then each question's, newest definition first; older-only ones after.
    A multiple choice has a 0/1 column per option any version offered ("other" included)."""
    found: list[Column] = [Column(name) for name in FIXED]
    kinds: dict[str, Kind] = {}
    options: dict[str, list[str]] = {}
    others: dict[str, bool] = {}
    for survey in surveys:
        for question in survey.ordered:
            kinds.setdefault(question.code, question.type)
            known = options.setdefault(question.code, [])
            known += [code for code in question.values if code not in known]
            others[question.code] = others.get(question.code, False) or question.other
    for code, kind in kinds.items():
        if kind == Kind.MULTI:
            found += [Column(f"{code}.{o}", code, "multi", o) for o in options[code]]
        else:
            found.append(Column(code, code, kind.value))
        if others[code]:
            found.append(Column(f"{code}.other_text", code, "other"))
    return found


class ExportService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions

    async def plan(self, survey_code: str, round_number: int | None = None) -> Plan:
        async with self._sessions() as session:
            round_ = await surveys_repo.get_round(session, survey_code, round_number)
            if round_ is None:
                raise ExportError(f"{survey_code}: no such round")
            versions = {
                v.id: (v.version, Survey.model_validate(v.definition))
                for v in await surveys_repo.list_versions(session, survey_code)
            }
        if not versions:
            raise ExportError(f"{survey_code}: no versions")
        columns = columns_for([survey for _, survey in versions.values()])
        return Plan(survey_code, round_.id, round_.number, tuple(columns), versions)

    async def rows(self, plan: Plan) -> AsyncIterator[list[list[Any]]]:
        """Batches of rows (lists in column order) of the round's completed responses."""
        index = {c.name: i for i, c in enumerate(plan.columns)}
        questions = {
            version_id: {q.code: q for q in survey.ordered}
            for version_id, (_, survey) in plan.versions.items()
        }
        number = 0
        last_id = 0
        while True:
            async with self._sessions() as session:
                responses = await surveys_repo.completed_after(
                    session, plan.round_id, last_id, BATCH
                )
                if not responses:
                    return
                last_id = responses[-1].id
                answers: dict[int, list[Any]] = {}
                for response_id, question_code, raw, other_text in await surveys_repo.raw_answers(
                    session, [r.id for r in responses]
                ):
                    answers.setdefault(response_id, []).append(
                        (question_code, _decode(raw), other_text)
                    )
            batch = []
            for response in responses:
                number += 1
                row = _fixed_cells(plan, f"R{number:06d}", response)
                asked = questions[response.version_id]
                for question_code, value, other_text in answers.get(response.id, []):
                    question = asked.get(question_code)
                    if question is not None:
                        _fill(row, index, question, value, other_text)
                batch.append(row)
            yield batch

    async def csv_chunks(self, plan: Plan) -> AsyncIterator[bytes]:
        yield "\ufeff".encode()  # so spreadsheets read UTF-8
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([c.name for c in plan.columns])
        async for batch in self.rows(plan):
            writer.writerows(batch)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        tail = buffer.getvalue()  # the header, when there were no rows
        if tail:
            yield tail.encode("utf-8")

    async def json_chunks(self, plan: Plan) -> AsyncIterator[bytes]:
        names = [c.name for c in plan.columns]
        yield b"["
        first = True
        async for batch in self.rows(plan):
            parts = []
            for row in batch:
                parts.append(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
            text = ",\n".join(parts)
            yield (("" if first else ",\n") + text).encode("utf-8")
            first = False
        yield b"]\n"

    async def xlsx_file(self, plan: Plan, directory: Path | None = None) -> Path:
        """An XLSX workbook (answers and codebook sheets), written row by row to disk."""
        import asyncio

        from openpyxl import Workbook  # imported when first needed: the bot starts without it

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("answers")
        sheet.append([c.name for c in plan.columns])
        async for batch in self.rows(plan):
            await asyncio.to_thread(_append_all, sheet, batch)
        book = workbook.create_sheet("codebook")
        for row in self.codebook_rows(plan):
            book.append([neutral(v) for v in row])
        with tempfile.NamedTemporaryFile(
            prefix=f"{plan.survey_code}-", suffix=".xlsx", dir=directory, delete=False
        ) as handle:
            path = Path(handle.name)
        await asyncio.to_thread(workbook.save, path)
        return path

    def codebook_rows(self, plan: Plan) -> list[list[Any]]:
        """One row per column: what it holds, in both languages, and the versions asking it;
        after a single choice or a scale, the values it may hold."""
        rows: list[list[Any]] = [list(CODEBOOK)]
        for column in plan.columns:
            if column.question is None:
                meaning = FIXED_MEANING.get(column.name, "")
                rows.append([column.name, "", "fixed", "", "", "", meaning, "", "", "", ""])
            else:
                rows += _codebook_question(plan, column)
        return rows

    def codebook_csv(self, plan: Plan) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            [[neutral(v) for v in row] for row in self.codebook_rows(plan)]
        )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    async def ideas_zip(
        self, route: str, who: str | None = None, actor: int | None = None
    ) -> bytes:
        """Ideas and supports (issue 16), pseudonymous, audit-logged: see bot.services.ideas."""
        from bot.services.ideas.export import ideas_zip

        return await ideas_zip(self._sessions, route, who, actor)

    async def record(
        self, plan: Plan, fmt: str, route: str, actor: int | None, who: str | None = None
    ) -> None:
        """Every export, by any route, goes to the audit log."""
        async with self._sessions.begin() as session:
            await audit_repo.add_audit_entry(
                session,
                "survey.export",
                actor_telegram_id=actor,
                subject=f"{plan.survey_code}#{plan.round_number}",
                details={"format": fmt, "route": route, "token": who},
            )


def _fixed_cells(plan: Plan, respondent: str, response: Any) -> list[Any]:
    """A row with the fixed columns filled in, the questions' still empty."""
    row: list[Any] = [None] * len(plan.columns)
    completed = response.completed_at
    row[: len(FIXED)] = [
        respondent,
        plan.round_number,
        plan.versions[response.version_id][0],
        completed.date().isoformat() if completed else None,
        response.municipality,
        response.age_band,
        response.resident_status,
    ]
    return row


def _codebook_question(plan: Plan, column: Column) -> list[list[Any]]:
    """The column's rows: what it holds, one row per wording (with the versions that asked it
    so), then the values a single choice or a scale may hold, each with its versions; so every
    row of an export is read under its own version's codebook."""
    assert column.question is not None
    meanings: dict[tuple[Any, ...], list[int]] = {}
    values: dict[tuple[str, str, str, str], list[int]] = {}
    for number, survey in sorted(plan.versions.values(), key=lambda v: -v[0]):
        question = survey.question(column.question)
        if question is None or (column.option and column.option not in question.values):
            continue
        meanings.setdefault(_meaning(question, column), []).append(number)
        for value in _values(question, column):
            values.setdefault(value, []).append(number)
    rows: list[list[Any]] = [
        [column.name, column.question, *meaning, _versions(numbers)]
        for meaning, numbers in meanings.items()
    ]
    rows += [
        ["", column.question, "value", mark, "", "", "", code, sl, en, _versions(numbers)]
        for (code, mark, sl, en), numbers in values.items()
    ]
    return rows


def _versions(numbers: list[int]) -> str:
    return ",".join(map(str, sorted(numbers)))


def _meaning(question: Question, column: Column) -> tuple[Any, ...]:
    """How one version words a column: type, role, among whom, the texts, the option's label."""
    report = question.report
    among = report.among if report else None
    where = ""
    if among is not None:
        parts = [f"in {','.join(among.in_)}" if among.in_ else ""]
        parts.append(f"not in {','.join(among.not_in)}" if among.not_in else "")
        where = f"{among.question} " + " and ".join(p for p in parts if p)
    kind = question.type.value if column.kind != "other" else "other_text"
    label_sl = label_en = ""
    if column.option == OTHER:
        label_sl, label_en = "Drugo", "Other"
    elif column.option:
        option = question.option(column.option)
        label_sl, label_en = (option.sl, option.en) if option else ("", "")
    return (
        kind,
        report.role.value if report else "",
        where,
        question.text.get("sl", ""),
        question.text.get("en", ""),
        column.option or "",
        label_sl,
        label_en,
    )


def _values(question: Question, column: Column) -> list[tuple[str, str, str, str]]:
    """The values a single choice or a scale column may hold: (code, "headline" if the value
    counts towards the question's headline figure, label in Slovenian, in English)."""
    if column.kind == "other":
        return []
    headline = set(question.report.headline) if question.report else set()

    def mark(code: str) -> str:
        return "headline" if code in headline else ""

    if question.type == Kind.SINGLE:
        found = [(o.code, mark(o.code), o.sl, o.en) for o in question.options]
        if question.other:
            found.append(
                (
                    OTHER,
                    mark(OTHER),
                    "Drugo (besedilo v stolpcu .other_text)",
                    "Other (text in .other_text)",
                )
            )
        return found
    if question.type == Kind.SCALE:
        found = []
        for value in question.values:
            label = {"1": question.low, "5": question.high}.get(value) or {}
            found.append((value, mark(value), label.get("sl", ""), label.get("en", "")))
        return found
    return []


def _append_all(sheet: Any, batch: list[list[Any]]) -> None:
    for row in batch:
        sheet.append(row)


def _fill(
    row: list[Any], index: dict[str, int], question: Any, value: Any, other_text: str | None
) -> None:
    if question.type == Kind.MULTI:
        chosen = set(value or [])
        for code in question.values:
            column = index.get(f"{question.code}.{code}")
            if column is not None:
                row[column] = 1 if code in chosen else 0
    else:
        column = index.get(question.code)
        if column is not None:
            row[column] = neutral(value)
    if other_text and f"{question.code}.other_text" in index:
        row[index[f"{question.code}.other_text"]] = neutral(other_text)


@functools.lru_cache(maxsize=4096)
def _decode_cached(raw: str) -> Any:
    return json.loads(raw)


def _decode(raw: Any) -> Any:
    """Stored JSON; the same few option codes come back again and again, so cache them
    (lists are copied, so a cached value is never changed)."""
    if not isinstance(raw, str):  # SQLite hands numbers back as numbers
        return raw
    if len(raw) > 64:
        return json.loads(raw)
    value = _decode_cached(raw)
    return list(value) if isinstance(value, list) else value
