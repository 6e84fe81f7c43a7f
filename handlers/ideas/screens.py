"""What residents and coordinators see of ideas: texts and keyboards (HTML, within limits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.domain import label_in
from bot.i18n import Translator
from bot.services.announcements.types import AudienceLab
from bot.services.ideas import notices
from bot.services.ideas.types import (
    Editable,
    IdeaCard,
    IdeaError,
    IdeaPage,
    IdeaProblem,
    IdeaStep,
    IdeaView,
    Order,
    Outcome,
)
from bot.textfit import cut
from handlers.common import Button, bold, escape, in_rows, keyboard

ALL = "all"


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # sent as a photo; the text its caption when it fits


def b(label: str, action: str, *args: object) -> Button:
    return (label, encode(NS.IDEA, action, *args))


def admin(label: str, action: str, *args: object) -> Button:
    return (label, encode(NS.IDEA_ADMIN, action, *args))


def problem_text(tr: Translator, exc: IdeaError) -> str:
    texts = {
        IdeaProblem.WANTS_BUTTON: tr.gettext("Please choose one of the options below."),
        IdeaProblem.WANTS_TEXT: tr.gettext("Please write this as a text message."),
        IdeaProblem.EMPTY: tr.gettext("The text is empty. Please write a few words."),
        # TRANSLATORS: Characters are counted as Telegram counts them (an emoji may count as two).
        IdeaProblem.TOO_LONG: tr.gettext(
            "This can be at most %(limit)d characters long; yours has %(length)d. "
            "Please send a shorter one."
        )
        % {"limit": exc.limit, "length": exc.length},
        IdeaProblem.NOT_FOUND: tr.gettext("I couldn't find that idea; it may have been removed."),
        IdeaProblem.MODERATED: tr.gettext("Another coordinator has already decided on this idea."),
        IdeaProblem.NOT_PUBLISHED: tr.gettext("This idea is not published (any more)."),
        IdeaProblem.OWN_IDEA: tr.gettext("You can't support your own idea."),
        IdeaProblem.NOT_YOURS: tr.gettext("Only the author can delete this idea."),
    }
    return texts.get(exc.problem, tr.gettext("This button is no longer valid."))


# --- writing an idea -------------------------------------------------------------------


def _discard(tr: Translator, idea: IdeaView) -> list[Button]:
    return [b(tr.gettext("✖ Discard"), "discard", idea.id)]


def step(tr: Translator, idea: IdeaView) -> Screen:
    """The question of the draft's step (the preview has its own screen)."""
    s = idea.step
    if s == IdeaStep.TITLE:
        text = tr.gettext(
            "💡 A new idea. What is it called? Send a short title (up to %(limit)d characters)."
        ) % {"limit": 100}
        return Screen(escape(text), keyboard([_discard(tr, idea)]))
    if s == IdeaStep.TEXT:
        text = tr.gettext(
            "Now describe your idea: what should change, where, and for whom "
            "(up to %(limit)d characters)."
        ) % {"limit": 1000}
        return Screen(escape(text), keyboard([_discard(tr, idea)]))
    if s == IdeaStep.TOPIC:
        rows = in_rows([b(t.text(tr), "topic", idea.id, t.code) for t in tr.town.topics], 1)
        return Screen(
            escape(tr.gettext("Which theme does it belong to?")),
            keyboard([*rows, _discard(tr, idea)]),
        )
    if s == IdeaStep.MUNICIPALITY:
        towns = tr.town.municipalities
        rows = in_rows([b(m.text(tr), "muni", idea.id, m.code) for m in towns], 1)
        return Screen(
            escape(tr.gettext("Which municipality is it for?")),
            keyboard([*rows, _discard(tr, idea)]),
        )
    assert s == IdeaStep.PHOTO, s
    rows = [[b(tr.gettext("Skip the photo"), "nophoto", idea.id)], _discard(tr, idea)]
    return Screen(escape(tr.gettext("Add a photo? Send it now, or skip.")), keyboard(rows))


def preview(tr: Translator, idea: IdeaView) -> list[Screen]:
    head = tr.gettext("Preview: this is how your idea will appear once it is approved:")
    rows = [
        [b(tr.gettext("📨 Submit"), "submit", idea.id)],
        _discard(tr, idea),
    ]
    note = tr.gettext(
        "The coordinators read every idea before it is published; you will hear from me."
    )
    return [
        Screen(f"<i>{escape(head)}</i>"),
        Screen(notices.card(tr, idea), photo=idea.photo_file_id),
        Screen(escape(note), keyboard(rows)),
    ]


