"""The survey in Telegram: answering, rounds and digests."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.codec import NS, Awaiting, matcher
from bot.context import MagnetContext
from handlers.common import command
from handlers.surveys import answer, digest, rounds

HANDLERS = [
    command("survey", answer.start_survey),
    command("surveys", rounds.list_surveys),
    command("digest", digest.send_digest),
    CallbackQueryHandler(answer.survey_button, pattern=matcher(NS.SURVEY)),
    CallbackQueryHandler(rounds.survey_admin_button, pattern=matcher(NS.SURVEY_ROUNDS)),
]


async def _typed(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    code = awaiting.arg(0)
    other = awaiting.kind == "survey_other"
    return code is not None and await answer.survey_text(update, context, code, other=other)


# A typed answer, or the text of an "Other" option (`resident.awaiting`).
AWAITING = {"survey": _typed, "survey_other": _typed}
