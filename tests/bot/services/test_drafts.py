"""The moderated-draft mechanism ideas and stories share (bot.services.drafts), through both
services on both backends: one draft per author, kept and found again; a text or press for a
draft that has moved on (another draft, another step) refused with the feature's own error;
someone who is not a resident refused; discarding ends the wait for the author's text."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.i18n import I18n
from bot.services.ideas.service import IdeaService
from bot.services.ideas.types import IdeaError, IdeaProblem
from bot.services.stories.service import StoryService
from bot.services.stories.types import StoryError, StoryProblem
from storage.repositories import residents as residents_repo
from tests.bot.services.ideas.test_service import residents

AUTHOR, STRANGER = 7001, 7002
I18N = I18n(ZoneInfo("Europe/Ljubljana"))


def _idea(sessions):  # type: ignore[no-untyped-def]
    svc = IdeaService(sessions, I18N, None)
    return svc, svc.start, IdeaError, IdeaProblem, "idea:"


def _story(sessions):  # type: ignore[no-untyped-def]
    svc = StoryService(sessions, I18N, None)

    async def start(telegram_id: int, locale: str):  # type: ignore[no-untyped-def]
        return await svc.start(telegram_id, locale, official=False)

    return svc, start, StoryError, StoryProblem, "story:"


@pytest.mark.parametrize("feature", [_idea, _story], ids=["ideas", "stories"])
async def test_one_draft_per_author_and_stale_presses_refused(sessions, feature) -> None:  # type: ignore[no-untyped-def]
    await residents(sessions, [AUTHOR])
    svc, start, error, problem, prefix = feature(sessions)
    view, new = await start(AUTHOR, "sl")
    assert new and view.step is not None
    again, new = await start(AUTHOR, "sl")
    assert not new and again.id == view.id  # the same draft, found again
    assert (await svc.draft(AUTHOR)).id == view.id
    async with sessions() as session:
        waiting = (await residents_repo.get_resident(session, AUTHOR)).awaiting
    assert waiting is not None and waiting.startswith(prefix) and str(view.id) in waiting
    # Another draft's id, or a step the draft is not at: stale, in the feature's own error.
    with pytest.raises(error) as stale:
        await svc.set_text(AUTHOR, view.id + 1, "Naslov")
    assert stale.value.problem == problem.STALE
    with pytest.raises(error) as stale:
        await svc.set_photo(AUTHOR, view.id, None)  # the photo comes after the theme
    assert stale.value.problem == problem.STALE
    with pytest.raises(error) as unknown:
        await start(STRANGER, "en")
    assert unknown.value.problem == problem.NOT_FOUND
    assert await svc.draft(STRANGER) is None
    await svc.discard(AUTHOR, view.id)
    assert await svc.draft(AUTHOR) is None
    async with sessions() as session:
        assert (await residents_repo.get_resident(session, AUTHOR)).awaiting is None
    with pytest.raises(error):
        await svc.discard(AUTHOR, view.id)
