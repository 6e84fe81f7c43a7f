"""/surveys (/ankete) for coordinators: each survey's round, its completed and partial
responses; open and close rounds, and invite every consenting resident once."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, decode, encode
from bot.config import SUPPORTED_LOCALES
from bot.context import MagnetContext
from bot.domain import Role
from bot.services.labs.types import Notice
from bot.services.surveys.responses import SurveyError, SurveyProblem
from handlers.common import answer, bold, escape, keyboard, requires_role, show
from handlers.common import stale_button as _stale


@requires_role(Role.COORDINATOR)
async def list_surveys(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    lines = [bold(tr.gettext("Surveys"))]
    rows = []
    for state in await context.services.surveys.rounds():
        title = state.title.get(tr.locale) or state.code
        lines.append("")
        lines.append(bold(title))
        if state.number is None:
            lines.append(escape(tr.gettext("No round yet.")))
        else:
            status = tr.gettext("open") if state.status == "open" else tr.gettext("closed")
            lines.append(
                escape(
                    tr.gettext("Round %(number)d: %(status)s since %(when)s")
                    % {
                        "number": state.number,
                        "status": status,
                        "when": tr.when(state.opened_at) if state.opened_at else "—",
                    }
                )
            )
            lines.append(
                escape(
                    tr.ngettext(
                        "%(count)d completed response",
                        "%(count)d completed responses",
                        state.completed,
                    )
                    % {"count": state.completed}
                    + " · "
                    + tr.ngettext("%(count)d unfinished", "%(count)d unfinished", state.partial)
                    % {"count": state.partial}
                )
            )
        if state.status == "open":
            row = [(tr.gettext("⏹ Close the round"), encode(NS.SURVEY_ROUNDS, "close", state.code))]
            if not state.invited:
                row.append(
                    (
                        tr.gettext("📣 Invite residents"),
                        encode(NS.SURVEY_ROUNDS, "invite", state.code),
                    )
                )
            rows.append(row)
        else:
            rows.append(
                [(tr.gettext("▶️ Open a new round"), encode(NS.SURVEY_ROUNDS, "open", state.code))]
            )
    await show(update, "\n".join(lines), keyboard(rows))


def invitation(context: MagnetContext) -> dict[str, Notice]:
    notices = {}
    for locale in SUPPORTED_LOCALES:
        tr = context.services.i18n.get(locale)
        text = tr.gettext(
            "📝 A new round of the survey “Stay or leave?” is open. Tell Celje and Prebold "
            "what keeps you here or makes you leave: about 4 minutes, anonymous if you wish."
        )
        markup = keyboard([[(tr.gettext("📝 Start the survey"), encode(NS.SURVEY, "intro"))]])
        notices[locale] = Notice(escape(text), markup.to_dict())
    return notices


@requires_role(Role.COORDINATOR)
async def survey_admin_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    resident = context.resident
    assert resident is not None
    service, tr = context.services.surveys, context.tr
    code = callback.arg(0) if callback else None
    if callback is None or code not in service.surveys:
        await _stale(update, context, "survey admin button")
        return
    try:
        if callback.action == "open":
            state = await service.open_round(resident.telegram_id, code)
            await answer(update, tr.gettext("Round %(number)d is open.") % {"number": state.number})
        elif callback.action == "close":
            state = await service.close_round(resident.telegram_id, code)
            await answer(
                update, tr.gettext("Round %(number)d is closed.") % {"number": state.number}
            )
        elif callback.action == "invite":
            count = await service.invite(
                resident.telegram_id,
                code,
                invitation(context),
                context.services.settings.default_locale,
            )
            await answer(
                update,
                tr.ngettext("Inviting %(count)d resident.", "Inviting %(count)d residents.", count)
                % {"count": count},
            )
        else:
            await _stale(update, context, f"survey admin action {callback.action}")
            return
    except SurveyError as exc:
        texts = {
            SurveyProblem.ALREADY_OPEN: tr.gettext("A round is already open."),
            SurveyProblem.NOT_OPEN: tr.gettext("No round is open."),
            SurveyProblem.STALE: tr.gettext(
                "The residents have already been invited to this round."
            ),
        }
        await answer(
            update,
            texts.get(exc.problem, tr.gettext("This button is no longer valid.")),
            alert=True,
        )
    await list_surveys(update, context)
