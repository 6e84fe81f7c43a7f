"""How the survey looks: the intro, a question with its buttons, the summary, a suggestion."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.i18n import Translator
from bot.services.labs.types import LabView
from bot.services.labs.wording import time_range
from bot.services.surveys.definition import Kind, Question, Survey, Text, bilingual
from bot.services.surveys.types import Position
from handlers.common import Button, bold, escape, in_rows, keyboard
from handlers.screens import groups_promise

Screen = tuple[str, InlineKeyboardMarkup | None]


def _t(tr: Translator, text: Text | None) -> str:
    return bilingual(text).get(tr.locale)


def intro(tr: Translator, survey: Survey, min_group_size: int) -> Screen:
    privacy = tr.gettext(
        "You choose how your answers are kept:\n"
        "• Anonymously: stored under a random number. Until you submit them, a code made from "
        "your Telegram ID with a secret key lets you continue later; when you submit, it is "
        "removed, and nothing links the answers to you any more. Only your municipality, age "
        "group and status are copied onto them, for the statistics.\n"
        "• With your profile: linked to you, so you can see or delete them later.\n"
        "%(groups)s"
    ) % {"groups": groups_promise(tr, min_group_size)}
    minutes = tr.ngettext("About %(count)d minute.", "About %(count)d minutes.", survey.minutes)
    text = "\n\n".join(
        [
            bold(_t(tr, survey.title)),
            escape(_t(tr, survey.intro)),
            escape(minutes % {"count": survey.minutes}),
            escape(privacy),
        ]
    )
    return text, keyboard(
        [
            [(tr.gettext("🕶 Answer anonymously"), encode(NS.SURVEY, "begin", "anonymous"))],
            [(tr.gettext("👤 Answer with my profile"), encode(NS.SURVEY, "begin", "profile"))],
        ]
    )


def hint(tr: Translator, question: Question) -> str:
    if question.hint:
        return _t(tr, question.hint)
    if question.type == Kind.MULTI:
        if question.max:
            return tr.ngettext(
                "Choose up to %(count)d, then press Done.",
                "Choose up to %(count)d, then press Done.",
                question.max,
            ) % {"count": question.max}
        return tr.gettext("Choose all that apply, then press Done.")
    if question.type == Kind.SCALE:
        return tr.gettext("1 = %(low)s, 5 = %(high)s") % {
            "low": _t(tr, question.low),
            "high": _t(tr, question.high),
        }
    if question.type == Kind.NUMBER:
        return tr.gettext("Write a number from %(min)d to %(max)d.") % {
            "min": question.min or 0,
            "max": question.max or 0,
        }
    if question.type == Kind.TEXT:
        return tr.gettext("Write your answer (at most %(max)d characters).") % {
            "max": question.text_limit
        }
    return ""


def progress_line(tr: Translator, position: Position) -> str:
    """Where the resident is: the question's number on their path and about how far through
    they are (a share that never goes down, unlike "7/16" on a path that grows)."""
    if position.progress <= 0:
        # TRANSLATORS: The survey's progress line on its first question, e.g. "Question 1".
        return tr.gettext("Question %(number)d") % {"number": position.index}
    # TRANSLATORS: The survey's progress line, e.g. "Question 7 · about 60%": the question's
    # number on the resident's path and the share of the survey behind them (never goes down).
    return tr.gettext("Question %(number)d · about %(percent)d%%") % {
        "number": position.index,
        "percent": position.progress,
    }


def question(tr: Translator, position: Position) -> Screen:
    q = position.question
    assert q is not None
    survey = position.survey
    section = survey.section_of(q.code)
    lines = []
    if section is not None:
        lines.append(f"<i>{escape(_t(tr, section.title))}</i>")
        first = next(x for x in position.path if survey.section_of(x.code) is section)
        if first.code == q.code and section.intro:
            lines.append(escape(_t(tr, section.intro)))
    lines.append(escape(progress_line(tr, position)))
    lines.append(bold(_t(tr, q.text)))
    shown_hint = hint(tr, q)
    if shown_hint:
        lines.append(f"<i>{escape(shown_hint)}</i>")
    current = position.answers.get(q.code)
    if q.type in (Kind.NUMBER, Kind.TEXT) and current is not None:
        lines.append(escape(tr.gettext("Your answer: %(answer)s") % {"answer": current}))
    return "\n".join(lines), keyboard(_buttons(tr, position, q, current))


def _buttons(
    tr: Translator, position: Position, q: Question, current: object
) -> list[list[Button]]:
    version, ordinal = position.version_id, position.ordinal(q)
    rows: list[list[Button]] = []
    if q.type == Kind.SINGLE:
        for i, option in enumerate(q.options):
            mark = "• " if current == option.code else ""
            rows.append(
                [(mark + option.label(tr.locale), encode(NS.SURVEY, "choose", version, ordinal, i))]
            )
        if q.other:
            mark = "• " if current == "other" else ""
            rows.append(
                # TRANSLATORS: Survey button that opens a free-text answer.
                [(mark + tr.gettext("Other…"), encode(NS.SURVEY, "other", version, ordinal))]
            )
    elif q.type == Kind.MULTI:
        chosen = set(current) if isinstance(current, list) else set()
        for i, option in enumerate(q.options):
            mark = "✅ " if option.code in chosen else "▫️ "
            rows.append(
                [(mark + option.label(tr.locale), encode(NS.SURVEY, "choose", version, ordinal, i))]
            )
        if q.other:
            mark = "✅ " if "other" in chosen else "▫️ "
            rows.append(
                [
                    (
                        mark + _other_label(tr, position, q, "other" in chosen),
                        encode(NS.SURVEY, "other", version, ordinal),
                    )
                ]
            )
        rows.append([(tr.gettext("Done ✔"), encode(NS.SURVEY, "done", version, ordinal))])
    elif q.type == Kind.SCALE:
        rows.append(
            [
                (
                    f"• {n}" if current == n else str(n),
                    encode(NS.SURVEY, "choose", version, ordinal, n),
                )
                for n in range(1, 6)
            ]
        )
    nav: list[Button] = []
    if position.index > 1:
        nav.append((tr.gettext("« Back"), encode(NS.SURVEY, "back", version, ordinal)))
    if not q.required:
        nav.append((tr.gettext("Skip »"), encode(NS.SURVEY, "skip", version, ordinal)))
    if nav:
        rows.append(nav)
    return rows


def _other_label(tr: Translator, position: Position, q: Question, chosen: bool) -> str:
    """ "Other…", or once written, the resident's own words (cut to fit a button)."""
    text = position.other_texts.get(q.code) if chosen else None
    if not text:
        return tr.gettext("Other…")
    short = text if len(text) <= 40 else text[:39].rstrip() + "…"
    # TRANSLATORS: A ticked "other" in a multiple choice, with the resident's own words.
    return tr.gettext("Other: %(text)s") % {"text": short}


