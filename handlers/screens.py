"""What the resident sees: each screen as (text, keyboard), rendered with their translator."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.codec import NS, encode
from bot.commands import slash
from bot.domain import AGE_BANDS, STATUSES, Choice, Step, label_in
from bot.i18n import Translator, native_name
from bot.services.residents import ResidentView, profile_fields
from handlers.common import Button, escape, in_rows, keyboard

Screen = tuple[str, InlineKeyboardMarkup | None]

STEP_NUMBER = {Step.MUNICIPALITY: 1, Step.AGE_BAND: 2, Step.STATUS: 3, Step.TOPICS: 4}
STEP_COUNT = 4


def question(tr: Translator, step: Step) -> str:
    return {
        Step.MUNICIPALITY: tr.gettext("Where do you live?"),
        Step.AGE_BAND: tr.gettext("How old are you?"),
        Step.STATUS: tr.gettext("What do you do at the moment?"),
        Step.TOPICS: tr.gettext("What would you like to hear about?"),
    }[step]


def command(tr: Translator, name: str) -> str:
    """The command as the resident's menu shows it (Slovenian aliases for Slovenian residents)."""
    return slash(name, tr.locale)


def consent_text(tr: Translator, min_group_size: int, updated: bool = False) -> str:
    title = (
        tr.gettext("We have updated how we handle your data")
        if updated
        else tr.gettext("Before we start: your data")
    )
    # TRANSLATORS: %(settings)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    body = tr.gettext(
        "If you agree, I will store:\n"
        "• your Telegram ID and the language you use,\n"
        "• where you live, your age group and what you do (chosen from a list),\n"
        "• the topics you want to hear about.\n\n"
        "Why: to send you only the news you choose, and %(purpose)s. %(groups)s\n\n"
        "You can change your answers or withdraw your consent at any time in %(settings)s; "
        "withdrawing deletes your profile. Until you agree, I keep only your Telegram ID "
        "and the language you chose."
    ) % {
        "settings": command(tr, "settings"),
        "groups": groups_promise(tr, min_group_size),
        "purpose": purpose(tr),
    }
    return f"<b>{escape(title)}</b>\n\n{escape(body)}\n\n{escape(controller_line(tr))}"


def english_fallback(tr: Translator) -> str | None:
    """Told to whoever writes content in Slovenian and English (labs, stories): the town's
    other languages will read the English text. None where the town offers no other."""
    others = [code for code in tr.town.languages if code not in ("sl", "en")]
    if not others:
        return None
    names = ", ".join(tr.name_of_language(code) for code in others)
    return tr.gettext("Residents reading in %(languages)s will see the English text.") % {
        "languages": names
    }


def purpose(tr: Translator) -> str:
    """Why the town stores a profile, in its own words (the profile's `texts.purpose`)."""
    # TRANSLATORS: Completes "Why: to send you only the news you choose, and ...".
    generic = tr.gettext("to help the town understand what its residents need")
    return tr.town.text("purpose", tr.locale) or generic


def controller_line(tr: Translator) -> str:
    name, contact, policy = tr.town.controller(tr.locale)
    return tr.gettext(
        "Your data is kept by %(controller)s (%(contact)s). Privacy policy: %(policy)s"
    ) % {"controller": name, "contact": contact, "policy": policy}


def groups_promise(tr: Translator, min_group_size: int) -> str:
    """The promise the consent text makes, with the smallest group the bot really reports."""
    return tr.ngettext(
        "Answers are only ever reported in groups of at least %(count)d person.",
        "Answers are only ever reported in groups of at least %(count)d people.",
        min_group_size,
    ) % {"count": min_group_size}


def consent_screen(
    tr: Translator, resident: ResidentView, payload: str | None, min_group_size: int
) -> Screen:
    tail = (payload,) if payload else ()
    others = [code for code in tr.town.languages if code != tr.locale]
    updated = resident.consent_version is not None
    languages = [
        (f"🌐 {native_name(code)}", encode(NS.ONBOARDING, "language", code, *tail))
        for code in others
    ]
    return consent_text(tr, min_group_size, updated), keyboard(
        [
            [
                (tr.gettext("✅ I agree"), encode(NS.ONBOARDING, "consent", "yes", *tail)),
                (tr.gettext("No, thanks"), encode(NS.ONBOARDING, "consent", "no")),
            ],
            *in_rows(languages, 3),
        ]
    )


