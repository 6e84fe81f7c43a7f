"""What residents and coordinators see of stories: texts and keyboards."""

from __future__ import annotations

from bot.codec import NS, encode
from bot.i18n import Translator
from bot.services.stories import notices
from bot.services.stories.types import (
    TEXT_MAX,
    TITLE_MAX,
    StoryError,
    StoryKind,
    StoryPage,
    StoryProblem,
    StoryStep,
    StoryView,
)
from bot.textfit import cut
from handlers.common import Button, bold, escape, keyboard
from handlers.ideas.screens import Screen
from handlers.screens import english_fallback


def b(label: str, action: str, *args: object) -> Button:
    return (label, encode(NS.STORY, action, *args))


def problem_text(tr: Translator, exc: StoryError) -> str:
    texts = {
        StoryProblem.WANTS_BUTTON: tr.gettext("Please choose one of the options below."),
        StoryProblem.WANTS_TEXT: tr.gettext("Please write this as a text message."),
        StoryProblem.EMPTY: tr.gettext("The text is empty. Please write a few words."),
        StoryProblem.TOO_LONG: tr.gettext(
            "This can be at most %(limit)d characters long; yours has %(length)d. "
            "Please send a shorter one."
        )
        % {"limit": exc.limit, "length": exc.length},
        StoryProblem.NOT_FOUND: tr.gettext("I couldn't find that story; it may have been removed."),
        StoryProblem.MODERATED: tr.gettext(
            "Another coordinator has already decided on this story."
        ),
    }
    return texts.get(exc.problem, tr.gettext("This button is no longer valid."))


def _discard(tr: Translator, story: StoryView) -> list[Button]:
    return [b(tr.gettext("✖ Discard"), "discard", story.id)]


def step(tr: Translator, story: StoryView) -> Screen:
    s, official = story.step, story.kind == StoryKind.OFFICIAL
    limits = {"limit": TITLE_MAX}
    questions = {
        StoryStep.TITLE_SL: tr.gettext(
            "📖 A new story. Send its title in Slovenian (up to %(limit)d characters)."
        )
        % limits
        if official
        else tr.gettext("📖 Your story. Send its title (up to %(limit)d characters).") % limits,
        StoryStep.TITLE_EN: tr.gettext(
            "Now the title in English, or press the button if it is the same."
        )
        if official
        else tr.gettext("📖 Your story. Send its title (up to %(limit)d characters).") % limits,
        StoryStep.TEXT_SL: tr.gettext("Now the story in Slovenian (up to %(limit)d characters).")
        % {"limit": TEXT_MAX}
        if official
        else tr.gettext("Now tell the story (up to %(limit)d characters).") % {"limit": TEXT_MAX},
        StoryStep.TEXT_EN: tr.gettext(
            "Now the story in English, or press the button if it is the same."
        )
        if official
        else tr.gettext("Now tell the story (up to %(limit)d characters).") % {"limit": TEXT_MAX},
    }
    rows: list[list[Button]] = []
    if s in questions:
        if official and s in (StoryStep.TITLE_EN, StoryStep.TEXT_EN):
            rows.append([b(tr.gettext("Same text for both languages"), "same", story.id)])
        return Screen(escape(questions[s]), keyboard([*rows, _discard(tr, story)]))
    if s == StoryStep.TOPIC:
        rows = [[b(t.text(tr), "topic", story.id, t.code)] for t in tr.town.topics]
        text = tr.gettext("Which theme is it about? Residents who follow it will receive it.")
        return Screen(escape(text), keyboard([*rows, _discard(tr, story)]))
    assert s == StoryStep.PHOTO, s
    rows = [[b(tr.gettext("Skip the photo"), "nophoto", story.id)], _discard(tr, story)]
    return Screen(escape(tr.gettext("Add a photo? Send it now, or skip.")), keyboard(rows))


def preview(tr: Translator, story: StoryView, readers: dict[str, Translator]) -> list[Screen]:
    """Each language as its readers will see it, then the publish (or submit) button."""
    official = story.kind == StoryKind.OFFICIAL
    shown: list[Screen] = []
    # A resident writing in a language other than Slovenian fills the English text.
    locales = ("sl", "en") if official else ("sl" if story.author_locale == "sl" else "en",)
    for locale in locales:
        header = {
            "sl": tr.gettext("Preview: residents reading in Slovenian will see this:"),
            "en": tr.gettext("Preview: residents reading in English will see this:"),
        }[locale]
        shown.append(Screen(f"<i>{escape(header)}</i>"))
        shown.append(Screen(notices.text(readers[locale], story), photo=story.photo_file_id))
    label = tr.gettext("📣 Publish") if official else tr.gettext("📨 Submit")
    note = (
        tr.gettext("Publish it? It goes to every resident who follows its theme.")
        if official
        else tr.gettext("The coordinators read every story before it is published.")
    )
    rows = [[b(label, "finish", story.id)], _discard(tr, story)]
    fallback = english_fallback(tr) if official else None
    note = f"{note}\n{fallback}" if fallback else note
    shown.append(Screen(escape(note), keyboard(rows)))
    return shown


def listing(tr: Translator, page: StoryPage) -> Screen:
    lines = [bold(tr.gettext("📖 Urban stories")), ""]
    rows: list[list[Button]] = []
    if not page.stories:
        lines.append(escape(tr.gettext("No stories yet.")))
    for number, story in enumerate(page.stories, start=page.offset + 1):
        title = story.title.get(tr.locale)
        when = tr.date(story.published_at, "short") if story.published_at else ""
        lines.append(escape(f"{number}. {cut(title, 70)} · {when}"))
        rows.append([b(f"{number}. {cut(title, 40)}", "open", story.id)])
    nav: list[Button] = []
    if page.offset > 0:
        nav.append(b("‹", "list", max(0, page.offset - 5)))
    if page.offset + len(page.stories) < page.total:
        nav.append(b("›", "list", page.offset + 5))
    if nav:
        rows.append(nav)
    rows.append([b(tr.gettext("✍️ Tell your story"), "new")])
    return Screen("\n".join(lines), keyboard(rows))


def card(tr: Translator, story: StoryView) -> Screen:
    rows = [[b(tr.gettext("« All stories"), "list", 0)]]
    return Screen(notices.text(tr, story), keyboard(rows), photo=story.photo_file_id)


def ask_reason(tr: Translator, story: StoryView) -> str:
    text = tr.gettext(
        "Why will story #%(id)d “%(title)s” not be published? Write the reason in a message: "
        "the author will read it."
    ) % {"id": story.id, "title": cut(story.title.get(tr.locale), 60)}
    return escape(text)
