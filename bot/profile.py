"""A town's profile: who runs the bot, where, on what, in which languages (MAGNET_PROFILE).

Labels here are content, written per language, not gettext msgids: a town names its own
municipalities. Any label or text without the reader's language falls back to English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain import Choice

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where built

FALLBACK = "en"
CODE = re.compile(r"^[a-z0-9_]{1,32}$")


class ProfileError(ValueError):
    """A profile that cannot run a bot; `problems` holds one line per bad field."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(f"{source}:\n  " + "\n  ".join(self.problems))


def pick(labels: Mapping[str, str], locale: str) -> str:
    """The text in `locale`, else English, else any: a missing language never shows nothing."""
    return labels.get(locale) or labels.get(FALLBACK) or next(iter(labels.values()), "")


Code = Annotated[str, Field(pattern=CODE.pattern)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _labels(value: object) -> object:
    """A bare string is the English text; a mapping is per language."""
    return {FALLBACK: value} if isinstance(value, str) else value


class Labels(_Strict):
    """Texts per language; English is required, since every other language falls back to it."""

    by_language: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, value: object) -> object:
        value = _labels(value)
        return (
            {"by_language": value}
            if isinstance(value, dict) and "by_language" not in value
            else value
        )

    @field_validator("by_language")
    @classmethod
    def _english(cls, value: dict[str, str]) -> dict[str, str]:
        if not value.get(FALLBACK, "").strip():
            raise ValueError(
                "needs an English text (en), which every missing language falls back to"
            )
        for language, text in value.items():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"the {language} text is empty")
        return value

    def get(self, locale: str) -> str:
        return pick(self.by_language, locale)


class Municipality(_Strict):
    code: Code
    label: Labels
    # The answer on the button where it reads differently from the value ("In Celje").
    answer: Labels | None = None


class Group(_Strict):
    """Municipalities side by side in the survey's breakdowns, as one column."""

    code: Code
    label: Labels | None = None  # unset: the label of its one municipality
    municipalities: list[Code] = Field(default_factory=list)
    # The rest group also takes every municipality no group lists, and "not stated".
    rest: bool = False


class Topic(_Strict):
    code: Code
    label: Labels
    emoji: str = ""


class Hub(_Strict):
    code: Code
    name: Labels
    address: str = Field(min_length=1, max_length=256)
    municipality: Code
    map_url: str | None = None

    @field_validator("map_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https://")
        return value


class Controller(_Strict):
    """The data controller the consent text names."""

    name: Labels
    contact: str = Field(min_length=3)
    privacy_url: str

    @field_validator("privacy_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https://")
        return value


class Network(_Strict):
    """The town in a network of towns (bot.services.network); MAGNET_NETWORK_* win over these."""

    code: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str | None = Field(default=None, min_length=1, max_length=64)
    # Paths are relative to the profile file; the key file may be made later (network keygen).
    key_file: Path | None = None
    peers_file: Path | None = None
    fetch_minutes: float | None = Field(default=None, gt=0)
    max_age_hours: float | None = Field(default=None, gt=0)


class CommandTexts(_Strict):
    menu: Labels | None = None  # the line in Telegram's command menu
    help: Labels | None = None  # the line under /help


class Texts(_Strict):
    """The town's own sentences; each unset one is the bot's town-neutral wording."""

    greeting: Labels | None = None  # may hold %(name)s, the resident's first name
    about: Labels | None = None  # who runs the bot, under /help
    purpose: Labels | None = None  # the consent's "why", after "to send you only the news ..."
    idea_help: Labels | None = None  # /idea in /help
    stories_menu: Labels | None = None  # /stories in the command menu
    survey_invite: Labels | None = None  # the invitation to a new survey round
    key_answers: Labels | None = None  # the caption of the digest's chart
    places: Labels | None = None  # the dashboard's heading of the headline share by group
    commands: dict[str, CommandTexts] = Field(default_factory=dict)

    @field_validator("greeting")
    @classmethod
    def _placeholders(cls, value: Labels | None) -> Labels | None:
        for language, text in (value.by_language if value else {}).items():
            try:
                text % {"name": "", "project": "", "towns": ""}
            except (KeyError, ValueError, TypeError):
                raise ValueError(
                    f"the {language} text may hold only %(name)s, %(project)s and %(towns)s "
                    "(write a percent sign as %%)"
                ) from None
        return value

    @field_validator("commands")
    @classmethod
    def _known(cls, value: dict[str, CommandTexts]) -> dict[str, CommandTexts]:
        from bot.commands import BY_NAME

        unknown = sorted(set(value) - set(BY_NAME))
        if unknown:
            raise ValueError(f"unknown command {', '.join(unknown)} (use the English name)")
        return value


