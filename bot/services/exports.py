"""Staff exports of survey answers: CSV, XLSX and JSON, with a codebook.

Rows are read in batches and written as they come, so memory stays flat however many
answers there are. Respondents appear as R000001, R000002... numbered within one export:
stable inside it, meaningless outside it; the Telegram id never appears. A cell a
spreadsheet would run as a formula is written as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import xlsx
from bot.services.surveys.answers import OTHER
from bot.services.surveys.definition import Kind, Question, Survey
from storage.repositories import audit as audit_repo
from storage.repositories import surveys as surveys_repo

log = logging.getLogger(__name__)

BATCH = 2000
AHEAD = 3  # batches fetched ahead of the conversion: memory stays a few batches
T = TypeVar("T")
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
        async for batch in self._converted(plan, _Pivot.rows):
            yield batch

    async def _converted(
        self, plan: Plan, convert: Callable[[_Pivot, Sequence[Any]], T]
    ) -> AsyncIterator[T]:
        """The responses streamed from one query, each batch pivoted (and converted) in a
        worker thread: 100,000 responses are seconds of Python that replies must not wait on.

        Three stages overlap: a task fetches up to AHEAD batches in advance (on PostgreSQL
        the query is the server's work, on the other core, and it is kept busy rather than
        asked for each batch only after the last was converted); one worker thread converts
        the batches one at a time and in order (the pivot numbers the respondents); and the
        caller is handed batch N while batch N+1 is converted."""
        pivot = _Pivot(plan)
        fetched: asyncio.Queue[Sequence[Any] | None] = asyncio.Queue(AHEAD)
        fetching = asyncio.create_task(self._fetch(plan, fetched), name="export fetch")
        worker = ThreadPoolExecutor(1, thread_name_prefix="export")
        loop = asyncio.get_running_loop()
        converting: asyncio.Future[T] | None = None
        try:
            while (batch := await fetched.get()) is not None:
                following = loop.run_in_executor(worker, convert, pivot, batch)
                if converting is not None:
                    yield await converting
                converting = following
            await fetching  # the end of the stream, or the error that cut it short
            if converting is not None:
                done, converting = await converting, None
                yield done
        finally:
            fetching.cancel()  # the reader went away: stop the query, drop what is queued
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetching
            worker.shutdown(wait=False, cancel_futures=True)

    async def _fetch(self, plan: Plan, into: asyncio.Queue[Sequence[Any] | None]) -> None:
        try:
            async with self._sessions() as session:
                rows = surveys_repo.stream_completed_rows(session, plan.round_id, BATCH)
                async for batch in rows:
                    await into.put(batch)
            await into.put(None)
        except BaseException:
            # The caller takes the failure from this task once it reads the end; the queue may
            # be full, and what is in it no longer matters: make room for the end.
            if into.full():
                into.get_nowait()
            into.put_nowait(None)
            raise

    async def csv_chunks(self, plan: Plan) -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([c.name for c in plan.columns])
        yield ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM: spreadsheets read UTF-8
        async for chunk in self._converted(plan, _Pivot.csv):
            yield chunk

    async def json_chunks(self, plan: Plan) -> AsyncIterator[bytes]:
        """A JSON array of objects keyed by column name, each batch encoded in the worker
        thread like the CSV's (json.dumps of 2,000 rows is a tenth of a second of Python)."""
        yield b"["
        first = True
        async for chunk in self._converted(plan, _Pivot.json):
            if chunk:  # (a batch is never empty; were one, it must not leave a stray comma)
                yield chunk if first else b",\n" + chunk
                first = False
        yield b"]\n"

    async def xlsx_file(self, plan: Plan, directory: Path | None = None) -> Path:
        """An XLSX workbook (answers and codebook sheets), streamed row by row to disk."""
        with tempfile.NamedTemporaryFile(
            prefix=f"{plan.survey_code}-", suffix=".xlsx", dir=directory, delete=False
        ) as handle:
            path = Path(handle.name)
        try:
            async with xlsx.Writer(path) as writer:
                await writer.send(xlsx.frame(("sheet", "answers")))
                await writer.send(xlsx.frame(("rows", [[c.name for c in plan.columns]])))
                async for data in self._converted(plan, _xlsx_frame):
                    await writer.send(data)
                await writer.send(xlsx.frame(("sheet", "codebook")))
                rows = [[neutral(v) for v in row] for row in self.codebook_rows(plan)]
                await writer.send(xlsx.frame(("rows", rows)))
                await writer.finish()
        except BaseException:
            _discard(path)
            raise
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


