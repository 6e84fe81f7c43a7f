"""The survey in Telegram: answering, rounds and digests."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Awaiting
from bot.context import MagnetContext
from handlers.common import button, command
from handlers.surveys import answer, digest, funnel, rounds

HANDLERS = [
    command("survey", answer.start_survey),
    command("surveys", rounds.list_surveys),
    command("digest", digest.send_digest),
    button(NS.SURVEY, "intro", answer.intro_button),
    button(NS.SURVEY, "begin", answer.begin_survey),
    button(NS.SURVEY, "choose", answer.choose_option),
    button(NS.SURVEY, "done", answer.finish_choice),
    button(NS.SURVEY, "skip", answer.skip_question),
    button(NS.SURVEY, "back", answer.go_back),
    button(NS.SURVEY, "edit", answer.edit_answer),
    button(NS.SURVEY, "other", answer.write_other),
    button(NS.SURVEY, "submit", answer.submit_survey),
    button(NS.SURVEY_ROUNDS, "open", rounds.open_round),
    button(NS.SURVEY_ROUNDS, "close", rounds.close_round),
    button(NS.SURVEY_ROUNDS, "invite", rounds.invite_residents),
    button(NS.SURVEY, "join", funnel.join_suggested_lab),
    button(NS.DIGEST, "view", digest.show_view),
    button(NS.DIGEST, "send", digest.send_to_channel),
]


async def _typed(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    code = awaiting.arg(0)
    other = awaiting.kind == "survey_other"
    return code is not None and await answer.survey_text(update, context, code, other=other)


# What a resident's next text answers (`resident.awaiting`, stored with bot.codec.awaiting
# by answer.py): the current question, or the text of its "Other" option.
AWAITING = {"survey": _typed, "survey_other": _typed}
