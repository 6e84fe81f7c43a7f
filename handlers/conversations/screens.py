"""How conversations look in Telegram: pure functions from views to (text, keyboard)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.domain import Bilingual
from bot.i18n import Translator
from bot.services.conversations.seeds import STATEMENT_MAX, SeedIssue, SeedProblem
from bot.services.conversations.types import Card, ConversationView, Moderation
from handlers.common import Button, bold, escape, keyboard
from handlers.screens import command

Screen = tuple[str, InlineKeyboardMarkup | None]


def _heading(tr: Translator, question: Bilingual) -> list[str]:
    return [
        bold(tr.gettext("🗳 What do we agree on?")),
        f"<i>{escape(question.get(tr.locale))}</i>",
    ]


def card_screen(tr: Translator, card: Card, note: str | None = None) -> Screen:
    """The one message a resident votes in: edited in place after every vote."""
    cid = card.conversation_id
    lines = _heading(tr, card.question)
    add = (tr.gettext("✍️ Add your own statement"), encode(NS.CONVERSATION, "add", cid))
    if card.done:
        done = tr.ngettext(
            "You have voted on the only statement. Thank you!",
            "You have voted on all %(count)d statements. Thank you!",
            card.total,
        ) % {"count": card.total}
        later = tr.gettext(
            "New statements from residents may join; look in again with %(command)s. When the "
            "conversation closes, you will get the result."
        ) % {"command": command(tr, "conversation")}
        lines += ["", escape(done), escape(later)]
        if note:
            lines = [escape(note), "", *lines]
        return "\n".join(lines), keyboard([[add]])
    assert card.text is not None and card.statement_id is not None
    progress = tr.gettext("Statement %(number)d of %(total)d") % {
        "number": card.position,
        "total": card.total,
    }
    # TRANSLATORS: A statement put to the vote, in the language's own quotation marks.
    quoted = tr.gettext("“%(statement)s”") % {"statement": card.text.get(tr.locale)}
    lines += ["", bold(quoted), "", escape(progress)]
    if note:
        lines = [escape(note), "", *lines]

    def vote(label: str, letter: str) -> Button:
        return label, encode(NS.CONVERSATION, "vote", cid, card.statement_id, letter)

    rows = [
        [
            vote(tr.gettext("👍 Agree"), "a"),
            vote(tr.gettext("👎 Disagree"), "d"),
            vote(tr.gettext("🤷 Pass"), "p"),
        ],
        [add],
    ]
    return "\n".join(lines), keyboard(rows)


def write_screen(tr: Translator, view: ConversationView) -> Screen:
    ask = tr.gettext(
        "Write your statement in one or two sentences, at most %(max)d characters: something "
        "others can agree or disagree with. A coordinator reads it before it joins the "
        "conversation."
    ) % {"max": STATEMENT_MAX}
    cancel = (tr.gettext("✖ Cancel"), encode(NS.CONVERSATION, "stop", view.id))
    return "\n".join([*_heading(tr, view.question), "", escape(ask)]), keyboard([[cancel]])


def closed_screen(tr: Translator) -> Screen:
    text = tr.gettext(
        "This conversation is closed. Everyone who voted gets the result; thank you for taking part."
    )
    return escape(text), None


def list_screen(tr: Translator, views: list[ConversationView]) -> Screen:
    lines = [bold(tr.gettext("Conversations"))]
    rows: list[list[Button]] = []
    if not views:
        lines += ["", escape(tr.gettext("No conversation yet."))]
    for view in views:
        lines += ["", bold(f"{view.id}. {view.question.get(tr.locale)}"), escape(_counts(tr, view))]
        rows += _buttons(tr, view)
    lines += ["", escape(open_hint(tr))]
    return "\n".join(lines), keyboard(rows) if rows else None


def _counts(tr: Translator, view: ConversationView) -> str:
    status = (
        tr.pgettext("conversation", "open")
        if view.is_open
        else tr.pgettext("conversation", "closed")
    )
    parts = [
        status,
        tr.ngettext("%(count)d person voted", "%(count)d people voted", view.voters)
        % {"count": view.voters},
        tr.ngettext("%(count)d statement", "%(count)d statements", view.statements)
        % {"count": view.statements},
    ]
    if view.pending:
        parts.append(
            tr.ngettext(
                "%(count)d waiting for approval", "%(count)d waiting for approval", view.pending
            )
            % {"count": view.pending}
        )
    return " · ".join(parts)


def _buttons(tr: Translator, view: ConversationView) -> list[list[Button]]:
    cid = view.id
    if view.is_open:
        row: list[Button] = [
            (tr.gettext("📊 Groups so far"), encode(NS.CONVERSATION_ADMIN, "report", cid))
        ]
        if not view.invited:
            row.insert(
                0, (tr.gettext("📣 Invite residents"), encode(NS.CONVERSATION_ADMIN, "invite", cid))
            )
        close = (
            tr.gettext("⏹ Close %(number)d") % {"number": cid},
            encode(NS.CONVERSATION_ADMIN, "close", cid),
        )
        return [row, [close]]
    if not view.results_sent:
        return [
            [(tr.gettext("📨 Send the results"), encode(NS.CONVERSATION_ADMIN, "closeyes", cid))]
        ]
    return []


def confirm_close_screen(tr: Translator, view: ConversationView) -> Screen:
    text = tr.ngettext(
        "Close “%(question)s”? Nobody can vote after that. %(count)d person who voted gets "
        "the result, and the link between residents and their votes is erased.",
        "Close “%(question)s”? Nobody can vote after that. The %(count)d people who voted get "
        "the result, and the link between residents and their votes is erased.",
        view.voters,
    ) % {"question": view.question.get(tr.locale), "count": view.voters}
    rows = [
        [
            (tr.gettext("⏹ Yes, close it"), encode(NS.CONVERSATION_ADMIN, "closeyes", view.id)),
            (tr.gettext("↩️ Not yet"), encode(NS.CONVERSATION_ADMIN, "list")),
        ]
    ]
    return escape(text), keyboard(rows)


def opened_screen(tr: Translator, view: ConversationView) -> Screen:
    text = tr.ngettext(
        "✅ The conversation is open, with %(count)d statement.",
        "✅ The conversation is open, with %(count)d statements.",
        view.statements,
    ) % {"count": view.statements}
    lines = [escape(text), f"<i>{escape(view.question.get(tr.locale))}</i>"]
    return "\n".join(lines), keyboard(_buttons(tr, view))


def open_hint(tr: Translator) -> str:
    return tr.gettext(
        "To open a conversation, send me a YAML or CSV file with the question and 10 to 30 "
        "statements in Slovenian and English (YAML: question: {sl, en} and statements: a list "
        "of {sl, en}; CSV: columns kind, sl, en, with one row of kind question)."
    )


def seed_problems(tr: Translator, problems: list[SeedProblem]) -> str:
    intro = tr.ngettext(
        "I could not open the conversation: %(count)d problem in the file.",
        "I could not open the conversation: %(count)d problems in the file.",
        len(problems),
    ) % {"count": len(problems)}
    return "\n".join([escape(intro), *(escape("• " + seed_problem(tr, p)) for p in problems)])


def seed_problem(tr: Translator, problem: SeedProblem) -> str:
    language = (
        (
            # TRANSLATORS: Inserted into "the text in %(language)s is empty" (sl "v slovenščini").
            tr.pgettext("text in language", "Slovenian")
            if problem.language == "sl"
            else tr.pgettext("text in language", "English")
        )
        if problem.language
        else ""
    )
    texts = {
        SeedIssue.UNREADABLE: tr.gettext("the file cannot be read (%(detail)s)"),
        SeedIssue.NO_QUESTION: tr.gettext("there is no question (question, with sl and en)"),
        # TRANSLATORS: %(language)s is "Slovenian" or "English", as translated.
        SeedIssue.MISSING: tr.gettext("the text in %(language)s is empty"),
        SeedIssue.TOO_LONG: tr.gettext(
            "the text in %(language)s is longer than %(limit)s characters"
        ),
        SeedIssue.DUPLICATE: tr.gettext("the same text in %(language)s as on line %(earlier)s"),
        SeedIssue.UNKNOWN_KIND: tr.gettext(
            "the kind “%(detail)s” is unknown: use question or statement"
        ),
        SeedIssue.TOO_FEW: tr.gettext("%(detail)s statements; at least %(limit)s are needed"),
        SeedIssue.TOO_MANY: tr.gettext("%(detail)s statements; at most %(limit)s are allowed"),
    }
    text = texts[problem.issue] % {
        "language": language,
        "limit": problem.limit,
        "earlier": problem.limit,  # for a duplicate, the line it repeats
        "detail": problem.detail,
    }
    if problem.line is None:
        return text
    return tr.gettext("line %(line)d: %(problem)s") % {"line": problem.line, "problem": text}


def moderated_screen(tr: Translator, moderation: Moderation) -> str:
    pending = moderation.statement
    head = tr.gettext("📝 A statement for “%(question)s”:") % {
        "question": pending.question.get(tr.locale)
    }
    decision = (
        tr.gettext("✅ Approved: residents vote on it now.")
        if moderation.approved
        else tr.gettext("❌ Rejected.")
    )
    return f"{escape(head)}\n\n<i>{escape(pending.text)}</i>\n\n{bold(decision)}"