def _discard(path: Path) -> None:
    """A workbook that could not be finished is not left behind."""
    path.unlink(missing_ok=True)


def _xlsx_frame(pivot: _Pivot, batch: Sequence[Any]) -> bytes:
    return xlsx.frame(("rows", pivot.rows(batch)))


_Cells = tuple[tuple[int, Any], ...]  # (column, value) pairs an answer fills
_Filled = tuple[_Cells, int | None]  # and the column of its "other" text, if any


class _Filler:
    """How one version's question fills its cells, from the answer's stored JSON text."""

    __slots__ = ("column", "multi", "options", "other")

    def __init__(self, question: Question, index: dict[str, int]):
        self.multi = question.type == Kind.MULTI
        self.options = [
            (index[f"{question.code}.{code}"], code)
            for code in question.values
            if f"{question.code}.{code}" in index
        ]
        self.column = index.get(question.code)
        self.other = index.get(f"{question.code}.other_text")

    def cells(self, raw: str | None) -> _Cells:
        value = None if raw is None else json.loads(raw)
        if self.multi:
            chosen = set(value or [])
            return tuple((i, 1 if code in chosen else 0) for i, code in self.options)
        return () if self.column is None else ((self.column, neutral(value)),)


# What an answer nobody asks about any more (a question no version has) fills: nothing.
_NOTHING: _Filled = ((), None)
CACHED_ANSWERS = 65_536  # distinct short answers kept: option codes come again and again


class _Pivot:
    """Streamed responses (see surveys_repo.stream_completed_rows) as export rows, numbering
    respondents R000001, R000002... in order.

    This is the export's hot loop (a hundred thousand responses, over a million answers): the
    cells an answer fills are looked up once per (version, question, stored text) and kept,
    so that an option code chosen again costs one dictionary lookup."""

    def __init__(self, plan: Plan):
        index = {c.name: i for i, c in enumerate(plan.columns)}
        self.width = len(plan.columns)
        self.round = plan.round_number
        self.numbers = {version_id: number for version_id, (number, _) in plan.versions.items()}
        self.fillers = {
            (version_id, question.code): _Filler(question, index)
            for version_id, (_, survey) in plan.versions.items()
            for question in survey.ordered
        }
        self.known: dict[tuple[int, str, str | None], _Filled] = {}
        self.names = [c.name for c in plan.columns]
        self.count = 0

    def _fill(self, version_id: int, code: str, raw: str | None) -> _Filled:
        filler = self.fillers.get((version_id, code))
        found = _NOTHING if filler is None else (filler.cells(raw), filler.other)
        if (raw is None or len(raw) <= 64) and len(self.known) < CACHED_ANSWERS:
            self.known[(version_id, code, raw)] = found
        return found

    def rows(self, batch: Sequence[Any]) -> list[list[Any]]:
        known, fill, loads, numbers = self.known, self._fill, json.loads, self.numbers
        blank = [None] * (self.width - len(FIXED))
        round_, count, found = self.round, self.count, []
        for version_id, day, municipality, age_band, status, answers in batch:
            count += 1
            row: list[Any] = [
                f"R{count:06d}",
                round_,
                numbers[version_id],
                day,
                municipality,
                age_band,
                status,
                *blank,
            ]
            if answers:
                for code, raw, other_text in loads(answers):
                    cells, other = known.get((version_id, code, raw)) or fill(version_id, code, raw)
                    for column, value in cells:
                        row[column] = value
                    if other_text and other is not None:
                        row[other] = neutral(other_text)
            found.append(row)
        self.count = count
        return found

    def csv(self, batch: Sequence[Any]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(self.rows(batch))
        return buffer.getvalue().encode("utf-8")

    def json(self, batch: Sequence[Any]) -> bytes:
        names = self.names
        encode = json.JSONEncoder(ensure_ascii=False).encode
        objects = (encode(dict(zip(names, row, strict=True))) for row in self.rows(batch))
        return ",\n".join(objects).encode("utf-8")
