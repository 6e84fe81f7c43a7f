"""What the conversation feature sends on its own, worded in the reader's language: the
invitation, the request to moderate, the answer to an author, the result for voters and the
report for coordinators."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from bot.codec import NS, encode
from bot.domain import Bilingual
from bot.i18n import Translator
from bot.services.conversations.clustering import AGREE, StatementResult, Tally
from bot.services.conversations.types import PendingStatement
from bot.services.notice import Notice
from bot.textfit import utf16_len

if TYPE_CHECKING:
    from bot.services.conversations.service import Analysis

HIDDEN = "•"
TEXT_MAX = 4000
e = html.escape


def invitation(tr: Translator, conversation_id: int, question: Bilingual) -> Notice:
    text = "\n\n".join(
        [
            _bold(tr.gettext("🗳 What do we agree on?")),
            f"<i>{e(question.get(tr.locale))}</i>",
            e(
                tr.gettext(
                    "Vote on short statements, one at a time (agree, disagree or pass), and add "
                    "your own. Your votes are kept under a random number, and the link to you "
                    "is erased when the conversation closes; then you will see what we found."
                )
            ),
        ]
    )
    button = {
        "text": tr.gettext("🗳 Start voting"),
        "callback_data": encode(NS.CONVERSATION, "show", conversation_id),
    }
    return Notice(text, {"inline_keyboard": [[button]]})


def moderation_request(tr: Translator, pending: PendingStatement) -> Notice:
    head = tr.gettext("📝 A resident wrote a new statement for “%(question)s”:") % {
        "question": pending.question.get(tr.locale)
    }
    ask = tr.gettext("Approve it to add it to the statements residents vote on.")
    text = f"{e(head)}\n\n<i>{e(pending.text)}</i>\n\n{e(ask)}"
    buttons = [
        {
            "text": tr.gettext("✅ Approve"),
            "callback_data": encode(NS.CONVERSATION_MOD, "ok", pending.id),
        },
        {
            "text": tr.gettext("❌ Reject"),
            "callback_data": encode(NS.CONVERSATION_MOD, "no", pending.id),
        },
    ]
    return Notice(text, {"inline_keyboard": [buttons]})


def moderated(tr: Translator, pending: PendingStatement, approved: bool) -> Notice:
    if approved:
        text = tr.gettext("✅ Your statement “%(text)s” was approved: others are voting on it now.")
    else:
        text = tr.gettext(
            "Your statement “%(text)s” was not added to the conversation. Thank you for "
            "writing it all the same."
        )
    return Notice(e(text % {"text": pending.text}))


def result(tr: Translator, analysis: Analysis) -> str:
    """For everyone who voted, once the conversation closes."""
    view, opinions = analysis.conversation, analysis.opinions
    lines = [
        _bold(tr.gettext("🗳 The conversation is closed: thank you for voting!")),
        f"<i>{e(view.question.get(tr.locale))}</i>",
        "",
        e(
            tr.ngettext("%(count)d person voted.", "%(count)d people voted.", opinions.voters)
            % {"count": opinions.voters}
        ),
    ]
    lines += _groups_line(tr, analysis)
    lines += _common_ground(tr, analysis)
    if opinions.divisive:
        lines += ["", _bold(tr.gettext("Where opinions divide"))]
        lines += [_bullet(tr, analysis, r, per_group=False) for r in opinions.divisive]
    return _fit("\n".join(lines))


def report(tr: Translator, analysis: Analysis, closed: bool = False) -> str:
    """For the coordinators: groups, consensus, divisive and what sets each group apart."""
    view, opinions = analysis.conversation, analysis.opinions
    title = (
        tr.gettext("📊 Conversation closed: %(question)s")
        if closed
        else tr.gettext("📊 Conversation so far: %(question)s")
    ) % {"question": view.question.get(tr.locale)}
    voted = tr.ngettext("%(count)d person voted", "%(count)d people voted", opinions.voters) % {
        "count": opinions.voters
    }
    statements = tr.ngettext("%(count)d statement", "%(count)d statements", view.statements) % {
        "count": view.statements
    }
    lines = [f"<b>{e(title)}</b>", e(f"{voted} · {statements}")]
    if opinions.excluded:
        lines.append(
            e(
                tr.ngettext(
                    "%(count)d person voted on too few statements to be placed in a group.",
                    "%(count)d people voted on too few statements to be placed in a group.",
                    opinions.excluded,
                )
                % {"count": opinions.excluded}
            )
        )
    lines += _groups_line(tr, analysis)
    lines += _common_ground(tr, analysis)
    if opinions.divisive:
        lines += ["", _bold(tr.gettext("Divisive statements"))]
        lines += [_bullet(tr, analysis, r, per_group=True) for r in opinions.divisive]
    if len(opinions.groups) > 1:
        for index, group in enumerate(opinions.groups):
            heading = tr.ngettext(
                "Group %(group)s (%(count)d person): what sets it apart",
                "Group %(group)s (%(count)d people): what sets it apart",
                group.size,
            ) % {"group": group.label, "count": group.size}
            lines += ["", f"<b>{e(heading)}</b>"]
            if not group.representative:
                lines.append(e(tr.gettext("Nothing clearly sets this group apart.")))
            lines += [_distinct(tr, analysis, index, r) for r in group.representative]
    rule = tr.gettext(
        "Groups of fewer than %(k)d people are not shown, nor shares resting on fewer than "
        "%(k)d votes (%(mark)s)."
    ) % {"k": analysis.k, "mark": HIDDEN}
    lines += ["", f"<i>{e(rule)}</i>"]
    return _fit("\n".join(lines))


def _bold(text: str) -> str:
    return f"<b>{e(text)}</b>"


def _groups_line(tr: Translator, analysis: Analysis) -> list[str]:
    opinions = analysis.opinions
    lines = []
    if not analysis.grouped:
        lines.append(tr.gettext("Too few people voted to look for groups of opinion."))
    elif opinions.withheld:
        lines.append(tr.gettext("Too few people voted on enough statements to describe any group."))
    elif len(opinions.groups) > 1:
        sizes = ", ".join(f"{g.label}: {g.size}" for g in opinions.groups)
        lines.append(
            tr.ngettext(
                "We found %(count)d group of opinion (%(sizes)s).",
                "We found %(count)d groups of opinion (%(sizes)s).",
                len(opinions.groups),
            )
            % {"count": len(opinions.groups), "sizes": sizes}
        )
    else:
        lines.append(tr.gettext("The votes do not split into separate groups of opinion."))
    if opinions.merged:
        lines.append(
            tr.ngettext(
                "%(count)d person whose group was smaller than %(k)d was counted with the "
                "nearest group.",
                "%(count)d people whose groups were smaller than %(k)d were counted with the "
                "nearest group.",
                opinions.merged,
            )
            % {"count": opinions.merged, "k": analysis.k}
        )
    return [e(line) for line in lines]


def _common_ground(tr: Translator, analysis: Analysis) -> list[str]:
    opinions = analysis.opinions
    title = e(tr.gettext("What everyone agrees on"))
    if opinions.consensus:
        bullets = [
            _bullet(tr, analysis, r, per_group=len(opinions.groups) > 1) for r in opinions.consensus
        ]
        return ["", f"<b>{title}</b>", *bullets]
    return ["", f"<b>{title}</b>", e(tr.gettext("No statement found agreement in every group."))]


def _text(tr: Translator, analysis: Analysis, statement_id: int) -> str:
    text = analysis.texts.get(statement_id)
    return text.get(tr.locale) if text is not None else "?"


def _share(tally: Tally, direction: int, k: int) -> str:
    if tally.seen < k:
        return HIDDEN
    share = tally.agree_share if direction == AGREE else tally.disagree_share
    return f"{round(100 * share)} %"


def _bullet(tr: Translator, analysis: Analysis, r: StatementResult, per_group: bool) -> str:
    label = tr.gettext("agree") if r.direction == AGREE else tr.gettext("disagree")
    if per_group:
        shares = ", ".join(
            f"{g.label} {_share(t, r.direction, analysis.k)}"
            for g, t in zip(analysis.opinions.groups, r.groups, strict=True)
        )
    else:
        shares = _share(r.overall, r.direction, analysis.k)
    return f"• {e(_text(tr, analysis, r.statement_id))} <i>({e(label)}: {e(shares)})</i>"


def _distinct(tr: Translator, analysis: Analysis, index: int, r: StatementResult) -> str:
    inside = r.groups[index]
    others = Tally(
        r.overall.agree - inside.agree,
        r.overall.disagree - inside.disagree,
        r.overall.seen - inside.seen,
    )
    text = (
        tr.gettext("agree %(inside)s, others %(outside)s")
        if r.direction == AGREE
        else tr.gettext("disagree %(inside)s, others %(outside)s")
    ) % {
        "inside": _share(inside, r.direction, analysis.k),
        "outside": _share(others, r.direction, analysis.k),
    }
    return f"• {e(_text(tr, analysis, r.statement_id))} <i>({e(text)})</i>"


def _fit(text: str) -> str:
    """Whole lines only, so no HTML tag is cut; what does not fit is marked."""
    if utf16_len(text) <= TEXT_MAX:
        return text
    lines = text.split("\n")
    while lines and utf16_len("\n".join(lines)) > TEXT_MAX - 2:
        lines.pop()
    return "\n".join([*lines, "…"])
