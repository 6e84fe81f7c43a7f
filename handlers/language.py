"""/language (/jezik): Slovenian or English, at any time, even before consent."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Callback
from bot.context import MagnetContext
from bot.services.residents import InvalidChoice
from handlers import screens
from handlers.common import answer, button, command, escape, show, stale_button
from handlers.menu import set_chat_menu
from handlers.onboarding import resume_onboarding


async def choose_language(update: Update, context: MagnetContext) -> None:
    await answer(update)
    await show(update, *screens.language_screen(context.tr))


async def set_language(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    locale = callback.arg(0) or ""
    try:
        context.resident = resident = await context.services.residents.set_locale(
            resident.telegram_id, locale
        )
    except InvalidChoice:
        await stale_button(update, context, f"language {locale}")
        return
    tr = context.tr = context.services.i18n.get(locale)
    await answer(update)
    # TRANSLATORS: Shown in the NEW language right after the switch: "From now on I will write
    # to you in <this language>" (sl: "v slovenščini"), not literally "English".
    await show(update, escape(tr.gettext("I will speak English with you from now on.")))
    await set_chat_menu(
        context.bot,
        context.services.i18n,
        resident.telegram_id,
        locale,
        resident.roles,
    )
    await resume_onboarding(update, context)


HANDLERS = [
    command("language", choose_language),
    button(NS.LANGUAGE, "set", set_language),
]
