"""Labs in Telegram: residents browse and sign up; coordinators compose and manage."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, Awaiting
from bot.context import MagnetContext
from bot.numbers import parse_int
from bot.services.labs.types import LabAwaiting
from handlers.common import button, command
from handlers.labs import browse, compose, feedback, manage, signup

HANDLERS = [
    command("labs", browse.show_labs),
    command("mylabs", browse.show_my_labs),
    command("newlab", compose.start_new_lab),
    command("roster", manage.roster_command),
    command("checkin", manage.checkin_command),
    button(NS.LAB, "list", browse.list_labs),
    button(NS.LAB, "card", browse.open_lab),
    button(NS.LAB, "mine", browse.open_my_labs),
    button(NS.LAB, "join", signup.join_lab),
    button(NS.LAB, "leave", signup.leave_lab),
    button(NS.LAB, "confirm_leave", signup.confirm_leave),
    button(NS.LAB, "accept_offer", signup.accept_offer),
    button(NS.LAB, "decline_offer", signup.decline_offer),
    button(NS.LAB, "calendar", signup.send_calendar),
    button(NS.LAB, "ticket", signup.send_ticket),
    button(NS.LAB, "show_name", signup.show_name),
    button(NS.LAB, "hide_name", signup.hide_name),
    button(NS.LAB, "rate_useful", feedback.rate_useful),
    button(NS.LAB, "rate_again", feedback.rate_again),
    button(NS.LAB, "skip_comment", feedback.skip_comment),
    button(NS.LAB_ADMIN, "set", compose.set_value),
    button(NS.LAB_ADMIN, "same_text", compose.same_text),
    button(NS.LAB_ADMIN, "publish", compose.publish_lab),
    button(NS.LAB_ADMIN, "discard", compose.discard_draft),
    button(NS.LAB_ADMIN, "preview", compose.back_to_preview),
    button(NS.LAB_ADMIN, "edit_menu", compose.show_edit_menu),
    button(NS.LAB_ADMIN, "edit", compose.edit_field),
    button(NS.LAB_ADMIN, "manage", manage.open_management),
    button(NS.LAB_ADMIN, "cancel", manage.cancel_lab),
    button(NS.LAB_ADMIN, "confirm_cancel", manage.confirm_cancel),
    button(NS.LAB_ADMIN, "roster", manage.open_roster),
    button(NS.LAB_ADMIN, "roster_csv", manage.send_roster_csv),
    button(NS.LAB_ADMIN, "poster_qr", manage.send_poster_qr),
]


async def _draft_text(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    return await compose.compose_text(update, context)


async def _edit_text(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    lab_id, step = parse_int(awaiting.arg(0)), compose.STEPS.get(awaiting.arg(1) or "")
    if lab_id is None or step is None:
        return False
    return await compose.edit_text(update, context, lab_id, step)


async def _comment_text(update: Update, context: MagnetContext, awaiting: Awaiting) -> bool:
    reg_id = parse_int(awaiting.arg(0))
    return reg_id is not None and await feedback.comment(update, context, reg_id)


# What a coordinator or resident types while a lab step waits for it (`resident.awaiting`).
AWAITING = {
    LabAwaiting.DRAFT: _draft_text,
    LabAwaiting.EDIT: _edit_text,
    LabAwaiting.COMMENT: _comment_text,
}
