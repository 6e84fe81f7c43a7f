"""/export for staff: choose a survey round, get its answers as CSV and XLSX, and the
codebook. Built off the event loop, streamed from the database in batches."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update

from bot.codec import NS, Callback, encode
from bot.context import MagnetContext
from bot.domain import Role
from bot.numbers import parse_int
from bot.services.exports import ExportError, ExportService, Plan
from handlers.common import answer, bold, button, command, escape, keyboard, requires_role, send
from handlers.common import stale_button as _stale

log = logging.getLogger(__name__)


@requires_role(Role.STAFF)
async def choose_export(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    rows = []
    for state in await context.services.surveys.rounds.states():
        title = state.title.get(tr.locale) or state.code
        for number in range(state.number or 0, 0, -1):
            label = tr.gettext("%(survey)s, round %(number)d") % {"survey": title, "number": number}
            rows.append([(label, encode(NS.EXPORT, "get", state.code, number))])
    if not rows:
        await send(update, escape(tr.gettext("There is nothing to export yet: no survey round.")))
        return
    await send(
        update, bold(tr.gettext("Which answers would you like to export?")), keyboard(rows[:20])
    )


@requires_role(Role.STAFF)
async def export_round(update: Update, context: MagnetContext, callback: Callback) -> None:
    resident = context.me
    tr, services = context.tr, context.services
    code, number = callback.arg(0), callback.arg(1)
    round_number = parse_int(number, 1)
    if code not in services.surveys.shipped or round_number is None:
        await _stale(update, context, "export button")
        return
    try:
        plan = await services.exports.plan(code, round_number)
    except ExportError:
        await _stale(update, context, f"export of {code} round {number}")
        return
    await answer(update, tr.gettext("Preparing the files…"))
    chat = update.effective_chat
    assert chat is not None
    name = f"{code}-round{plan.round_number}"
    # Each format on its own: one that fails must not keep the others from arriving.
    for fmt in ("csv", "xlsx"):
        try:
            data = await _file(services.exports, plan, fmt)
        except Exception:
            log.exception("the %s export of %s round %s failed", fmt, code, plan.round_number)
            failed = tr.gettext("The %(format)s file could not be made; the others follow.")
            await send(update, escape(failed % {"format": fmt.upper()}))
            continue
        await chat.send_document(InputFile(data, filename=f"{name}.{fmt}"))
        await services.exports.record(plan, fmt, "telegram", actor=resident.telegram_id)
    caption = tr.gettext(
        "Codebook: what each column holds, in Slovenian and English. Respondents are "
        "numbered within this export only."
    )
    await chat.send_document(
        InputFile(services.exports.codebook_csv(plan), filename=f"{name}-codebook.csv"),
        caption=escape(caption),
    )


async def _file(exports: ExportService, plan: Plan, fmt: str) -> bytes:
    if fmt == "csv":
        return b"".join([chunk async for chunk in exports.csv_chunks(plan)])
    path = await exports.xlsx_file(plan)
    try:
        return await asyncio.to_thread(path.read_bytes)
    finally:
        await asyncio.to_thread(path.unlink, True)


HANDLERS = [
    command("export", choose_export),
    button(NS.EXPORT, "get", export_round),
]
