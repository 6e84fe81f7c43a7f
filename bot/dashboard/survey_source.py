"""The survey page's one source of figures: the survey's decision views
(`bot.services.surveys.views.DecisionViewService`, the instance the digest uses) for a chosen
round, for all respondents or for one group of them (a municipality group or an age band, as
the town's profile sets them side by side). Every figure the views hide is None; `bot.dashboard.pages`
leaves those out of what it sends.

A group is passed to the views as a filter; a filter that would let a small group be worked
out (the respondents it leaves out are fewer than k) is refused by the views with a
`ViewError`, and a group itself smaller than k is not shown either: the page then says the
group is too small to show on its own, with no figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.redact import scrub
from bot.services.surveys.definition import ProfileField
from bot.services.surveys.views import (
    DecisionViews,
    DecisionViewService,
    Grouping,
    ViewError,
    grouping,
)
from storage.repositories import digests as digests_repo
from storage.repositories import surveys as surveys_repo

FIELDS = (ProfileField.MUNICIPALITY, ProfileField.AGE_BAND)


@dataclass(frozen=True)
class Group:
    field: ProfileField
    value: str  # a group code of the town's grouping of `field`
    # The profile codes the group stands for; None is "not stated" (an empty field), so the
    # filter keeps the same people the breakdowns count in this group.
    members: tuple[str | None, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, text: str | None, groups: Grouping | None = None) -> Group | None:
        """`municipality:celje` from a filter; None for all respondents or anything else."""
        name, _, value = (text or "").partition(":")
        for by in FIELDS:
            members = dict((groups or grouping())[by]).get(value)
            if name == by.value and members is not None:
                return cls(by, value, members)
        return None

    @property
    def key(self) -> str:
        return f"{self.field.value}:{self.value}"


def all_groups(groups: Grouping | None = None) -> list[Group]:
    found = groups or grouping()
    return [Group(by, code, members) for by in FIELDS for code, members in found[by]]


@dataclass
class SurveyFigures:
    """What the page shows: the round's decision views, and the filters around them."""

    code: str
    rounds: list[int]  # newest first
    views: DecisionViews | None  # None: no such round, or the group is too small
    group: Group | None = None
    too_small: bool = False  # the chosen group cannot be shown on its own
    groups: list[Group] = field(default_factory=all_groups)
    ideas: list[str] = field(default_factory=list)  # shared ideas, for all respondents only


async def survey_figures(
    views: DecisionViewService,
    sessions: async_sessionmaker[AsyncSession],
    code: str,
    round_number: int | None,
    group: Group | None,
) -> SurveyFigures:
    rounds = sorted(await views.rounds(code), reverse=True)
    found = SurveyFigures(code, rounds, None, group, groups=all_groups(views.groups))
    if not rounds:
        return found
    where = {group.field: group.members} if group is not None else None
    try:
        found.views = await views.decision_views(code, round_number, where=where)
    except ViewError:
        found.too_small = True
        return found
    if found.views is not None and group is not None and 0 < found.views.completed < views.k:
        found.views, found.too_small = None, True
    if found.views is not None and group is None:
        found.ideas = await _ideas(sessions, code, found.views.round_number)
    return found


async def _ideas(sessions: async_sessionmaker[AsyncSession], code: str, number: int) -> list[str]:
    """Ideas residents agreed to share, as the digest lists them (contact details cut)."""
    async with sessions() as session:
        round_ = await surveys_repo.get_round(session, code, number)
        found = await digests_repo.shared_ideas(session, round_.id) if round_ else []
    return [scrub(str(v)) for v in found if v]
