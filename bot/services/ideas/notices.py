"""How an idea reads, and the messages the idea service queues on its own (to the
coordinators, the author, the supporters), worded in the recipient's language."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.codec import NS, encode
from bot.domain import label_in
from bot.i18n import Translator
from bot.services.ideas.types import IdeaView, Outcome, TopIdea
from bot.services.labs.notices import inline_keyboard
from bot.services.notice import Notice


def outcome_label(tr: Translator, outcome: Outcome) -> str:
    labels = {
        Outcome.CONSIDERING: tr.gettext("Under consideration"),
        Outcome.LAB: tr.gettext("Taken to a lab"),
        Outcome.PLANNED: tr.gettext("Planned"),
        Outcome.DONE: tr.gettext("Done"),
        Outcome.NOT_FEASIBLE: tr.gettext("Not feasible"),
    }
    return labels[outcome]


def supports_line(tr: Translator, count: int) -> str:
    return tr.ngettext("%(count)d support", "%(count)d supports", count) % {"count": count}


def card(tr: Translator, idea: IdeaView, *, lab_title: str | None = None) -> str:
    """The idea as residents see it (HTML; at most about 2,300 units, so it fits a message)."""
    town = tr.town
    labels = [
        label_in(tr, town.topics, idea.topic),
        label_in(tr, town.municipalities, idea.municipality),
    ]
    where = [label for label in labels if label]
    lines = [f"💡 <b>{escape(idea.title)}</b>"]
    meta = " · ".join(w for w in where if w)
    if meta:
        lines.append(f"<i>{escape(meta)}</i>")
    lines += ["", escape(idea.text)]
    if idea.published_at is not None:
        lines += ["", "👍 " + escape(supports_line(tr, idea.supports))]
    if idea.outcome is not None:
        status = tr.gettext("Coordinators' answer: %(status)s") % {
            "status": outcome_label(tr, idea.outcome)
        }
        lines += ["", f"<b>{escape(status)}</b>"]
        if lab_title:
            lines.append(escape(tr.gettext("Lab: %(title)s") % {"title": lab_title}))
        if idea.answer:
            lines.append(escape(idea.answer))
    return "\n".join(lines)


def moderation(tr: Translator, idea: IdeaView) -> Notice:
    """To the coordinators' chat: a new idea to approve, reject or correct."""
    head = tr.gettext("New idea #%(id)d waits for moderation") % {"id": idea.id}
    rows = [
        [
            (tr.gettext("✅ Approve"), encode(NS.IDEA_ADMIN, "approve", idea.id)),
            (tr.gettext("✖ Reject"), encode(NS.IDEA_ADMIN, "reject", idea.id)),
        ],
        [(tr.gettext("✏️ Edit"), encode(NS.IDEA_ADMIN, "edit", idea.id))],
    ]
    return Notice(f"<i>{escape(head)}</i>\n\n{card(tr, idea)}", inline_keyboard(rows))


def approved(tr: Translator, idea: IdeaView) -> Notice:
    text = tr.gettext(
        "🎉 Your idea “%(title)s” has been published. Other residents can now support it."
    ) % {"title": idea.title}
    rows = [[(tr.gettext("Open the idea"), encode(NS.IDEA, "open", idea.id))]]
    return Notice(escape(text), inline_keyboard(rows))


def rejected(tr: Translator, idea: IdeaView) -> Notice:
    text = tr.gettext(
        "Your idea “%(title)s” was not published. The coordinators' reason: %(reason)s"
    ) % {"title": idea.title, "reason": idea.reject_reason or ""}
    return Notice(escape(text))


def answered(tr: Translator, idea: IdeaView, lab_title: str | None) -> Notice:
    """To the author and everyone who supported the idea, when it gets an official answer."""
    head = tr.gettext("📬 News about an idea you support or wrote: “%(title)s”") % {
        "title": idea.title
    }
    status = tr.gettext("Status: %(status)s") % {
        "status": outcome_label(tr, idea.outcome or Outcome.CONSIDERING)
    }
    lines = [f"<b>{escape(head)}</b>", escape(status)]
    if lab_title:
        lines.append(escape(tr.gettext("Lab: %(title)s") % {"title": lab_title}))
    if idea.answer:
        lines += ["", escape(idea.answer)]
    rows = [[(tr.gettext("Open the idea"), encode(NS.IDEA, "open", idea.id))]]
    return Notice("\n".join(lines), inline_keyboard(rows))


def digest_lines(tr: Translator, ideas: Sequence[TopIdea]) -> list[str]:
    """The digest's section on the week's most supported ideas (none: no section)."""
    if not ideas:
        return []
    lines = ["", "<b>" + escape(tr.gettext("Most supported ideas this week")) + "</b>"]
    for idea in ideas:
        new = tr.ngettext(
            "+%(count)d support this week", "+%(count)d supports this week", idea.new_supports
        ) % {"count": idea.new_supports}
        total = supports_line(tr, idea.supports)
        lines.append(escape(f"• #{idea.id} {idea.title[:100]} · {new} ({total})"))
    return lines