def submitted(tr: Translator) -> str:
    return escape(
        tr.gettext(
            "📨 Thank you! Your idea is with the coordinators. I will tell you when it is "
            "published."
        )
    )


# --- browsing --------------------------------------------------------------------------


def _topic_label(tr: Translator, topic: str | None) -> str:
    return label_in(tr, tr.town.topics, topic) or tr.gettext("All themes")


def listing(tr: Translator, page: IdeaPage, *, coordinator: bool, pending: int) -> Screen:
    topic = page.topic or ALL
    order = (
        tr.gettext("most supported first")
        if page.order == Order.SUPPORTED
        else tr.gettext("newest first")
    )
    lines = [
        bold(tr.gettext("💡 Residents' ideas")),
        escape(f"{_topic_label(tr, page.topic)} · {order}"),
        "",
    ]
    rows: list[list[Button]] = []
    if not page.ideas:
        lines.append(escape(tr.gettext("No ideas here yet. Be the first to share one!")))
    for number, idea in enumerate(page.ideas, start=page.offset + 1):
        title = cut(idea.title, 60)
        support = notices.supports_line(tr, idea.supports)
        lines.append(f"{number}. {escape(title)} · 👍 {escape(support)}")
        rows.append([b(f"{number}. {cut(idea.title, 40)}", "open", idea.id)])
    nav: list[Button] = []
    if page.offset > 0:
        nav.append(b("‹", "list", topic, page.order, max(0, page.offset - 5)))
    if page.offset + len(page.ideas) < page.total:
        nav.append(b("›", "list", topic, page.order, page.offset + 5))
    if nav:
        rows.append(nav)
    other = Order.NEWEST if page.order == Order.SUPPORTED else Order.SUPPORTED
    other_label = (
        tr.gettext("Sort: newest first")
        if other == Order.NEWEST
        else tr.gettext("Sort: most supported")
    )
    rows.append(
        [b(other_label, "list", topic, other, 0), b(tr.gettext("Theme…"), "themes", page.order)]
    )
    rows.append([b(tr.gettext("➕ Share an idea"), "new"), b(tr.gettext("My ideas"), "mine")])
    if coordinator and pending:
        label = tr.gettext("🗂 Waiting for moderation: %(count)d") % {"count": pending}
        rows.append([admin(label, "pending")])
    return Screen("\n".join(lines), keyboard(rows))


def themes(tr: Translator, order: Order) -> Screen:
    rows = [[b(tr.gettext("All themes"), "list", ALL, order, 0)]]
    rows += [[b(t.text(tr), "list", t.code, order, 0)] for t in tr.town.topics]
    return Screen(escape(tr.gettext("Which theme?")), keyboard(rows))


def card(
    tr: Translator, view: IdeaCard, *, coordinator: bool, lab_title: str | None = None
) -> Screen:
    idea = view.idea
    text = notices.card(tr, idea, lab_title=lab_title)
    rows: list[list[Button]] = []
    if view.mine:
        state = {
            "pending": tr.gettext("Waiting for the coordinators."),
            "rejected": tr.gettext("Not published. The coordinators' reason: %(reason)s")
            % {"reason": idea.reject_reason or ""},
        }.get(idea.status.value)
        if state:
            text += "\n\n<i>" + escape(state) + "</i>"
        rows.append([b(tr.gettext("🗑 Delete my idea"), "delete", idea.id)])
    elif idea.status == "published":
        if view.supported:
            rows.append([b(tr.gettext("↩️ Withdraw my support"), "unsupport", idea.id)])
        else:
            rows.append([b(tr.gettext("👍 Support"), "support", idea.id)])
    if coordinator and idea.status == "published":
        rows.append([admin(tr.gettext("📝 Official answer and status"), "status", idea.id)])
    rows.append([b(tr.gettext("« All ideas"), "list", ALL, Order.NEWEST, 0)])
    return Screen(text, keyboard(rows), photo=idea.photo_file_id)


