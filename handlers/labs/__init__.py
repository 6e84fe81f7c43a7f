"""Labs in Telegram: residents browse and sign up; coordinators compose and manage."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.codec import NS, Awaiting, matcher
from bot.context import MagnetContext
from bot.services.labs.types import EDITABLE
from handlers.common import command
from handlers.labs import compose, manage, signup

HANDLERS = [
    command("labs", signup.show_labs),
    command("mylabs", signup.show_my_labs),
    command("newlab", compose.start_new_lab),
    command("roster", manage.roster_command),
    command("checkin", manage.checkin_command),
    CallbackQueryHandler(signup.lab_button, pattern=matcher(NS.LAB)),
    CallbackQueryHandler(compose.admin_button, pattern=matcher(NS.LAB_ADMIN)),
]


async def _edit_text(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    lab_id, field = awaiting.arg(0) or "", awaiting.arg(1)
    steps = {s.value: s for s in EDITABLE}
    if not lab_id.isdigit() or field not in steps:
        return False
    return await compose.edit_text(update, context, int(lab_id), steps[field])


async def _feedback_text(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    reg_id = awaiting.arg(0) or ""
    return reg_id.isdigit() and await signup.feedback_text(update, context, int(reg_id))


async def _compose_text(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    return await compose.compose_text(update, context)


# What a coordinator or resident types while a lab step waits for it (`resident.awaiting`).
AWAITING = {"lab": _compose_text, "labedit": _edit_text, "fb": _feedback_text}
