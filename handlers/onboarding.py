"""/start and onboarding: greeting, consent, municipality, age, status, topics, main menu."""

from __future__ import annotations

import logging

from telegram import Update

from bot.codec import NS, Callback
from bot.context import MagnetContext
from bot.domain import Step
from bot.services.residents import InvalidChoice, ResidentView
from handlers import screens
from handlers.common import answer, button, command, escape, send, show, stale_button
from handlers.deeplinks import act_on_payload, valid_payload
from handlers.menu import set_chat_menu

log = logging.getLogger(__name__)


def _first_name(update: Update) -> str:
    return update.effective_user.first_name if update.effective_user else ""


def _k(context: MagnetContext) -> int:
    return context.services.settings.min_group_size


async def start(update: Update, context: MagnetContext) -> None:
    resident = context.resident
    if resident is None:
        return
    tr = context.tr
    payload = valid_payload(context.args[0]) if context.args else None
    if context.args and payload is None:
        log.info("ignored an unknown start payload")
    if resident.roles:
        # Telegram only accepts a chat-scoped menu once the person has opened the chat.
        await set_chat_menu(
            context.bot, context.services.i18n, resident.telegram_id, tr.locale, resident.roles
        )
    if resident.onboarded:
        if payload:
            await act_on_payload(update, context, payload)
            return
        greeting = tr.gettext("Welcome back, %(name)s!") % {"name": _first_name(update)}
        await send(update, *screens.menu_screen(tr, greeting))
        return
    if payload and resident.consent_version is not None:
        await context.services.residents.remember_payload(resident.telegram_id, payload)
        payload = None  # stored; the consent button need not carry it
    if resident.step == Step.CONSENT and resident.consent_version is None:
        await send(update, escape(_greeting(context, update)))
    else:
        await send(update, escape(tr.gettext("Let's continue where we left off.")))
    await resume_onboarding(update, context, payload)


def _greeting(context: MagnetContext, update: Update) -> str:
    """The town's own greeting (its profile's `texts.greeting`), else the bot's own words."""
    tr = context.tr
    town = tr.town.text("greeting", tr.locale)
    # TRANSLATORS: %(project)s is the project's name (MAGNET), %(towns)s its towns' names.
    generic = tr.gettext(
        "Hello, %(name)s! 👋\n\n"
        "I am the %(project)s bot of %(towns)s. I will tell you about labs and events on the "
        "topics you choose. Now and then I will also ask what keeps you in your town, what "
        "might lead you to move away and what would bring you back."
    )
    values = {"name": _first_name(update), "project": tr.town.project}
    values["towns"] = tr.town.towns(tr.locale)
    return (town or generic) % values


async def resume_onboarding(
    update: Update, context: MagnetContext, payload: str | None = None, *, edit: bool = False
) -> None:
    """Show the screen of the step the resident is at (the database says which)."""
    resident = context.resident
    assert resident is not None
    tr = context.tr
    if resident.needs_consent or resident.step in (Step.CONSENT, Step.DECLINED):
        screen = screens.consent_screen(tr, resident, payload, _k(context))
    elif resident.step == Step.DONE:
        screen = screens.menu_screen(tr)
    else:
        screen = screens.onboarding_question(tr, resident)
    if edit:
        await show(update, *screen)
    else:
        await send(update, *screen)


