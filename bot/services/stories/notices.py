"""How a story reads, and the messages the story service queues on its own."""

from __future__ import annotations

from html import escape

from bot.codec import NS, encode
from bot.domain import label_in
from bot.i18n import Translator
from bot.services.announcements.notices import footer
from bot.services.labs.notices import inline_keyboard
from bot.services.notice import Notice
from bot.services.stories.types import StoryKind, StoryView


def text(tr: Translator, story: StoryView) -> str:
    """The story in the reader's language (the other one if it was written only in that)."""
    lines = [f"📖 <b>{escape(story.title.get(tr.locale))}</b>"]
    label = label_in(tr, tr.town.topics, story.topic)
    meta = [label] if label else []
    if story.kind == StoryKind.RESIDENT:
        meta.append(tr.gettext("a resident's story"))
    if meta:
        lines.append(f"<i>{escape(' · '.join(meta))}</i>")
    lines += ["", escape(story.text.get(tr.locale))]
    return "\n".join(lines)


def delivered(tr: Translator, story: StoryView) -> str:
    """As it reaches followers of its theme: with the footer that says why it came."""
    return f"{text(tr, story)}\n\n{footer(tr)}"


def moderation(tr: Translator, story: StoryView) -> Notice:
    head = tr.gettext("New resident's story #%(id)d waits for moderation") % {"id": story.id}
    rows = [
        [
            (tr.gettext("✅ Approve"), encode(NS.STORY_ADMIN, "approve", story.id)),
            (tr.gettext("✖ Reject"), encode(NS.STORY_ADMIN, "reject", story.id)),
        ],
        [(tr.gettext("✏️ Edit"), encode(NS.STORY_ADMIN, "edit", story.id))],
    ]
    return Notice(f"<i>{escape(head)}</i>\n\n{text(tr, story)}", inline_keyboard(rows))


def approved(tr: Translator, story: StoryView) -> Notice:
    message = tr.gettext(
        "🎉 Your story “%(title)s” has been published and goes to residents who follow its theme."
    ) % {"title": story.title.get(tr.locale)}
    return Notice(escape(message))


def rejected(tr: Translator, story: StoryView) -> Notice:
    message = tr.gettext(
        "Your story “%(title)s” was not published. The coordinators' reason: %(reason)s"
    ) % {"title": story.title.get(tr.locale), "reason": story.reject_reason or ""}
    return Notice(escape(message))
