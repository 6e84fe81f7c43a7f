"""Shared bits of the Telegram layer: replying, keyboards, role and onboarding checks."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.codec import Callback, decode, matcher
from bot.commands import names
from bot.context import MagnetContext
from bot.domain import Role
from bot.textfit import MESSAGE_MAX, split_message, utf16_len

log = logging.getLogger(__name__)

Button = tuple[str, str]  # label, callback data
Handler = Callable[..., Awaitable[Any]]  # (update, context), and a decoded Callback for buttons
ButtonHandler = Callable[[Update, MagnetContext, Callback], Awaitable[Any]]
# The checks below guard command and button handlers alike (a button's gets its Callback too).
Guarded = TypeVar("Guarded", Handler, ButtonHandler)

PRIVATE_MESSAGES = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE

escape = html.escape


def bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def in_rows(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


async def send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A reply in the chat; past Telegram's 4096 units it goes in parts, buttons on the last."""
    chat = update.effective_chat
    if chat is None:
        return None
    *first, last = split_message(text)
    for part in first:
        await chat.send_message(part)
    return await chat.send_message(last, reply_markup=markup)


async def show(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Edit the message whose button was pressed; otherwise send a new one."""
    query = update.callback_query
    fits = utf16_len(text) <= MESSAGE_MAX
    pressed = query.message if query is not None else None
    # A button under a file or photo cannot become text: the answer comes as a new message.
    editable = pressed is not None and pressed.is_accessible and pressed.text is not None
    if fits and query is not None and editable:
        try:
            edited = await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return None
            if "message to edit not found" not in exc.message.lower():
                raise
        else:
            return edited if isinstance(edited, Message) else None
    return await send(update, text, markup)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner; every callback query gets exactly one answer."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest as exc:
            # Answered already, or too late (Telegram allows about 15 s): the reply that
            # follows still tells the resident what happened.
            log.info("could not answer callback query: %s", exc.message)


async def stale_button(update: Update, context: MagnetContext, reason: str) -> None:
    """A button we no longer (or never) offered: say so and move on."""
    log.info("stale or forged button: %s", reason)  # the log line carries the resident's id
    await answer(update, context.tr.gettext("This button is no longer valid."), alert=False)


def requires_role(role: Role, *others: Role) -> Callable[[Guarded], Guarded]:
    """Only residents holding `role` (or any of `others`) get past; the rest a polite no."""

    def decorate(handler: Guarded) -> Guarded:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: MagnetContext, *args: Any) -> Any:
            resident = context.resident
            if resident is None or not any(resident.has_role(r) for r in (role, *others)):
                log.warning("%s tried without the %s role", handler.__name__, role.value)
                tr = context.tr
                messages = {
                    Role.ADMIN: tr.gettext("Sorry, only administrators can do that."),
                    Role.COORDINATOR: tr.gettext("Sorry, only coordinators can do that."),
                    Role.STAFF: tr.gettext("Sorry, only staff can do that."),
                }
                text = messages.get(role, tr.gettext("Sorry, you can't do that."))
                if {role, *others} == {Role.COORDINATOR, Role.STAFF}:
                    text = tr.gettext("Sorry, only coordinators and staff can do that.")
                await answer(update)
                await send(update, text)
                return None
            return await handler(update, context, *args)

        return wrapper  # type: ignore[return-value]

    return decorate


def requires_onboarding(handler: Guarded) -> Guarded:
    """Features that need a profile wait until onboarding (and current consent) is done."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: MagnetContext, *args: Any) -> Any:
        resident = context.resident
        if resident is None:
            return None
        if not resident.onboarded:
            from handlers.onboarding import resume_onboarding

            await answer(update)
            await send(update, context.tr.gettext("Let's finish setting you up first."))
            await resume_onboarding(update, context)
            return None
        return await handler(update, context, *args)

    return wrapper  # type: ignore[return-value]


def command(name: str, callback: Handler) -> CommandHandler:  # type: ignore[type-arg]
    """A command of `bot.commands.COMMANDS`, in private chats, under both of its spellings."""
    return CommandHandler(names(name), callback, filters=PRIVATE_MESSAGES)


def button(ns: str, action: str, callback: ButtonHandler) -> CallbackQueryHandler:  # type: ignore[type-arg]
    """One action of a namespace: the handler gets the decoded callback."""

    async def decoded(update: Update, context: MagnetContext) -> Any:
        query = update.callback_query
        callback_data = decode(query.data if query else None)
        if callback_data is None:  # PTB lets a press without data through every pattern
            await stale_button(update, context, "a button without callback data")
            return None
        if context.resident is None:  # a press in a group: the gate knows no resident there
            log.info("button %s:%s pressed outside a private chat", ns, action)
            text = context.tr.gettext("Please use this button in your private chat with me.")
            await answer(update, text)
            return None
        return await callback(update, context, callback_data)

    functools.update_wrapper(decoded, callback)
    return CallbackQueryHandler(decoded, pattern=matcher(ns, action))
