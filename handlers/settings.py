"""/settings (/nastavitve): see and change the profile, topics and consent."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.domain import Step
from bot.services.residents import InvalidChoice, profile_fields
from handlers import screens
from handlers.common import (
    answer,
    button,
    command,
    escape,
    in_rows,
    keyboard,
    requires_onboarding,
    show,
    stale_button,
)

FIELDS = {s.value: s for s in (Step.MUNICIPALITY, Step.AGE_BAND, Step.STATUS)}


def settings_screen(context: MagnetContext) -> screens.Screen:
    tr, resident = context.tr, context.me
    title = escape(tr.gettext("Your settings"))
    text = f"<b>{title}</b>\n\n" + "\n".join(screens.profile_lines(tr, resident))
    return text, keyboard(
        [
            [
                (
                    tr.gettext("📍 Municipality"),
                    encode(NS.SETTINGS, "field", Step.MUNICIPALITY.value),
                ),
                (tr.gettext("🎂 Age"), encode(NS.SETTINGS, "field", Step.AGE_BAND.value)),
            ],
            [
                # TRANSLATORS: The resident's occupation (student, employed, retired…), not a registration status.
                (tr.gettext("💼 Status"), encode(NS.SETTINGS, "field", Step.STATUS.value)),
                (tr.gettext("🏷 Topics"), encode(NS.SETTINGS, "topics")),
            ],
            [(tr.gettext("🌐 Language"), encode(NS.MENU, "language"))],
            [(tr.gettext("Withdraw consent"), encode(NS.SETTINGS, "withdraw"))],
            [(tr.gettext("✖ Close"), encode(NS.SETTINGS, "close"))],
        ]
    )


@requires_onboarding
async def show_settings(update: Update, context: MagnetContext) -> None:
    await answer(update)
    await show(update, *settings_screen(context))


def _back(context: MagnetContext) -> list[tuple[str, str]]:
    return [(context.tr.gettext("« Back"), encode(NS.SETTINGS, "open"))]


@requires_onboarding
async def open_settings(update: Update, context: MagnetContext, callback: Callback) -> None:
    await show_settings(update, context)


@requires_onboarding
async def choose_field(update: Update, context: MagnetContext, callback: Callback) -> None:
    tr, resident = context.tr, context.me
    step = FIELDS.get(callback.arg(0) or "")
    if step is None:
        await stale_button(update, context, f"settings field {callback.arg(0)}")
        return
    column, choices = profile_fields(tr.town)[step]
    buttons = screens.choice_buttons(tr, NS.SETTINGS, step, choices, getattr(resident, column))
    rows = [*in_rows(buttons, 2 if step == Step.AGE_BAND else 1), _back(context)]
    await answer(update)
    await show(update, f"<b>{escape(screens.question(tr, step))}</b>", keyboard(rows))


@requires_onboarding
async def set_field(update: Update, context: MagnetContext, callback: Callback) -> None:
    step = FIELDS.get(callback.arg(0) or "")
    try:
        if step is None:
            raise InvalidChoice(callback.arg(0))
        context.resident = await context.services.residents.answer(
            context.me.telegram_id, step, callback.arg(1) or ""
        )
    except InvalidChoice as exc:
        await stale_button(update, context, f"invalid settings value {exc}")
        return
    await answer(update, context.tr.gettext("Saved."))
    await show(update, *settings_screen(context))


async def _topics(update: Update, context: MagnetContext) -> None:
    tr, resident = context.tr, context.me
    rows = [*screens.topic_buttons(tr, NS.SETTINGS, resident.topics), _back(context)]
    await answer(update)
    text = f"<b>{escape(screens.question(tr, Step.TOPICS))}</b>\n" + escape(
        screens.topics_summary(tr, resident.topics)
    )
    await show(update, text, keyboard(rows))


@requires_onboarding
async def show_topics(update: Update, context: MagnetContext, callback: Callback) -> None:
    await _topics(update, context)


@requires_onboarding
async def toggle_topic(update: Update, context: MagnetContext, callback: Callback) -> None:
    try:
        context.resident = await context.services.residents.toggle_topic(
            context.me.telegram_id, callback.arg(0) or ""
        )
    except InvalidChoice as exc:
        await stale_button(update, context, f"invalid topic {exc}")
        return
    await _topics(update, context)


@requires_onboarding
async def ask_withdraw(update: Update, context: MagnetContext, callback: Callback) -> None:
    tr = context.tr
    confirm = tr.gettext(
        "If you withdraw your consent, I will delete your municipality, age group, status and "
        "topics, your lab sign-ups and the link to your survey answers, and stop sending "
        "you news. Do you want to continue?"
    )
    rows = [[(tr.gettext("Yes, withdraw"), encode(NS.SETTINGS, "withdraw_yes"))], _back(context)]
    await answer(update)
    await show(update, escape(confirm), keyboard(rows))


@requires_onboarding
async def withdraw(update: Update, context: MagnetContext, callback: Callback) -> None:
    tr = context.tr
    context.resident = await context.services.privacy.withdraw(context.me.telegram_id)
    await answer(update)
    # TRANSLATORS: %(start)s is a slash command (e.g. /delavnice). It cannot be inflected,
    # so put "z ukazom" / "pod ukazom" in front of it.
    done = tr.gettext(
        "Your consent is withdrawn and your profile deleted. Send %(start)s whenever "
        "you want to join again."
    ) % {"start": "/start"}
    await show(update, escape(done))


@requires_onboarding
async def close_settings(update: Update, context: MagnetContext, callback: Callback) -> None:
    await answer(update)
    await show(update, escape(context.tr.gettext("Settings saved. ✅")))


HANDLERS = [
    command("settings", show_settings),
    button(NS.SETTINGS, "open", open_settings),
    button(NS.SETTINGS, "field", choose_field),
    button(NS.SETTINGS, "answer", set_field),
    button(NS.SETTINGS, "topics", show_topics),
    button(NS.SETTINGS, "topic", toggle_topic),
    button(NS.SETTINGS, "withdraw", ask_withdraw),
    button(NS.SETTINGS, "withdraw_yes", withdraw),
    button(NS.SETTINGS, "close", close_settings),
]
