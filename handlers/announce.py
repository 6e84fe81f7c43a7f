"""/announce (/obvesti) and /announcements (/obvestila): coordinators compose, preview, send,
schedule and cancel announcements. The draft lives in the database, step by step."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update

from bot.context import MagnetContext
from bot.delivery.report import render_progress, render_report
from bot.domain import LANGUAGES, MUNICIPALITIES, TOPICS, Role, label_of
from bot.i18n import Translator
from bot.services.announcements import (
    MAX_CAPTION,
    MAX_TEXT,
    AnnouncementError,
    AnnouncementView,
    Audience,
    Compose,
    plain_length,
    plain_text,
)
from bot.timeparse import parse_local_datetime
from handlers import screens
from handlers.codec import decode, encode
from handlers.common import answer, bold, escape, keyboard, requires_role, send, show, stale_button

log = logging.getLogger(__name__)

TEXT_STEPS = {Compose.TEXT_SL, Compose.TEXT_EN, Compose.SCHEDULE}


def audience_label(tr: Translator, announcement: AnnouncementView) -> str:
    values = announcement.audience_values
    if announcement.audience == Audience.ALL:
        return tr.gettext("everyone")
    if announcement.audience == Audience.MUNICIPALITY:
        names = [tr.gettext(label_of(MUNICIPALITIES, v) or v) for v in values]
        return tr.gettext("municipality: %(values)s") % {"values": ", ".join(names)}
    if announcement.audience == Audience.TOPIC:
        names = [tr.gettext(label_of(TOPICS, v) or v) for v in values]
        return tr.gettext("topics: %(values)s") % {"values": ", ".join(names)}
    names = [label_of(LANGUAGES, v) or v for v in values]
    return tr.gettext("language: %(values)s") % {"values": ", ".join(names)}


def _value_choices(audience: Audience) -> list[tuple[str, str]]:
    if audience == Audience.MUNICIPALITY:
        return [(c.code, c.label) for c in MUNICIPALITIES]
    if audience == Audience.TOPIC:
        return [(c.code, c.label) for c in TOPICS]
    return [(c.code, c.label) for c in LANGUAGES]


async def prompt(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    """Ask for whatever the draft needs next."""
    tr, aid = context.tr, draft.id
    step = draft.step
    discard = (tr.gettext("✖ Discard"), encode("ann", "discard", aid))
    if step == Compose.TEXT_SL:
        text = tr.gettext("📝 New announcement. Send me its text in Slovenian.")
        await send(update, escape(text), keyboard([[discard]]))
    elif step == Compose.TEXT_EN:
        text = tr.gettext("Now the text in English, or press the button if it is the same.")
        same = (tr.gettext("Same text for both languages"), encode("ann", "same", aid))
        await send(update, escape(text), keyboard([[same], [discard]]))
    elif step == Compose.PHOTO:
        text = tr.gettext("Add a photo? Send it now, or skip.")
        skip = (tr.gettext("Skip the photo"), encode("ann", "nophoto", aid))
        await send(update, escape(text), keyboard([[skip], [discard]]))
    elif step == Compose.AUDIENCE:
        rows = [
            [(tr.gettext("Everyone"), encode("ann", "aud", aid, Audience.ALL.value))],
            [
                (
                    tr.gettext("By municipality"),
                    encode("ann", "aud", aid, Audience.MUNICIPALITY.value),
                )
            ],
            [(tr.gettext("By topic"), encode("ann", "aud", aid, Audience.TOPIC.value))],
            [(tr.gettext("By language"), encode("ann", "aud", aid, Audience.LANGUAGE.value))],
            [discard],
        ]
        await show(update, escape(tr.gettext("Who should receive it?")), keyboard(rows))
    elif step == Compose.AUDIENCE_VALUES:
        chosen = set(draft.audience_values)
        rows = [
            [
                (
                    ("✅ " if code in chosen else "▫️ ") + tr.gettext(label),
                    encode("ann", "val", aid, code),
                )
            ]
            for code, label in _value_choices(draft.audience)
        ]
        rows += [[(tr.gettext("Done ✔"), encode("ann", "vals", aid))], [discard]]
        text = tr.gettext("Choose who should receive it, then press Done.")
        await show(update, escape(text), keyboard(rows))
    elif step == Compose.URGENCY:
        quiet = context.services.settings.quiet_hours
        text = tr.gettext("Should it also go out during quiet hours (%(hours)s)?") % {
            "hours": quiet
        }
        rows = [
            [(tr.gettext("No, wait for the morning"), encode("ann", "urgent", aid, 0))],
            [(tr.gettext("Yes, it is urgent"), encode("ann", "urgent", aid, 1))],
            [discard],
        ]
        await show(update, escape(text), keyboard(rows))
    elif step == Compose.PREVIEW:
        await _preview(update, context, draft)
    elif step == Compose.SCHEDULE:
        text = tr.gettext("When should it go out? Send a date and time, for example %(example)s.")
        await send(update, escape(text % {"example": "24. 11. 18:00"}), keyboard([[discard]]))


async def _preview(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    tr, service = context.tr, context.services.announcements
    for locale, header in (
        ("sl", tr.gettext("Preview: residents reading in Slovenian will see this:")),
        ("en", tr.gettext("Preview: residents reading in English will see this:")),
    ):
        await send(update, f"<i>{escape(header)}</i>")
        body = service.render(draft, locale)
        chat = update.effective_chat
        assert chat is not None
        if draft.photo_file_id:
            await chat.send_photo(draft.photo_file_id, caption=body)
        else:
            await chat.send_message(body)
    recipients = await service.recipients(draft)
    by_locale = {loc: sum(1 for r in recipients if r.locale == loc) for loc in ("sl", "en")}
    count = tr.ngettext("%(count)d resident", "%(count)d residents", len(recipients)) % {
        "count": len(recipients)
    }
    lines = [
        bold(tr.gettext("Ready to send")),
        escape(tr.gettext("Audience: %(audience)s") % {"audience": audience_label(tr, draft)}),
        escape(
            tr.gettext("Recipients: %(count)s (Slovenian %(sl)d, English %(en)d)")
            % {"count": count, "sl": by_locale["sl"], "en": by_locale["en"]}
        ),
        escape(
            tr.gettext("Urgent: also during quiet hours")
            if draft.urgent
            else tr.gettext("Not urgent: waits for the morning during quiet hours")
        ),
    ]
    rows = [
        [(tr.gettext("📣 Send now"), encode("ann", "send", draft.id))],
        [(tr.gettext("🕒 Schedule"), encode("ann", "later", draft.id))],
        [(tr.gettext("✖ Discard"), encode("ann", "discard", draft.id))],
    ]
    await send(update, "\n".join(lines), keyboard(rows))


@requires_role(Role.COORDINATOR)
async def start_announcement(update: Update, context: MagnetContext) -> None:
    resident = context.resident
    assert resident is not None
    draft, new = await context.services.announcements.start(resident.telegram_id, context.tr.locale)
    if not new:
        await send(
            update,
            escape(context.tr.gettext("You have an unfinished announcement; let's continue it.")),
        )
    await prompt(update, context, draft)


async def takes_text(update: Update, context: MagnetContext) -> bool:
    """A coordinator whose draft waits for typed input."""
    resident = context.resident
    if resident is None or not resident.has_role(Role.COORDINATOR):
        return False
    draft = await context.services.announcements.draft(resident.telegram_id)
    return draft is not None


async def compose_text(update: Update, context: MagnetContext) -> None:
    resident, message = context.resident, update.effective_message
    assert resident is not None and message is not None and message.text is not None
    service, tr = context.services.announcements, context.tr
    draft = await service.draft(resident.telegram_id)
    if draft is None:
        return
    if draft.step not in TEXT_STEPS:
        await send(update, escape(tr.gettext("Please choose one of the options below.")))
        await prompt(update, context, draft)
        return
    if draft.step == Compose.SCHEDULE:
        await _schedule_at(update, context, draft, message.text)
        return
    limit = MAX_TEXT - service.footer_length()
    length = plain_length(message.text_html)
    if length > limit:
        text = tr.gettext(
            "The text can be at most %(limit)d characters long; yours has %(length)d. "
            "Please send a shorter one."
        ) % {"limit": limit, "length": length}
        await send(update, escape(text))
        return
    if draft.step == Compose.TEXT_SL:
        draft = await service.update_draft(
            resident.telegram_id,
            draft.id,
            {Compose.TEXT_SL},
            text_sl=message.text_html,
            step=Compose.TEXT_EN,
        )
    else:
        draft = await service.update_draft(
            resident.telegram_id,
            draft.id,
            {Compose.TEXT_EN},
            text_en=message.text_html,
            step=Compose.PHOTO,
        )
    await prompt(update, context, draft)


async def takes_photo(update: Update, context: MagnetContext) -> bool:
    message = update.effective_message
    return bool(message and message.photo) and await takes_text(update, context)


async def compose_photo(update: Update, context: MagnetContext) -> None:
    resident, message = context.resident, update.effective_message
    assert resident is not None and message is not None
    service, tr = context.services.announcements, context.tr
    draft = await service.draft(resident.telegram_id)
    if draft is None:
        return
    if draft.step != Compose.PHOTO:
        await send(update, escape(tr.gettext("Please choose one of the options below.")))
        await prompt(update, context, draft)
        return
    limit = MAX_CAPTION - service.footer_length()
    longest = max(plain_length(draft.text_sl or ""), plain_length(draft.text_en or ""))
    if longest > limit:
        text = tr.gettext(
            "With a photo, each text can be at most %(limit)d characters long; yours has "
            "%(length)d. Skip the photo, or discard and start again with a shorter text."
        ) % {"limit": limit, "length": longest}
        await send(update, escape(text))
        await prompt(update, context, draft)
        return
    photo = message.photo[-1]  # the largest size
    draft = await service.update_draft(
        resident.telegram_id,
        draft.id,
        {Compose.PHOTO},
        photo_file_id=photo.file_id,
        step=Compose.AUDIENCE,
    )
    await prompt(update, context, draft)


async def _schedule_at(
    update: Update, context: MagnetContext, draft: AnnouncementView, text: str
) -> None:
    tr, settings = context.tr, context.services.settings
    now = datetime.now(UTC)
    when = parse_local_datetime(text, now, settings.tz)
    if when is None:
        message = tr.gettext(
            "I couldn't read that as a date and time. Please write it like %(example)s."
        )
        await send(update, escape(message % {"example": "24. 11. 18:00"}))
        return
    if when <= now:
        await send(
            update,
            escape(
                tr.gettext("That moment has already passed. Please choose a time in the future.")
            ),
        )
        return
    assert context.resident is not None
    scheduled = await context.services.announcements.schedule(
        context.resident.telegram_id, draft.id, when
    )
    assert scheduled.scheduled_at is not None
    done = tr.gettext(
        "🕒 Announcement #%(id)d is scheduled for %(when)s. %(list)s shows it and can cancel it."
    ) % {
        "id": scheduled.id,
        "when": tr.when(scheduled.scheduled_at),
        "list": screens.command(tr, "announcements"),
    }
    await send(update, escape(done))


@requires_role(Role.COORDINATOR)
async def announcement_button(update: Update, context: MagnetContext) -> None:
    callback = decode(update.callback_query.data if update.callback_query else None)
    resident = context.resident
    assert resident is not None
    if callback is None or not (callback.arg(0) or "").isdigit():
        await stale_button(update, context, "undecodable announcement button")
        return
    aid, value = int(callback.arg(0) or 0), callback.arg(1)
    service, tr, author = context.services.announcements, context.tr, resident.telegram_id
    try:
        if callback.action == "cancel":
            await _cancel(update, context, aid)
            return
        if callback.action == "discard":
            if not await service.discard(author, aid):
                raise AnnouncementError("no such draft")
            await answer(update)
            await show(update, escape(tr.gettext("The announcement is discarded.")))
            return
        draft = await _advance(context, author, aid, callback.action, value)
    except AnnouncementError as exc:
        await stale_button(update, context, f"announcement {aid}: {exc}")
        return
    if draft is None:
        return
    if callback.action == "send":
        await answer(update)
        await _send_now(update, context, draft)
        return
    if callback.action == "vals" and not draft.audience_values:
        await answer(update, tr.gettext("Choose at least one."), alert=True)
        return
    await answer(update)
    await prompt(update, context, draft)


async def _advance(
    context: MagnetContext, author: int, aid: int, action: str, value: str | None
) -> AnnouncementView | None:
    service = context.services.announcements
    if action == "same":
        draft = await service.draft(author)
        text = draft.text_sl if draft else None
        return await service.update_draft(
            author, aid, {Compose.TEXT_EN}, text_en=text, step=Compose.PHOTO
        )
    if action == "nophoto":
        return await service.update_draft(
            author, aid, {Compose.PHOTO}, photo_file_id=None, step=Compose.AUDIENCE
        )
    if action == "aud" and value in {a.value for a in Audience}:
        audience = Audience(value or "all")
        step = Compose.URGENCY if audience == Audience.ALL else Compose.AUDIENCE_VALUES
        return await service.update_draft(
            author, aid, {Compose.AUDIENCE}, audience_kind=audience, audience_values=[], step=step
        )
    if action == "val" and value is not None:
        return await service.toggle_value(author, aid, value)
    if action == "vals":
        draft = await service.draft(author)
        if draft is None or draft.id != aid or draft.step != Compose.AUDIENCE_VALUES:
            raise AnnouncementError("not choosing values")
        if not draft.audience_values:
            return draft
        return await service.update_draft(
            author, aid, {Compose.AUDIENCE_VALUES}, step=Compose.URGENCY
        )
    if action == "urgent" and value in ("0", "1"):
        return await service.update_draft(
            author, aid, {Compose.URGENCY}, urgent=value == "1", step=Compose.PREVIEW
        )
    if action == "later":
        return await service.update_draft(author, aid, {Compose.PREVIEW}, step=Compose.SCHEDULE)
    if action == "send":
        draft = await service.draft(author)
        if draft is None or draft.id != aid or draft.step != Compose.PREVIEW:
            raise AnnouncementError("not ready to send")
        return draft
    raise AnnouncementError(f"unknown action {action}")


async def _send_now(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    tr, service = context.tr, context.services.announcements
    query = update.callback_query
    assert query is not None and query.message is not None and context.resident is not None
    chat_id, message_id = query.message.chat.id, query.message.message_id
    count = await service.dispatch(context.resident.telegram_id, draft.id, chat_id, message_id)
    context.services.delivery_engine.wake()
    progress = await service.progress(draft.id)
    assert progress is not None
    text = render_report(tr, progress) if count == 0 else render_progress(tr, progress, None)
    await show(update, text)


async def _cancel(update: Update, context: MagnetContext, aid: int) -> None:
    tr, service = context.tr, context.services.announcements
    assert context.resident is not None
    try:
        cancelled = await service.cancel(context.resident.telegram_id, aid)
    except AnnouncementError:
        await answer(
            update, tr.gettext("This announcement can no longer be cancelled."), alert=True
        )
        return
    await answer(update, tr.gettext("Cancelled."))
    progress = await service.progress(cancelled.id)
    assert progress is not None and context.services.scheduler is not None
    await context.services.scheduler.show(progress, final=True)
    await list_announcements(update, context)


@requires_role(Role.COORDINATOR)
async def list_announcements(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    active = await context.services.announcements.active()
    if not active:
        await show(update, escape(tr.gettext("There are no scheduled or running announcements.")))
        return
    lines = [bold(tr.gettext("Scheduled and running announcements"))]
    rows = []
    for item in active:
        if item.status == "scheduled" and item.scheduled_at is not None:
            state = tr.gettext("scheduled for %(when)s") % {"when": tr.when(item.scheduled_at)}
        else:
            state = tr.gettext("sending now")
        preview = (item.text(tr.locale) or "").replace("\n", " ")
        lines.append(escape(f"#{item.id} · {state} · {audience_label(tr, item)}"))
        lines.append(f"<i>{escape(_shorten(plain_text(preview), 80))}</i>")
        label = tr.gettext("✖ Cancel #%(id)d") % {"id": item.id}
        rows.append([(label, encode("ann", "cancel", item.id))])
    await show(update, "\n".join(lines), keyboard(rows))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
