"""How a lab reads, wherever it is shown: its seats, times, place, theme and feedback, and
why a typed value does not fit.

The one home of these phrases, for the notices the services queue, the handlers' screens
and the command line (which reports the problems of a programme file).
"""

from __future__ import annotations

from html import escape

from bot.domain import label_in
from bot.i18n import Translator
from bot.services.labs.parsing import InputError, InputProblem
from bot.services.labs.types import FeedbackSummary, LabView


def bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def topic_label(tr: Translator, code: str | None) -> str:
    return label_in(tr, tr.town.topics, code) or "—"


def seats_line(tr: Translator, lab: LabView) -> str:
    if lab.capacity is None:
        return tr.gettext("Open event: no sign-up limit")
    left = lab.seats_left or 0
    if left > 0:
        return tr.ngettext("%(count)d seat left", "%(count)d seats left", left) % {"count": left}
    if lab.waitlisted:
        waiting = tr.ngettext(
            "%(count)d person waiting", "%(count)d people waiting", lab.waitlisted
        ) % {"count": lab.waitlisted}
        return tr.gettext("Full; waitlist open (%(waiting)s)") % {"waiting": waiting}
    return tr.gettext("Full; waitlist open")


def time_range(tr: Translator, lab: LabView) -> str:
    assert lab.starts_at is not None
    if lab.ends_at is None:
        return tr.when(lab.starts_at)
    if tr.date(lab.starts_at) == tr.date(lab.ends_at):
        # TRANSLATORS: one day's times; date is the day with its weekday, e.g. sl "v četrtek,
        # 3. decembra 2026, 17.00–19.00" (no "ob" before a range).
        return tr.gettext("%(date)s, %(start)s–%(end)s") % {
            "date": tr.day(lab.starts_at),
            "start": tr.time(lab.starts_at),
            "end": tr.time(lab.ends_at),
        }
    # TRANSLATORS: a lab across days; start and end are each a date with a time.
    return tr.gettext("from %(start)s to %(end)s") % {
        "start": tr.when(lab.starts_at),
        "end": tr.when(lab.ends_at),
    }


def starts(tr: Translator, lab: LabView) -> str:
    return tr.when(lab.starts_at) if lab.starts_at else ""


def place(tr: Translator, lab: LabView) -> str:
    name = lab.hub_name(tr.locale)
    return f"{name}, {lab.hub_address}" if lab.hub_address else name


def feedback_text(
    tr: Translator, lab: LabView, summary: FeedbackSummary, min_group_size: int
) -> str:
    """Feedback in aggregate; fewer answers than the minimum group size are not shown, so
    that nobody's answer can be picked out."""
    title = tr.gettext("Feedback on %(title)s") % {"title": lab.title(tr.locale)}
    count = tr.ngettext("%(count)d answer", "%(count)d answers", summary.answers) % {
        "count": summary.answers
    }
    lines = [bold(title), escape(count)]
    if summary.answers < min_group_size:
        lines.append(
            escape(
                tr.gettext("Too few answers to show (fewer than %(k)d), to protect who gave them.")
                % {"k": min_group_size}
            )
        )
        return "\n".join(lines)

    def share(counts: dict[int, int], value: int) -> str:
        total = sum(counts.values())
        return f"{round(100 * counts.get(value, 0) / total)} %" if total else "—"

    def shares(counts: dict[int, int]) -> dict[str, str]:
        return {"a": share(counts, 3), "b": share(counts, 2), "c": share(counts, 1)}

    lines.append(
        escape(tr.gettext("Useful: very %(a)s, somewhat %(b)s, not really %(c)s"))
        % shares(summary.useful)
    )
    lines.append(
        escape(tr.gettext("Would come again: yes %(a)s, maybe %(b)s, no %(c)s"))
        % shares(summary.again)
    )
    if summary.comments:
        lines.append("")
        lines.append(bold(tr.gettext("Comments")))
        lines += [f"• <i>{escape(c)}</i>" for c in summary.comments[:20]]
    return "\n".join(lines)


def input_text(tr: Translator, error: InputError) -> str:
    """Why a value typed for a field (or read from a programme file) does not fit."""
    texts = {
        InputProblem.NO_TEXT: tr.gettext("Please write some text."),
        InputProblem.TOO_LONG: tr.gettext(
            "This can be at most %(limit)d characters long; yours has %(length)d."
        ),
        InputProblem.NOT_A_MOMENT: tr.gettext(
            "I couldn't read that as a date and time. Please write it like %(example)s."
        ),
        InputProblem.PASSED: tr.gettext(
            "That moment has already passed. Please choose a time in the future."
        ),
        InputProblem.NOT_A_TIME: tr.gettext("That is not a time of day."),
        InputProblem.END_BEFORE_START: tr.gettext("The end must come after the start."),
        InputProblem.OVER_A_WEEK: tr.gettext("A lab can last at most a week."),
        InputProblem.CAPACITY: tr.gettext(
            "Please write a whole number of seats from 1 to %(max)d, or 0 for no limit."
        ),
        InputProblem.DEADLINE_AFTER_START: tr.gettext(
            "Registration must close before the lab starts."
        ),
        InputProblem.REMINDERS: tr.gettext(
            "Please write hours before the start, separated by commas, like "
            "%(example)s (at most %(max)d hours), or 0 for no reminders."
        ),
        InputProblem.TOO_MANY_REMINDERS: tr.gettext("At most %(max)d reminders, please."),
        InputProblem.GUESTS: tr.gettext("Guests per resident: 0 or 1."),
        InputProblem.UNKNOWN_THEME: tr.gettext("Unknown theme %(value)r; use one of %(codes)s."),
        InputProblem.UNKNOWN_HUB: tr.gettext("Unknown hub %(value)r; use one of %(codes)s."),
        InputProblem.REQUIRED: tr.gettext("This field is required."),
    }
    examples = {InputProblem.NOT_A_MOMENT: "24. 11. 18:00", InputProblem.REMINDERS: "24, 2"}
    params = dict(error.params)
    if error.problem in examples:
        params["example"] = examples[error.problem]
    text = texts[InputProblem(error.problem)]
    return text % params if params else text
