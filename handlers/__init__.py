"""The Telegram layer. Only this module knows the handler groups and their order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.codec import matcher
from handlers import (
    export,
    fallback,
    help,
    language,
    membership,
    onboarding,
    privacy,
    roles,
    routing,
    settings,
)
from handlers.announcements import compose as announce
from handlers.errors import handle_error
from handlers.gate import gate
from handlers.labs import compose as lab_admin
from handlers.labs import manage as lab_roster
from handlers.labs import signup as labs
from handlers.menu import names
from handlers.surveys import answer as survey
from handlers.surveys import digest
from handlers.surveys import rounds as survey_admin

GATE, FEATURES = -1, 0

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE

    def command(name: str, callback) -> CommandHandler:  # type: ignore[no-untyped-def,type-arg]
        return CommandHandler(names(name), callback, filters=private)

    application.add_handler(TypeHandler(Update, gate), group=GATE)
    application.add_handlers(
        [
            command("start", onboarding.start),
            command("help", help.show_help),
            command("settings", settings.show_settings),
            command("language", language.choose_language),
            command("grant", roles.grant_role),
            command("revoke", roles.revoke_role),
            command("roles", roles.list_roles),
            command("announce", announce.start_announcement),
            command("announcements", announce.list_announcements),
            command("mydata", privacy.send_my_data),
            command("forget", privacy.ask_forget),
            command("export", export.choose_export),
            command("digest", digest.send_digest),
            command("survey", survey.start_survey),
            command("surveys", survey_admin.list_surveys),
            command("labs", labs.show_labs),
            command("mylabs", labs.show_my_labs),
            command("newlab", lab_admin.start_new_lab),
            command("roster", lab_roster.roster_command),
            command("checkin", lab_roster.checkin_command),
            CallbackQueryHandler(onboarding.onboarding_button, pattern=matcher("ob")),
            CallbackQueryHandler(settings.settings_button, pattern=matcher("set")),
            CallbackQueryHandler(language.set_language, pattern=matcher("lang")),
            CallbackQueryHandler(help.menu_button, pattern=matcher("menu")),
            CallbackQueryHandler(announce.announcement_button, pattern=matcher("ann")),
            CallbackQueryHandler(labs.lab_button, pattern=matcher("lab")),
            CallbackQueryHandler(survey.survey_button, pattern=matcher("srv")),
            CallbackQueryHandler(privacy.privacy_button, pattern=matcher("priv")),
            CallbackQueryHandler(export.export_button, pattern=matcher("exp")),
            CallbackQueryHandler(survey_admin.survey_admin_button, pattern=matcher("sva")),
            CallbackQueryHandler(lab_admin.admin_button, pattern=matcher("lba")),
            ChatMemberHandler(membership.track_membership, ChatMemberHandler.MY_CHAT_MEMBER),
            # Fallbacks: last in the group, so every feature above had its chance.
            MessageHandler(private & filters.COMMAND, fallback.unknown_command),
            MessageHandler(private & filters.TEXT, routing.route_text),
            MessageHandler(private & ~filters.TEXT, routing.route_media),
            CallbackQueryHandler(fallback.unknown_button),
        ],
        group=FEATURES,
    )
    application.add_error_handler(handle_error)
