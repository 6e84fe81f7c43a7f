"""The decision views' dataclasses: what `bot.services.surveys.views` hands any front end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.domain import AGE_BANDS, STATUSES
from bot.services.surveys.definition import Condition, ProfileField, Role, Survey, Text
from bot.services.surveys.population import Population

REST = "rest"  # the answers outside a headline, when a breakdown shows only headline vs rest
HEADLINE = "headline"
TOP_REASONS = 5
# The groups of each profile field, in the order they stand side by side: (code, the profile
# codes it covers). None (a field left unset) belongs to exactly one group.
Groups = tuple[tuple[str, tuple[str | None, ...]], ...]
Grouping = Mapping[ProfileField, Groups]

# MAGNET's municipality groups, as the shipped profile sets them (a test keeps the two alike):
# the default of code that is given no profile, e.g. a service built in a test.
MAGNET_MUNICIPALITY_GROUPS: Groups = (
    ("celje", ("celje",)),
    ("prebold", ("prebold",)),
    ("savinjska", ("savinjska",)),
    ("outside", ("slovenia", "abroad", None)),
)


def grouping(municipality: Groups = MAGNET_MUNICIPALITY_GROUPS) -> Grouping:
    """The groups of every field: the town's municipality groups, and the fixed age bands and
    statuses (read-only, so no caller can change another's groups)."""
    return MappingProxyType(
        {
            ProfileField.MUNICIPALITY: tuple(municipality),
            ProfileField.AGE_BAND: (
                *((c.code, (c.code,)) for c in AGE_BANDS if c.code != "na"),
                ("na", ("na", None)),
            ),
            ProfileField.STATUS: (
                *((c.code, (c.code,)) for c in STATUSES if c.code != "na"),
                ("na", ("na", None)),
            ),
        }
    )


@dataclass(frozen=True)
class Distribution:
    """One question's answers in one set of respondents; None where hidden."""

    question: str
    total: int | None  # None: too few to show anything
    cells: dict[str, int | None]
    withheld: bool = False  # answers so alike that any figure would tell what people said

    def share(self, code: str) -> float | None:
        n = self.cells.get(code)
        return None if n is None or not self.total else 100 * n / self.total


@dataclass(frozen=True)
class Headline:
    """The share of a key question's headline options ("would stay")."""

    options: tuple[str, ...]
    label: Text | None
    count: int | None
    total: int | None

    @property
    def share(self) -> float | None:
        if self.count is None or not self.total:
            return None
        return 100 * self.count / self.total


@dataclass(frozen=True)
class Column:
    """One group of a breakdown (a municipality, an age band, or neighbours merged)."""

    group: str  # the first member's code; merged groups list all in `members`
    members: tuple[str, ...]
    total: int | None
    cells: dict[str, int | None]

    def share(self, row: str) -> float | None:
        n = self.cells.get(row)
        return None if n is None or not self.total else 100 * n / self.total


@dataclass(frozen=True)
class Breakdown:
    """A key question by a profile field: answers (rows) × groups (columns)."""

    question: str
    field: ProfileField
    rows: tuple[str, ...]  # answer codes, or (HEADLINE, REST) when answers were merged
    columns: tuple[Column, ...]
    merged_answers: bool = False
    merged_groups: bool = False
    withheld: bool = False


@dataclass(frozen=True)
class Change:
    """The headline share now and in the previous round, in percentage points."""

    question: str
    label: Text | None
    previous_round: int
    previous: float | None  # percent; None when it could not be shown
    current: float | None
    difference: float | None  # points
    low: float | None  # 95 % interval of the difference (Newcomb), points
    high: float | None

    @property
    def clear(self) -> bool:
        """The interval excludes zero: a change beyond what chance would make."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class Reasons:
    """A multiple-choice question's reasons among those it concerns (`among`), most named
    first; a count is None when hidden."""

    question: str
    role: Role
    among: Condition | None
    people: int | None
    top: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Weighted:
    """A headline share post-stratified to the population table (municipality × age band, or
    municipality alone when the finer strata are too small)."""

    question: str
    share: float
    strata: str  # "municipality_age" or "municipality"
    coverage: float  # share of the table's people in strata with respondents


@dataclass(frozen=True)
class CompositionRow:
    field: ProfileField
    group: str
    members: tuple[str, ...]
    respondents: int | None
    share: float | None  # of the respondents in the table's municipalities
    population: float | None  # the table's share, when there is a table


@dataclass(frozen=True)
class Funnel:
    suggested: int | None  # respondents the survey suggested a lab to (None: fewer than k)
    signed_up: int | None  # of them, how many signed up from that suggestion


@dataclass(frozen=True)
class KeyFigure:
    question: str
    overall: Distribution
    headline: Headline | None
    breakdowns: tuple[Breakdown, ...]
    change: Change | None = None
    weighted: Weighted | None = None


@dataclass(frozen=True)
class DecisionViews:
    survey: Survey
    code: str
    round_number: int
    completed: int
    k: int
    previous_round: int | None = None
    previous_completed: int | None = None
    roles_declared: bool = True  # False: the round's survey version says nothing of roles
    key: tuple[KeyFigure, ...] = ()
    push: tuple[Reasons, ...] = ()
    pull: tuple[Reasons, ...] = ()
    funnel: Funnel = field(default_factory=lambda: Funnel(None, None))
    composition: tuple[CompositionRow, ...] = ()
    population: Population | None = None
    filters: tuple[tuple[ProfileField, tuple[str | None, ...]], ...] = ()
    groups: Grouping = field(default_factory=grouping)

    def breakdowns(self, by: ProfileField) -> list[Breakdown]:
        return [b for key in self.key for b in key.breakdowns if b.field == by]


class ViewError(ValueError):
    """A filter that would let a small group be worked out (its complement is under k)."""