class ProfileModel(_Strict):
    project: str = Field(min_length=1, max_length=64)
    # The town's code among towns (its feed's); unset: the project's name in lower case.
    code: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    towns: Labels
    default_language: str = "sl"
    languages: list[str] = Field(min_length=1)
    municipalities: list[Municipality] = Field(min_length=1)
    hubs: list[Hub] = Field(default_factory=list)
    topics: list[Topic] = Field(min_length=1)
    # Unset: each municipality its own group, "not stated" with the last.
    groups: list[Group] = Field(default_factory=list)
    controller: Controller
    texts: Texts = Texts()
    # Paths are relative to the profile file.
    surveys: Path | None = None
    population: Path | None = None
    # A directory of extra catalogs (<lang>/LC_MESSAGES/messages.po), looked at before the shipped.
    catalogs: Path | None = None
    network: Network = Network()

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        problems = []
        for code in value:
            try:
                Locale.parse(code)
            except (UnknownLocaleError, ValueError):
                problems.append(f"{code!r} is not a language Babel knows (use e.g. de, hr, hu)")
        if FALLBACK not in value:
            problems.append("must include en, which every missing translation falls back to")
        if len(set(value)) != len(value):
            problems.append("lists a language twice")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProfileModel:
        problems = []
        if self.default_language not in self.languages:
            problems.append(f"default_language {self.default_language!r} is not in languages")
        for name, items in (
            ("municipalities", self.municipalities),
            ("topics", self.topics),
            ("hubs", self.hubs),
        ):
            seen: set[str] = set()
            for item in items:
                if item.code in seen:
                    problems.append(f"{name}: code {item.code!r} appears twice")
                seen.add(item.code)
        known = {m.code for m in self.municipalities}
        for hub in self.hubs:
            if hub.municipality not in known:
                problems.append(
                    f"hubs.{hub.code}.municipality: {hub.municipality!r} is not one of the "
                    f"municipalities ({', '.join(sorted(known))})"
                )
        problems += _group_problems(self.groups, known)
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _group_problems(groups: Sequence[Group], known: set[str]) -> list[str]:
    if not groups:
        return []
    problems = []
    codes = [g.code for g in groups]
    problems += [
        f"groups: code {c!r} appears twice" for c in sorted(set(codes)) if codes.count(c) > 1
    ]
    seen: dict[str, str] = {}
    for group in groups:
        for code in group.municipalities:
            if code not in known:
                problems.append(
                    f"groups.{group.code}.municipalities: {code!r} is not one of the "
                    f"municipalities ({', '.join(sorted(known))})"
                )
            elif code in seen:
                problems.append(
                    f"groups.{group.code}.municipalities: {code!r} is already in {seen[code]}"
                )
            seen.setdefault(code, group.code)
        if not group.rest and not group.municipalities:
            problems.append(f"groups.{group.code}: lists no municipalities")
        if group.label is None and len(group.municipalities) != 1:
            problems.append(f"groups.{group.code}: needs a label (it is not one municipality)")
    rests = [g.code for g in groups if g.rest]
    if len(rests) != 1:
        problems.append(
            "groups: exactly one group needs `rest: true` (it takes the municipalities no "
            f"group lists and those who did not say); found {len(rests)}"
        )
    return problems


@dataclass(frozen=True)
class HubEntry:
    code: str
    name: Mapping[str, str]
    address: str
    municipality: str
    map_url: str | None