def _progress(tr: Translator, step: Step) -> str:
    # TRANSLATORS: Onboarding progress (4 steps).
    return tr.gettext("Step %(number)d of %(count)d") % {
        "number": STEP_NUMBER[step],
        "count": STEP_COUNT,
    }


def choice_buttons(
    tr: Translator, ns: NS, step: Step, choices: Sequence[Choice], current: str | None
) -> list[Button]:
    return [
        (
            ("• " if c.code == current else "") + c.answer_text(tr),
            encode(ns, "answer", step.value, c.code),
        )
        for c in choices
    ]


def _per_row(step: Step) -> int:
    return 2 if step == Step.AGE_BAND else 1


def topic_buttons(tr: Translator, ns: NS, chosen: frozenset[str]) -> list[list[Button]]:
    return [
        [(("✅ " if t.code in chosen else "▫️ ") + t.text(tr), encode(ns, "topic", t.code))]
        for t in tr.town.topics
    ]


def onboarding_question(tr: Translator, resident: ResidentView) -> Screen:
    step = resident.step
    header = f"<i>{escape(_progress(tr, step))}</i>\n<b>{escape(question(tr, step))}</b>"
    if step == Step.TOPICS:
        hint = tr.gettext("Tap the topics you care about, then press Done.")
        rows = topic_buttons(tr, NS.ONBOARDING, resident.topics)
        rows.append([(tr.gettext("Done ✔"), encode(NS.ONBOARDING, "done"))])
        return f"{header}\n{escape(hint)}", keyboard(rows)
    column, choices = profile_fields(tr.town)[step]
    current = getattr(resident, column)
    buttons = choice_buttons(tr, NS.ONBOARDING, step, choices, current)
    return header, keyboard(in_rows(buttons, _per_row(step)))


def topic_names(tr: Translator, topics: frozenset[str]) -> str:
    return ", ".join(t.text(tr) for t in tr.town.topics if t.code in topics)


def topics_summary(tr: Translator, topics: frozenset[str]) -> str:
    if not topics:
        return tr.gettext(
            "You haven't chosen any topics, so I will only write when something concerns everyone."
        )
    return tr.ngettext(
        "You follow %(count)d topic: %(topics)s.",
        "You follow %(count)d topics: %(topics)s.",
        len(topics),
    ) % {"count": len(topics), "topics": topic_names(tr, topics)}


def main_menu(tr: Translator) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [(tr.gettext("📝 Survey: stay or leave?"), encode(NS.SURVEY, "intro"))],
            [
                (tr.gettext("🗓 Labs and events"), encode(NS.LAB, "list", "all", "all")),
                (tr.gettext("📋 My labs"), encode(NS.LAB, "mine")),
            ],
            [
                (tr.gettext("⚙️ Settings"), encode(NS.MENU, "settings")),
                (tr.gettext("🌐 Language"), encode(NS.MENU, "language")),
            ],
            [(tr.gettext("❓ Help"), encode(NS.MENU, "help"))],
        ]
    )


def menu_screen(tr: Translator, greeting: str | None = None) -> Screen:
    prompt = escape(tr.gettext("What would you like to do?"))
    text = f"{escape(greeting)}\n\n<b>{prompt}</b>" if greeting else f"<b>{prompt}</b>"
    return text, main_menu(tr)


def language_screen(tr: Translator) -> Screen:
    buttons = [(native_name(code), encode(NS.LANGUAGE, "set", code)) for code in tr.town.languages]
    return escape(tr.gettext("Choose your language:")), keyboard(in_rows(buttons, 3))


def profile_lines(tr: Translator, resident: ResidentView) -> list[str]:
    def value(choices: Sequence[Choice], code: str | None) -> str:
        return label_in(tr, choices, code) or "—"

    rows = [
        (tr.gettext("Language"), tr.name_of_language(tr.locale)),
        (tr.gettext("Municipality"), value(tr.town.municipalities, resident.municipality)),
        (tr.gettext("Age"), value(AGE_BANDS, resident.age_band)),
        # TRANSLATORS: The resident's occupation (student, employed, retired…), not a registration status.
        (tr.gettext("Status"), value(STATUSES, resident.status)),
        (tr.gettext("Topics"), topic_names(tr, resident.topics) or "—"),
    ]
    lines = [f"{name}: {shown}" for name, shown in rows]
    if resident.consented_at is not None:
        lines.append(
            tr.gettext("Consent given on %(date)s") % {"date": tr.when(resident.consented_at)}
        )
    return [escape(line) for line in lines]
