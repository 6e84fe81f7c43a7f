"""Survey definitions: YAML files, each text in Slovenian and English, checked before use.

A definition is a list of sections, each with questions. A question may be shown only if
earlier answers match (`show_if`), so a survey is a path through its questions that depends
on the answers given. Every problem in a file is reported on its own line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain import Bilingual

LOCALES = ("sl", "en")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "surveys"
# The definitions are read at every start: libyaml's loader does it in a seventh of the time.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Kind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    SCALE = "scale"
    NUMBER = "number"
    TEXT = "text"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    code: str
    sl: str = ""
    en: str = ""
    # The lab theme this answer points to (for the lab suggestion after the survey).
    topic: str | None = None
    # Multiple choice: "None of these", which clears the other choices (and they clear it).
    exclusive: bool = False

    def label(self, locale: str) -> str:
        return Bilingual(self.sl, self.en).get(locale)


Text = dict[str, str]


class Role(StrEnum):
    """What a question's answers are for in the digest, the decision views and the exports."""

    KEY = "key"  # a headline question: overall, by each breakdown, across rounds
    PULL = "pull"  # reasons that keep people (shown among `among`, e.g. those who intend to stay)
    PUSH = "push"  # reasons that push people away (among those who intend to leave, or left)
    CONTEXT = "context"  # described, never a headline (e.g. commuting)


class ProfileField(StrEnum):
    """Profile fields copied onto a response at submission, by which answers can be broken down."""

    MUNICIPALITY = "municipality"
    AGE_BAND = "age_band"
    STATUS = "resident_status"


def bilingual(text: Text | None) -> Bilingual:
    """A definition's text (`{sl: ..., en: ...}`) as one value to read in a locale."""
    return Bilingual((text or {}).get("sl"), (text or {}).get("en"))


class Condition(_Model):
    """Shown only if the earlier `question`'s answer is (or, for multiple choice, includes)
    one of `in`, or none of `not_in`; or, with `answered: true`, if it was answered at all."""

    question: str
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    answered: bool | None = None


class Report(_Model):
    """A question's analysis role, declared in the definition so any survey reports itself.

    `by`: profile fields to break the answers down by. `among`: only respondents whose answer
    to an earlier question matches (push among those who intend to leave). `headline`: the
    options whose combined share is the question's headline figure (e.g. "would stay")."""

    role: Role
    by: list[ProfileField] = Field(default_factory=list)
    among: Condition | None = None
    headline: list[str] = Field(default_factory=list)
    label: Text | None = None  # the headline's name, e.g. {sl: "ostali bi", en: "would stay"}


