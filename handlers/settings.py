"""/settings (/nastavitve): see and change the profile, topics and consent."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.codec import NS, decode, encode, matcher
from bot.context import MagnetContext
from bot.domain import Step
from bot.services.residents import PROFILE_FIELDS, InvalidChoice
from handlers import screens
from handlers.common import (
    answer,
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
    tr, resident = context.tr, context.resident
    assert resident is not None
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


@requires_onboarding
async def settings_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    resident, tr = context.resident, context.tr
    assert resident is not None
    if callback is None:
        await stale_button(update, context, "undecodable settings button")
        return
    residents = context.services.residents
    back = (tr.gettext("« Back"), encode(NS.SETTINGS, "open"))
    action = callback.action
    try:
        if action == "open":
            await answer(update)
            await show(update, *settings_screen(context))
        elif action == "field" and callback.arg(0) in FIELDS:
            step = FIELDS[callback.arg(0) or ""]
            column, choices = PROFILE_FIELDS[step]
            buttons = screens.choice_buttons(
                tr, NS.SETTINGS, step, choices, getattr(resident, column)
            )
            rows = [*in_rows(buttons, 2 if step == Step.AGE_BAND else 1), [back]]
            await answer(update)
            await show(update, f"<b>{escape(screens.question(tr, step))}</b>", keyboard(rows))
        elif action == "ans" and callback.arg(0) in FIELDS:
            context.resident = await residents.answer(
                resident.telegram_id, FIELDS[callback.arg(0) or ""], callback.arg(1) or ""
            )
            await answer(update, tr.gettext("Saved."))
            await show(update, *settings_screen(context))
        elif action in ("topics", "topic"):
            if action == "topic":
                context.resident = resident = await residents.toggle_topic(
                    resident.telegram_id, callback.arg(0) or ""
                )
            rows = [*screens.topic_buttons(tr, NS.SETTINGS, resident.topics), [back]]
            await answer(update)
            text = f"<b>{escape(screens.question(tr, Step.TOPICS))}</b>\n" + escape(
                screens.topics_summary(tr, resident.topics)
            )
            await show(update, text, keyboard(rows))
        elif action == "withdraw":
            confirm = tr.gettext(
                "If you withdraw your consent, I will delete your municipality, age group, status and "
                "topics, your lab sign-ups and the link to your survey answers, and stop sending "
                "you news. Do you want to continue?"
            )
            rows = [[(tr.gettext("Yes, withdraw"), encode(NS.SETTINGS, "withdraw_yes"))], [back]]
            await answer(update)
            await show(update, escape(confirm), keyboard(rows))
        elif action == "withdraw_yes":
            await context.services.privacy.withdraw(resident.telegram_id)
            context.resident = await residents.decline_consent(resident.telegram_id)
            await answer(update)
            done = tr.gettext(
                "Your consent is withdrawn and your profile deleted. Send %(start)s whenever "
                "you want to join again."
            ) % {"start": "/start"}
            await show(update, escape(done))
        elif action == "close":
            await answer(update)
            await show(update, escape(tr.gettext("Settings saved. ✅")))
        else:
            await stale_button(update, context, f"settings action {callback.action}")
    except InvalidChoice as exc:
        await stale_button(update, context, f"invalid settings value {exc}")


HANDLERS = [
    command("settings", show_settings),
    CallbackQueryHandler(settings_button, pattern=matcher(NS.SETTINGS)),
]