async def _consent(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    residents = context.services.residents
    tr = context.tr
    if callback.arg(0) not in ("yes", "no"):
        await stale_button(update, context, f"consent answer {callback.arg(0)}")
        return
    if not (resident.needs_consent or resident.step in (Step.CONSENT, Step.DECLINED)):
        await answer(update, tr.gettext("You have already agreed."))
        await resume_onboarding(update, context)
        return
    if callback.arg(0) == "no":
        context.resident = await context.services.privacy.withdraw(resident.telegram_id)
        await answer(update)
        # TRANSLATORS: %(start)s is a slash command (e.g. /delavnice). It cannot be inflected,
        # so put "z ukazom" / "pod ukazom" in front of it.
        text = tr.gettext(
            "Understood: I won't store anything about you. If you change your mind, send %(start)s."
        ) % {"start": "/start"}
        await show(update, escape(text))
        return
    updated = resident.consent_version is not None
    user = update.effective_user
    context.resident = resident = await residents.accept_consent(
        resident.telegram_id, user.language_code if user else None
    )
    payload = valid_payload(callback.arg(1) or "")
    if payload:
        await residents.remember_payload(resident.telegram_id, payload)
    await answer(update)
    assert resident.consented_at is not None
    agreed = tr.gettext("✅ You agreed on %(date)s.") % {"date": tr.when(resident.consented_at)}
    await show(
        update, f"{screens.consent_text(tr, _k(context), updated)}\n\n<i>{escape(agreed)}</i>"
    )
    if resident.step == Step.DONE:
        await _finish(update, context, resident)
    else:
        await resume_onboarding(update, context)


async def _language(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    locale = callback.arg(0) or ""
    try:
        context.resident = resident = await context.services.residents.set_locale(
            resident.telegram_id, locale
        )
    except InvalidChoice:
        await stale_button(update, context, f"language {locale}")
        return
    context.tr = context.services.i18n.get(locale)
    await answer(update)
    payload = valid_payload(callback.arg(1) or "")
    if resident.needs_consent or resident.step in (Step.CONSENT, Step.DECLINED):
        await show(update, *screens.consent_screen(context.tr, resident, payload, _k(context)))
    else:
        await resume_onboarding(update, context, edit=True)


async def _at_step(
    update: Update, context: MagnetContext, resident: ResidentView, step: str | None
) -> bool:
    """A press for another step than the resident's (an old message): say so and re-ask."""
    if step == resident.step.value and not resident.needs_consent:
        return True
    await stale_button(update, context, f"a press for {step} at step {resident.step}")
    await resume_onboarding(update, context)
    return False


async def _answer(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    step_code, code = callback.arg(0), callback.arg(1) or ""
    if not await _at_step(update, context, resident, step_code):
        return
    try:
        context.resident = await context.services.residents.answer(
            resident.telegram_id, Step(step_code), code
        )
    except InvalidChoice:
        await stale_button(update, context, f"invalid {step_code} code {code}")
        return
    await answer(update)
    await resume_onboarding(update, context, edit=True)


async def _toggle_topic(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    if not await _at_step(update, context, resident, Step.TOPICS.value):
        return
    try:
        context.resident = await context.services.residents.toggle_topic(
            resident.telegram_id, callback.arg(0) or ""
        )
    except InvalidChoice:
        await stale_button(update, context, f"invalid topic {callback.arg(0)}")
        return
    await answer(update)
    await resume_onboarding(update, context, edit=True)


async def _done(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    if not await _at_step(update, context, resident, Step.TOPICS.value):
        return
    context.resident = resident = await context.services.residents.finish_topics(
        resident.telegram_id
    )
    await answer(update)
    tr = context.tr
    await show(update, escape(screens.topics_summary(tr, resident.topics)))
    await _finish(update, context, resident)


async def _finish(update: Update, context: MagnetContext, resident: ResidentView) -> None:
    tr = context.tr
    greeting = tr.gettext("You're all set, %(name)s! 🎉") % {"name": _first_name(update)}
    await send(update, *screens.menu_screen(tr, greeting))
    payload = await context.services.residents.take_payload(resident.telegram_id)
    if payload:
        await act_on_payload(update, context, payload)


async def onboarding_text(update: Update, context: MagnetContext) -> None:
    """Typing where a button is expected: a polite re-ask with the same buttons."""
    resident = context.resident
    if resident is None or resident.onboarded:
        return
    if resident.step == Step.DECLINED:
        text = context.tr.gettext(
            "Understood: I won't store anything about you. If you change your mind, send %(start)s."
        ) % {"start": "/start"}
        await send(update, escape(text))
        return
    await send(update, escape(context.tr.gettext("Please choose one of the options below.")))
    await resume_onboarding(update, context)


HANDLERS = [
    command("start", start),
    button(NS.ONBOARDING, "consent", _consent),
    button(NS.ONBOARDING, "language", _language),
    button(NS.ONBOARDING, "answer", _answer),
    button(NS.ONBOARDING, "topic", _toggle_topic),
    button(NS.ONBOARDING, "done", _done),
]
