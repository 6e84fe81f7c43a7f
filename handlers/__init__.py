"""The Telegram layer. Only this module knows the handler groups and their order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import (
    announcements,
    conversations,
    dashboard,
    export,
    fallback,
    help_menu,
    ideas,
    labs,
    language,
    membership,
    onboarding,
    privacy,
    roles,
    routing,
    settings,
    stories,
    surveys,
)
from handlers.common import PRIVATE_MESSAGES
from handlers.errors import handle_error
from handlers.gate import gate

GATE, FEATURES = -1, 0

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]

# Each feature's commands and buttons; no two match the same update, so their order is free.
FEATURE_HANDLERS: list[BaseHandler] = [  # type: ignore[type-arg]
    *onboarding.HANDLERS,
    *help_menu.HANDLERS,
    *settings.HANDLERS,
    *language.HANDLERS,
    *roles.HANDLERS,
    *privacy.HANDLERS,
    *export.HANDLERS,
    *dashboard.HANDLERS,
    *announcements.HANDLERS,
    *labs.HANDLERS,
    *surveys.HANDLERS,
    *ideas.HANDLERS,
    *stories.HANDLERS,
    *conversations.HANDLERS,
]


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, gate), group=GATE)
    application.add_handlers(
        [
            *FEATURE_HANDLERS,
            ChatMemberHandler(membership.track_membership, ChatMemberHandler.MY_CHAT_MEMBER),
            # Fallbacks: last in the group, so every feature above had its chance.
            MessageHandler(PRIVATE_MESSAGES & filters.COMMAND, fallback.unknown_command),
            MessageHandler(PRIVATE_MESSAGES & filters.TEXT, routing.route_text),
            MessageHandler(PRIVATE_MESSAGES & ~filters.TEXT, routing.route_media),
            CallbackQueryHandler(fallback.unknown_button),
        ],
        group=FEATURES,
    )
    application.add_error_handler(handle_error)