def mine(tr: Translator, ideas: Sequence[IdeaView]) -> Screen:
    if not ideas:
        text = tr.gettext("You haven't shared an idea yet.")
        return Screen(escape(text), keyboard([[b(tr.gettext("➕ Share an idea"), "new")]]))
    states = {
        "pending": tr.gettext("waiting for the coordinators"),
        "published": tr.gettext("published"),
        "rejected": tr.gettext("not published"),
    }
    lines = [bold(tr.gettext("Your ideas"))]
    rows = []
    for idea in ideas:
        lines.append(escape(f"#{idea.id} {cut(idea.title, 60)} · {states[idea.status.value]}"))
        rows.append([b(f"#{idea.id} {cut(idea.title, 40)}", "open", idea.id)])
    rows.append([b(tr.gettext("« All ideas"), "list", ALL, Order.NEWEST, 0)])
    return Screen("\n".join(lines), keyboard(rows))


def confirm_delete(tr: Translator, idea_id: int) -> Screen:
    text = tr.gettext("Delete your idea for good? Its supports go with it.")
    rows = [
        [b(tr.gettext("🗑 Yes, delete it"), "confirm_delete", idea_id)],
        [b(tr.gettext("« Back"), "open", idea_id)],
    ]
    return Screen(escape(text), keyboard(rows))


# --- coordinators ----------------------------------------------------------------------


def moderation_rows(tr: Translator, idea_id: int) -> list[list[Button]]:
    return [
        [
            admin(tr.gettext("✅ Approve"), "approve", idea_id),
            admin(tr.gettext("✖ Reject"), "reject", idea_id),
        ],
        [admin(tr.gettext("✏️ Edit"), "edit", idea_id)],
    ]


def edit_menu(tr: Translator, idea: IdeaView) -> Screen:
    text = tr.gettext("What should be corrected in idea #%(id)d?") % {"id": idea.id}
    rows = [
        [
            admin(tr.gettext("Title"), "edit_field", idea.id, Editable.TITLE),
            admin(tr.gettext("Text"), "edit_field", idea.id, Editable.TEXT),
        ]
    ]
    return Screen(escape(text), keyboard(rows))


def ask_edit(tr: Translator, idea: IdeaView, field: Editable) -> str:
    current = idea.title if field == Editable.TITLE else idea.text
    ask = (
        tr.gettext("Send the corrected title of idea #%(id)d. Now it reads:")
        if field == Editable.TITLE
        else tr.gettext("Send the corrected text of idea #%(id)d. Now it reads:")
    )
    return escape(ask % {"id": idea.id}) + "\n\n" + escape(current)


def ask_reason(tr: Translator, idea: IdeaView) -> str:
    text = tr.gettext(
        "Why will idea #%(id)d “%(title)s” not be published? Write the reason in a message: "
        "the author will read it."
    ) % {"id": idea.id, "title": cut(idea.title, 60)}
    return escape(text)


def outcomes(tr: Translator, idea: IdeaView) -> Screen:
    text = tr.gettext("Which status should idea #%(id)d “%(title)s” get?") % {
        "id": idea.id,
        "title": cut(idea.title, 60),
    }
    rows = [[admin(notices.outcome_label(tr, o), "outcome", idea.id, o)] for o in Outcome]
    rows.append([b(tr.gettext("« Back"), "open", idea.id)])
    return Screen(escape(text), keyboard(rows))


def labs(tr: Translator, idea: IdeaView, found: Sequence[AudienceLab]) -> Screen:
    if not found:
        text = tr.gettext("There are no labs to link. Choose another status.")
        return Screen(escape(text), keyboard([[admin(tr.gettext("« Back"), "status", idea.id)]]))
    rows = [
        [
            admin(
                cut(
                    f"#{lab.id} {lab.title.get(tr.locale)} ({tr.date(lab.starts_at, 'short')})", 60
                ),
                "lab",
                idea.id,
                lab.id,
            )
        ]
        for lab in found
    ]
    rows.append([admin(tr.gettext("« Back"), "status", idea.id)])
    return Screen(escape(tr.gettext("Which lab was the idea taken to?")), keyboard(rows))


def ask_answer(tr: Translator, idea: IdeaView, outcome: Outcome) -> str:
    if outcome == Outcome.NOT_FEASIBLE:
        text = tr.gettext(
            "Write why idea #%(id)d is not feasible. The author and every supporter will "
            "receive it."
        )
    else:
        text = tr.gettext(
            "Write the official answer to idea #%(id)d. The author and every supporter will "
            "receive it."
        )
    return escape(text % {"id": idea.id})


def answered(tr: Translator, told: int) -> str:
    return escape(
        tr.ngettext(
            "Saved. %(count)d person is being told.",
            "Saved. %(count)d people are being told.",
            told,
        )
        % {"count": told}
    )