def answer_text(tr: Translator, position: Position, q: Question) -> str:
    if q.code in position.skipped or q.code not in position.answers:
        return tr.gettext("(skipped)")
    value = position.answers[q.code]
    if q.type in (Kind.SINGLE, Kind.MULTI):
        values = value if isinstance(value, list) else [value]
        labels = []
        for code in values:
            option = q.option(code)
            if option is not None:
                labels.append(option.label(tr.locale))
            elif code == "other":
                labels.append(position.other_texts.get(q.code) or tr.gettext("Other…"))
        return ", ".join(labels)
    return str(value)


def summary(tr: Translator, position: Position) -> Screen:
    lines = [
        bold(tr.gettext("Your answers")),
        escape(tr.gettext("Check them; tap a number to change an answer, then submit.")),
        "",
    ]
    buttons: list[Button] = []
    for number, q in enumerate(position.path, start=1):
        lines.append(
            f"{number}. {escape(_t(tr, q.text))}\n    <i>{escape(answer_text(tr, position, q))}</i>"
        )
        buttons.append(
            (f"✏️ {number}", encode(NS.SURVEY, "edit", position.version_id, position.ordinal(q)))
        )
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:3990].rsplit("\n", 1)[0] + "\n…"
    rows = in_rows(buttons, 5)
    rows.append([(tr.gettext("« Back"), encode(NS.SURVEY, "back", position.version_id, -1))])
    rows.append([(tr.gettext("✅ Submit"), encode(NS.SURVEY, "submit", position.version_id, -1))])
    return text, keyboard(rows)


def suggestion(tr: Translator, lab: LabView, round_number: int | None = None) -> Screen:
    """The lab the answers point to. With the round, its Sign up is counted for the round's
    funnel (handlers.surveys.funnel) before it signs up as the lab's own button would."""
    # TRANSLATORS: %(when)s is a time range ("3. decembra 2026, 17.00–19.00"), not a moment: no "ob" before it.
    text = tr.gettext(
        "You mentioned things a RealLife Learning Lab is working on. The next one is "
        "%(title)s, %(when)s at %(hub)s. Would you like to join?"
    ) % {"title": lab.title(tr.locale), "when": time_range(tr, lab), "hub": lab.hub_name(tr.locale)}
    join = encode(NS.LAB, "join", lab.id, lab.version, 0)
    if round_number is not None:
        join = encode(NS.SURVEY, "join", round_number, lab.id, lab.version)
    return escape(text), keyboard(
        [
            [(tr.gettext("✍️ Sign up"), join)],
            [(tr.gettext("Open the lab"), encode(NS.LAB, "card", lab.id))],
        ]
    )