class Question(_Model):
    code: str
    type: Kind
    text: Text
    hint: Text | None = None
    required: bool = True
    options: list[Option] = Field(default_factory=list)
    other: bool = False  # a choice: "other, please specify" (the code "other", with its text)
    max: int | None = None  # multi: most choices; number: largest value; text: longest
    min: int | None = None  # number: smallest value
    low: Text | None = None  # scale: the label of 1
    high: Text | None = None  # scale: the label of 5
    show_if: list[Condition] = Field(default_factory=list)
    report: Report | None = None

    @field_validator("show_if", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    @property
    def text_limit(self) -> int:
        return self.max or 500

    @property
    def values(self) -> list[str]:
        """The codes a choice or a scale may hold, "other" included (as exports write them)."""
        if self.type == Kind.SCALE:
            return [str(n) for n in range(1, 6)]
        return [o.code for o in self.options] + (["other"] if self.other else [])


class Section(_Model):
    code: str
    title: Text
    intro: Text | None = None
    questions: list[Question]


LONGEST_KNOWN = 4096  # per definition: the points a resident can be at, times the steering answers


class Survey(_Model):
    code: str
    title: Text
    intro: Text
    minutes: int = 5
    sections: list[Section]

    def questions(self) -> Iterator[tuple[Section, Question]]:
        for section in self.sections:
            for question in section.questions:
                yield section, question

    # A definition never changes once loaded (the model is frozen), and every tap of the survey
    # asks these again: each is worked out once per definition. (A cached_property is not a
    # field: it is neither validated, dumped, compared nor part of the checksum.)
    @cached_property
    def ordered(self) -> list[Question]:
        return [q for _, q in self.questions()]

    @cached_property
    def _by_code(self) -> dict[str, Question]:
        return {q.code: q for q in reversed(self.ordered)}  # the first of a code, as before

    def question(self, code: str) -> Question | None:
        return self._by_code.get(code)

    @cached_property
    def _ordinals(self) -> dict[str, int]:
        return {q.code: i for i, q in reversed(list(enumerate(self.ordered)))}

    def ordinal(self, question: Question) -> int:
        """The question's index in `ordered` (what buttons carry). Not `ordered.index`: that
        compares whole pydantic models, field by field, and a tap asked it for every question
        on the path."""
        return self._ordinals[question.code]

    def reported(self, role: Role) -> list[Question]:
        """The questions declaring `role`, in the order they are asked."""
        return [q for q in self.ordered if q.report is not None and q.report.role == role]

    def section_of(self, code: str) -> Section | None:
        return self._sections.get(code)

    @cached_property
    def _sections(self) -> dict[str, Section]:
        found: dict[str, Section] = {}
        for section, question in self.questions():
            found.setdefault(question.code, section)
        return found

    def checksum(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def visible(self, question: Question, answers: dict[str, Any]) -> bool:
        """Whether `question` is on the path, given the answers so far."""
        return all(_holds(condition, answers) for condition in question.show_if)

    def path(self, answers: dict[str, Any]) -> list[Question]:
        """The questions this resident is asked, in order. Only answers to questions on the
        path count: an answer left behind by a changed branch opens no further questions."""
        on_path: dict[str, Any] = {}
        found = []
        for question in self.ordered:
            if self.visible(question, on_path):
                found.append(question)
                if question.code in answers:
                    on_path[question.code] = answers[question.code]
        return found

    def longest(self, answers: dict[str, Any], before: Question | None = None) -> int:
        """The length of the longest path still possible when only the answers to the path's
        questions before `before` count (all of them when None), whatever comes next."""
        decided: set[str] = set()
        for question in self.path(answers):
            if before is not None and question.code == before.code:
                break
            decided.add(question.code)
        fixed = {code: answers[code] for code in decided if code in answers}
        # Only the answers some condition looks at steer the path (a typed text never does).
        steering = sorted((c, v) for c, v in fixed.items() if c in self._needed[0])
        key = repr((sorted(decided), steering))
        found = self._longest_known.get(key)
        if found is None:
            found = _longest(self, self._branching, self._needed, fixed, decided)
            if len(self._longest_known) < LONGEST_KNOWN:
                self._longest_known[key] = found
        return found

    @cached_property
    def _longest_known(self) -> dict[str, int]:
        """Longest paths worked out, by what decided them: residents at the same point with
        the same steering answers share one (their other answers do not change it)."""
        return {}

    @cached_property
    def _needed(self) -> list[list[str]]:
        """The answers questions from index i on still look at: only those tell two branches
        apart."""
        ordered = self.ordered
        needed: list[list[str]] = [[] for _ in range(len(ordered) + 1)]
        for i in range(len(ordered) - 1, -1, -1):
            looked_at = {c.question for c in ordered[i].show_if}
            needed[i] = sorted(set(needed[i + 1]) | looked_at)
        return needed

    @cached_property
    def _branching(self) -> dict[str, list[Any]]:
        """For each question others depend on, one answer per way it can steer the path:
        options every condition on it treats alike give the same path, so one stands for all
        (and None: left unanswered)."""
        tests: dict[str, list[Condition]] = {}
        for question in self.ordered:
            for condition in question.show_if:
                tests.setdefault(condition.question, []).append(condition)
        found: dict[str, list[Any]] = {}
        for code, conditions in tests.items():
            target = self.question(code)
            if target is None:
                continue
            candidates: list[Any] = list(target.values) or ["x"]
            if target.type == Kind.MULTI:
                candidates = [[v] for v in candidates] + [list(target.values)]
            kinds: dict[tuple[bool, ...], Any] = {}
            for value in candidates:
                signature = tuple(_holds(c, {code: value}) for c in conditions)
                kinds.setdefault(signature, value)
            found[code] = [*kinds.values(), None]
        return found


def _holds(condition: Condition, answers: dict[str, Any]) -> bool:
    if condition.question not in answers:
        return False
    if condition.answered:
        return True
    given = answers[condition.question]
    values = set(given) if isinstance(given, list) else {given}
    if condition.in_ is not None and not values & set(condition.in_):
        return False
    return not (condition.not_in is not None and values & set(condition.not_in))


def _longest(
    survey: Survey,
    branching: dict[str, list[Any]],
    needed: list[list[str]],
    fixed: dict[str, Any],
    decided: set[str],
) -> int:
    """Depth-first over the answers still to come that steer the path: the most questions."""
    ordered = survey.ordered
    memo: dict[str, int] = {}

    def walk(index: int, given: dict[str, Any]) -> int:
        """The most questions from `index` on, given the answers so far (remembered: many
        branches meet again once the answers that split them no longer matter)."""
        key = repr((index, [given.get(k) for k in needed[index]]))
        if key in memo:
            return memo[key]
        count = 0
        result = None
        while index < len(ordered):
            question = ordered[index]
            index += 1
            if not survey.visible(question, given):
                continue
            count += 1
            if question.code in decided or question.code not in branching:
                continue
            result = count + max(
                walk(index, given if value is None else {**given, question.code: value})
                for value in branching[question.code]
            )
            break
        memo[key] = count if result is None else result
        return memo[key]

    return walk(0, dict(fixed))


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def parse(data: Any) -> tuple[Survey | None, list[Problem]]:
    """A survey from loaded YAML, and every problem with it (structure, then meaning)."""
    try:
        survey = Survey.model_validate(data)
    except ValidationError as exc:
        return None, [
            Problem(".".join(str(p) for p in error["loc"]) or "survey", error["msg"])
            for error in exc.errors()
        ]
    return survey, check(survey)


def load_file(path: Path) -> tuple[Survey | None, list[Problem]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path.name, f"cannot read the file: {exc}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path.name, f"not valid YAML: {exc}")]
    return parse(data)


def definition_files(directory: Path) -> list[Path]:
    """The survey files of a directory: its *.yaml files (notes beside them are not loaded)."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def shipped(directory: Path | None = None) -> list[Survey]:
    """The surveys the bot runs: those of `directory` (a town's own, MAGNET_SURVEYS_DIR) or
    those shipped with the bot. A broken one stops the bot with every problem named."""
    directory = directory or CONTENT_DIR
    surveys = []
    for path in definition_files(directory):
        survey, problems = load_file(path)
        if survey is None or problems:
            raise ValueError(f"{path.name}: " + "; ".join(map(str, problems)))
        surveys.append(survey)
    if not surveys:
        raise ValueError(f"{directory.name}: no survey definitions (*.yaml)")
    codes = [s.code for s in surveys]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{directory.name}: two files define the same survey code")
    return surveys


def check(survey: Survey) -> list[Problem]:
    problems: list[Problem] = []

    def add(where: str, message: str) -> None:
        problems.append(Problem(where, message))

    def texts(where: str, text: Text | None, required: bool = True) -> None:
        if text is None:
            if required:
                add(where, "missing text")
            return
        for locale in LOCALES:
            if not (text.get(locale) or "").strip():
                add(where, f"missing the {_language(locale)} translation")
        for extra in sorted(set(text) - set(LOCALES)):
            add(where, f"unknown language {extra!r} (use sl and en)")

    if not CODE.match(survey.code):
        add("survey", f"code {survey.code!r} must be lowercase letters, digits and _")
    texts("survey title", survey.title)
    texts("survey intro", survey.intro)
    seen_sections: set[str] = set()
    seen: dict[str, int] = {}
    order = {q.code: i for i, q in enumerate(survey.ordered)}
    for section in survey.sections:
        where = f"section {section.code}"
        if section.code in seen_sections:
            add(where, "duplicate section code")
        seen_sections.add(section.code)
        texts(f"{where} title", section.title)
        texts(f"{where} intro", section.intro, required=False)
        if not section.questions:
            add(where, "has no questions")
    for index, question in enumerate(survey.ordered):
        where = f"question {question.code}"
        if not CODE.match(question.code):
            add(where, "code must be lowercase letters, digits and _ (at most 32)")
        if question.code in seen:
            add(where, "duplicate question code")
        seen.setdefault(question.code, index)
        texts(f"{where} text", question.text)
        texts(f"{where} hint", question.hint, required=False)
        _check_kind(question, add, texts)
        for condition in question.show_if:
            _check_condition(survey, question, condition, order, index, add)
        if question.report is not None:
            _check_report(survey, question, question.report, order, index, add, texts)
    return problems


def _language(locale: str) -> str:
    return {"sl": "Slovenian", "en": "English"}[locale]


def _check_kind(question: Question, add: Any, texts: Any) -> None:
    where = f"question {question.code}"
    choice = question.type in (Kind.SINGLE, Kind.MULTI)
    if choice:
        if len(question.options) < 2:
            add(where, "a choice needs at least two options")
        codes: set[str] = set()
        for option in question.options:
            if option.code in codes:
                add(where, f"duplicate option code {option.code!r}")
            if option.code == "other" and question.other:
                add(where, "option code 'other' is taken by 'other: true'")
            codes.add(option.code)
            texts(f"{where} option {option.code}", {"sl": option.sl, "en": option.en})
            if option.exclusive and question.type != Kind.MULTI:
                add(where, f"option {option.code}: 'exclusive' is only for multiple choice")
        if (
            question.type == Kind.MULTI
            and question.max is not None
            and not (1 <= question.max <= len(question.values))
        ):
            add(where, f"max {question.max} must be between 1 and the number of options")
    elif question.options:
        add(where, f"a {question.type.value} question has no options")
    if question.other and not choice:
        add(where, "'other' is only for a choice")
    if question.type == Kind.SCALE:
        texts(f"{where} low", question.low)
        texts(f"{where} high", question.high)
    if question.type == Kind.NUMBER:
        if question.min is None or question.max is None:
            add(where, "a number needs min and max")
        elif question.min > question.max:
            add(where, f"min {question.min} is above max {question.max}")
    if question.type == Kind.TEXT and question.max is not None and not 1 <= question.max <= 2000:
        add(where, "a text's max length must be between 1 and 2000")


def _check_condition(
    survey: Survey,
    question: Question,
    condition: Condition,
    order: dict[str, int],
    index: int,
    add: Any,
) -> None:
    where = f"question {question.code}"
    target = survey.question(condition.question)
    if target is None:
        add(where, f"show_if refers to unknown question {condition.question!r}")
        return
    if condition.question == question.code:
        add(where, "show_if refers to the question itself (a cycle)")
        return
    if order[condition.question] > index:
        add(
            where,
            f"show_if refers to {condition.question!r}, which comes later "
            "(a question can only depend on earlier ones; this would be a cycle)",
        )
    if condition.answered:
        if condition.in_ is not None or condition.not_in is not None:
            add(where, "show_if: 'answered' goes alone, without 'in' or 'not_in'")
        return
    if condition.in_ is None and condition.not_in is None:
        add(where, "show_if needs 'in', 'not_in' or 'answered: true'")
    if target.type not in (Kind.SINGLE, Kind.MULTI):
        add(where, f"show_if on {condition.question!r}: only choice questions can be conditions")
        return
    known = set(target.values)
    for value in (condition.in_ or []) + (condition.not_in or []):
        if value not in known:
            add(where, f"show_if: {condition.question!r} has no option {value!r}")


def _check_report(
    survey: Survey,
    question: Question,
    report: Report,
    order: dict[str, int],
    index: int,
    add: Any,
    texts: Any,
) -> None:
    where = f"question {question.code} report"
    if report.role in (Role.PULL, Role.PUSH) and question.type not in (Kind.SINGLE, Kind.MULTI):
        add(where, f"a {report.role.value} question must be a choice, not {question.type.value}")
    if report.role == Role.KEY and question.type not in (Kind.SINGLE, Kind.SCALE):
        add(where, f"a key question must be single choice or a scale, not {question.type.value}")
    codes = set(question.values)
    for value in report.headline:
        if value not in codes:
            add(where, f"headline: no option {value!r}")
    if report.headline:
        texts(f"{where} label", report.label)
    if len(set(report.by)) != len(report.by):
        add(where, "'by' names a field twice")
    among = report.among
    if among is None:
        return
    target = survey.question(among.question)
    if target is None:
        add(where, f"among refers to unknown question {among.question!r}")
        return
    if order[among.question] >= index:
        add(where, f"among refers to {among.question!r}, which is not asked before")
    if target.type not in (Kind.SINGLE, Kind.MULTI):
        add(where, f"among on {among.question!r}: only choice questions can select respondents")
        return
    if among.in_ is None and among.not_in is None:
        add(where, "among needs 'in' or 'not_in'")
    known = set(target.values)
    for value in (among.in_ or []) + (among.not_in or []):
        if value not in known:
            add(where, f"among: {among.question!r} has no option {value!r}")
