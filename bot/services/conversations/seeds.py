"""Reading a conversation's question and seed statements from YAML or CSV, with one problem
per bad line, for a coordinator's file in Telegram and `magnet-bot conversations open FILE`.

YAML::

    question: {sl: "Kaj naj Celje ...?", en: "What should Celje ...?"}
    statements:
      - {sl: "...", en: "..."}

CSV: a header `kind,sl,en`, one `question` row and a `statement` row per statement.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain import Bilingual

MIN_STATEMENTS, MAX_STATEMENTS = 10, 30
QUESTION_MAX = 300
# Short enough to read on a phone at a glance and to answer without scrolling (Polis: 140).
STATEMENT_MAX = 200
LANGUAGES = ("sl", "en")


class SeedIssue(StrEnum):
    UNREADABLE = "unreadable"  # not UTF-8, not YAML/CSV, or not the expected shape
    NO_QUESTION = "no_question"
    MISSING = "missing"  # a language's text is empty
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    UNKNOWN_KIND = "unknown_kind"  # CSV: a kind other than question/statement
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class SeedProblem:
    issue: SeedIssue
    line: int | None = None
    language: str | None = None
    limit: int | None = None
    detail: str = ""  # machine text (a parser's message), shown as it is

    def english(self) -> str:
        """For the command line (Telegram words it in the coordinator's language)."""
        where = f"line {self.line}: " if self.line is not None else ""
        text = {
            SeedIssue.UNREADABLE: f"cannot read the file: {self.detail}",
            SeedIssue.NO_QUESTION: "no question (give `question` with sl and en)",
            SeedIssue.MISSING: f"the {self.language} text is empty",
            SeedIssue.TOO_LONG: f"the {self.language} text is longer than {self.limit} characters",
            SeedIssue.DUPLICATE: f"the same {self.language} text as line {self.limit}",
            SeedIssue.UNKNOWN_KIND: f"kind {self.detail!r}: use question or statement",
            SeedIssue.TOO_FEW: f"{self.detail} statements; at least {self.limit} are needed",
            SeedIssue.TOO_MANY: f"{self.detail} statements; at most {self.limit} are allowed",
        }[self.issue]
        return where + text


@dataclass(frozen=True)
class Seed:
    question: Bilingual
    statements: tuple[Bilingual, ...]


class SeedError(ValueError):
    def __init__(self, problems: list[SeedProblem]):
        super().__init__("; ".join(p.english() for p in problems))
        self.problems = problems


def parse_seed(name: str, data: bytes) -> Seed:
    """The seed in a file called `name`; SeedError lists every problem found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SeedError([SeedProblem(SeedIssue.UNREADABLE, detail="not UTF-8 text")]) from None
    lower = name.lower()
    if lower.endswith((".yaml", ".yml")):
        question, rows = _yaml(text)
    elif lower.endswith(".csv"):
        question, rows = _csv(text)
    else:
        raise SeedError(
            [SeedProblem(SeedIssue.UNREADABLE, detail="use a .yaml, .yml or .csv file")]
        )
    return _checked(question, rows)


Row = tuple[int | None, dict[str, Any]]


def _yaml(text: str) -> tuple[Row | None, list[Row]]:
    import yaml  # only a coordinator's file needs it, never the bot's start

    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise SeedError([SeedProblem(SeedIssue.UNREADABLE, detail=str(exc))]) from None
    if not isinstance(data, dict) or not isinstance(data.get("statements"), list):
        detail = "expected `question:` and a list of `statements:`"
        raise SeedError([SeedProblem(SeedIssue.UNREADABLE, detail=detail)])
    lines = {key.value: value for key, value in node.value} if node is not None else {}
    items = getattr(lines.get("statements"), "value", [])
    statement_lines = [item.start_mark.line + 1 for item in items]
    question_node = lines.get("question")
    question = data.get("question")
    question_row = (
        (question_node.start_mark.line + 1, _mapping(question)) if question is not None else None
    )
    rows = [
        (statement_lines[i] if i < len(statement_lines) else None, _mapping(item))
        for i, item in enumerate(data["statements"])
    ]
    return question_row, rows


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _csv(text: str) -> tuple[Row | None, list[Row]]:
    first = text.splitlines()[0] if text else ""
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if not {"kind", *LANGUAGES} <= set(fields):
        detail = "the CSV file needs a header row: kind,sl,en"
        raise SeedError([SeedProblem(SeedIssue.UNREADABLE, detail=detail)])
    reader.fieldnames = fields
    question: Row | None = None
    rows: list[Row] = []
    problems = []
    for row in reader:
        line = reader.line_num
        kind = (row.get("kind") or "").strip().lower()
        if kind == "question" and question is None:
            question = (line, row)
        elif kind == "statement":
            rows.append((line, row))
        elif any((value or "").strip() for value in row.values() if isinstance(value, str)):
            problems.append(SeedProblem(SeedIssue.UNKNOWN_KIND, line, detail=kind))
    if problems:
        raise SeedError(problems)
    return question, rows


def _texts(
    line: int | None, row: dict[str, Any], limit: int
) -> tuple[Bilingual, list[SeedProblem]]:
    problems = []
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        value = row.get(language)
        text = " ".join(str(value).split()) if value is not None else ""
        if not text:
            problems.append(SeedProblem(SeedIssue.MISSING, line, language))
        elif len(text) > limit:
            problems.append(SeedProblem(SeedIssue.TOO_LONG, line, language, limit))
        texts[language] = text
    return Bilingual(texts["sl"], texts["en"]), problems


def _checked(question: Row | None, rows: list[Row]) -> Seed:
    problems: list[SeedProblem] = []
    if question is None:
        problems.append(SeedProblem(SeedIssue.NO_QUESTION))
        asked = Bilingual(None, None)
    else:
        asked, found = _texts(question[0], question[1], QUESTION_MAX)
        problems += found
    statements = []
    first_seen: dict[tuple[str, str], int | None] = {}
    for line, row in rows:
        texts, found = _texts(line, row, STATEMENT_MAX)
        problems += found
        for language in LANGUAGES:
            key = (language, (getattr(texts, language) or "").casefold())
            if not key[1]:
                continue
            if key in first_seen:
                earlier = first_seen[key]
                problems.append(SeedProblem(SeedIssue.DUPLICATE, line, language, earlier))
            else:
                first_seen[key] = line
        statements.append(texts)
    if len(rows) < MIN_STATEMENTS:
        problems.append(SeedProblem(SeedIssue.TOO_FEW, limit=MIN_STATEMENTS, detail=str(len(rows))))
    if len(rows) > MAX_STATEMENTS:
        problems.append(
            SeedProblem(SeedIssue.TOO_MANY, limit=MAX_STATEMENTS, detail=str(len(rows)))
        )
    if problems:
        raise SeedError(problems)
    return Seed(asked, tuple(statements))