class Profile:
    """The validated profile, with the vocabulary shaped as the bot uses it."""

    def __init__(self, model: ProfileModel, base: Path):
        self.model = model
        self.base = base  # the profile's directory: its relative paths start there

    @property
    def project(self) -> str:
        return self.model.project

    @property
    def code(self) -> str:
        return self.model.code or re.sub(r"[^a-z0-9_.-]+", "-", self.project.lower()).strip("-.")

    @property
    def network(self) -> Network:
        return self.model.network

    @property
    def network_key_file(self) -> Path | None:
        return self._path(self.network.key_file)

    @property
    def network_peers_file(self) -> Path | None:
        return self._path(self.network.peers_file)

    @property
    def default_language(self) -> str:
        return self.model.default_language

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.model.languages)

    @cached_property
    def municipalities(self) -> tuple[Choice, ...]:
        return tuple(
            Choice(
                m.code,
                m.label.get(FALLBACK),
                m.answer.get(FALLBACK) if m.answer else None,
                labels=m.label.by_language,
                buttons=m.answer.by_language if m.answer else None,
            )
            for m in self.model.municipalities
        )

    @cached_property
    def topics(self) -> tuple[Choice, ...]:
        return tuple(
            Choice(t.code, t.label.get(FALLBACK), labels=t.label.by_language, emoji=t.emoji)
            for t in self.model.topics
        )

    @cached_property
    def hubs(self) -> tuple[HubEntry, ...]:
        return tuple(
            HubEntry(h.code, h.name.by_language, h.address, h.municipality, h.map_url)
            for h in self.model.hubs
        )

    @cached_property
    def municipality_groups(self) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
        """The survey's municipality groups in order: (code, the municipality codes it covers,
        None standing for "not stated")."""
        if not self.model.groups:
            codes = [m.code for m in self.model.municipalities]
            return (
                *((c, (c,)) for c in codes[:-1]),
                (codes[-1], (codes[-1], None)),
            )
        listed = {c for g in self.model.groups for c in g.municipalities}
        unlisted = tuple(m.code for m in self.model.municipalities if m.code not in listed)
        return tuple(
            (g.code, (*g.municipalities, *unlisted, None) if g.rest else tuple(g.municipalities))
            for g in self.model.groups
        )

    def group_label(self, code: str, locale: str) -> str | None:
        """A municipality group's name: its own label, else its one municipality's."""
        group = next((g for g in self.model.groups if g.code == code), None)
        if group is not None and group.label is not None:
            return group.label.get(locale)
        single = group.municipalities[0] if group is not None else code
        found = next((m for m in self.model.municipalities if m.code == single), None)
        return None if found is None else found.label.get(locale)

    def towns(self, locale: str) -> str:
        return self.model.towns.get(locale)

    def text(self, name: str, locale: str) -> str | None:
        """One of the town's own sentences (see Texts), or None where the town set none."""
        labels: Labels | None = getattr(self.model.texts, name)
        return None if labels is None else labels.get(locale)

    def command_text(self, name: str, kind: str, locale: str) -> str | None:
        """The town's own wording of a command's menu or help line, or None."""
        texts = self.model.texts.commands.get(name)
        labels: Labels | None = None if texts is None else getattr(texts, kind)
        return None if labels is None else labels.get(locale)

    def controller(self, locale: str) -> tuple[str, str, str]:
        c = self.model.controller
        return c.name.get(locale), c.contact, c.privacy_url

    def _path(self, value: Path | None) -> Path | None:
        return None if value is None else (self.base / value).resolve()

    @property
    def surveys_dir(self) -> Path | None:
        return self._path(self.model.surveys)

    @property
    def population_file(self) -> Path | None:
        return self._path(self.model.population)

    @property
    def catalogs_dir(self) -> Path | None:
        return self._path(self.model.catalogs)

    def missing_labels(self) -> list[str]:
        """Labels without one of the offered languages (shown in English): for `profile check`."""
        found = []
        for kind, items in (("municipalities", self.municipalities), ("topics", self.topics)):
            for c in items:
                lacking = [x for x in self.languages if x not in (c.labels or {})]
                if lacking:
                    found.append(f"{kind}.{c.code}: no {', '.join(lacking)}; shown in English")
        return found


def default_profile_path() -> Path:
    return Path(str(resources.files("bot") / "content" / "profiles" / "magnet.yaml"))


def _where(loc: tuple[Any, ...], data: object) -> str:
    """pydantic's location, with list indexes turned into the item's code where it has one."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            code = item.get("code") if isinstance(item, dict) else None
            parts.append(str(code) if isinstance(code, str) else str(part))
            node = item
            continue
        if part in ("by_language",) or str(part).startswith("function"):
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def parse_profile(data: object, source: str = "profile", base: Path | None = None) -> Profile:
    if not isinstance(data, dict):
        raise ProfileError(source, ["the file must hold a mapping (project:, towns:, ...)"])
    try:
        model = ProfileModel.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _where(error["loc"], data)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field (a typo?)"
            for line in message.split("\n"):
                problems.append(f"{where}: {line}" if where else line)
        raise ProfileError(source, problems) from None
    profile = Profile(model, base or Path.cwd())
    problems = [
        f"{name}: {path} does not exist"
        for name, path in (
            ("surveys", profile.surveys_dir),
            ("population", profile.population_file),
            ("catalogs", profile.catalogs_dir),
            ("network.peers_file", profile.network_peers_file),
        )
        if path is not None and not path.exists()
    ]
    if problems:
        raise ProfileError(source, problems)
    return profile


def load_profile(path: Path | None = None) -> Profile:
    """The profile at `path`, or the shipped MAGNET Celje + Prebold one."""
    path = path or default_profile_path()
    try:
        stat = path.stat()
    except OSError as exc:
        raise ProfileError(str(path), [f"cannot be read: {exc.strerror}"]) from None
    # Settings' validators and properties ask for it several times at every start; a file
    # edited since (same path, new size or time) is read afresh.
    return _load(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int, size: int) -> Profile:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as exc:
        raise ProfileError(str(path), [f"cannot be read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise ProfileError(str(path), [f"is not valid YAML: {exc}"]) from None
    return parse_profile(data, str(path), path.parent)
