"""What a coordinator sees while composing an announcement, step by step."""

from __future__ import annotations

from telegram import Update

from bot.codec import NS, encode
from bot.context import MagnetContext
from bot.domain import LANGUAGES, MUNICIPALITIES, TOPICS, label_of
from bot.i18n import Translator
from bot.services.announcements.service import AnnouncementView, Audience, Compose
from handlers.common import bold, escape, keyboard, send, show


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
    if announcement.audience == Audience.LAB:
        return tr.gettext("participants of labs %(values)s") % {
            "values": ", ".join(f"#{v}" for v in values)
        }
    names = [label_of(LANGUAGES, v) or v for v in values]
    return tr.gettext("language: %(values)s") % {"values": ", ".join(names)}


async def _value_choices(context: MagnetContext, audience: Audience) -> list[tuple[str, str]]:
    """(code, label already translated) for each value of the audience."""
    tr = context.tr
    if audience == Audience.MUNICIPALITY:
        return [(c.code, tr.gettext(c.label)) for c in MUNICIPALITIES]
    if audience == Audience.TOPIC:
        return [(c.code, tr.gettext(c.label)) for c in TOPICS]
    if audience == Audience.LAB:
        labs = await context.services.announcements.audience_labs()
        return [
            (str(i), f"#{i} {sl if tr.locale == 'sl' else en} ({tr.date(at, 'short')})")
            for i, sl, en, at in labs
        ]
    return [(c.code, c.label) for c in LANGUAGES]


async def prompt(update: Update, context: MagnetContext, draft: AnnouncementView) -> None:
    """Ask for whatever the draft needs next."""
    tr, aid = context.tr, draft.id
    step = draft.step
    discard = (tr.gettext("✖ Discard"), encode(NS.ANNOUNCE, "discard", aid))
    if step == Compose.TEXT_SL:
        text = tr.gettext("📝 New announcement. Send me its text in Slovenian.")
        await send(update, escape(text), keyboard([[discard]]))
    elif step == Compose.TEXT_EN:
        text = tr.gettext("Now the text in English, or press the button if it is the same.")
        same = (tr.gettext("Same text for both languages"), encode(NS.ANNOUNCE, "same", aid))
        await send(update, escape(text), keyboard([[same], [discard]]))
    elif step == Compose.PHOTO:
        text = tr.gettext("Add a photo? Send it now, or skip.")
        skip = (tr.gettext("Skip the photo"), encode(NS.ANNOUNCE, "nophoto", aid))
        await send(update, escape(text), keyboard([[skip], [discard]]))
    elif step == Compose.AUDIENCE:
        rows = [
            [(tr.gettext("Everyone"), encode(NS.ANNOUNCE, "aud", aid, Audience.ALL.value))],
            [
                (
                    tr.gettext("By municipality"),
                    encode(NS.ANNOUNCE, "aud", aid, Audience.MUNICIPALITY.value),
                )
            ],
            [(tr.gettext("By topic"), encode(NS.ANNOUNCE, "aud", aid, Audience.TOPIC.value))],
            [(tr.gettext("By language"), encode(NS.ANNOUNCE, "aud", aid, Audience.LANGUAGE.value))],
            [
                (
                    tr.gettext("Participants of a lab"),
                    encode(NS.ANNOUNCE, "aud", aid, Audience.LAB.value),
                )
            ],
            [discard],
        ]
        await show(update, escape(tr.gettext("Who should receive it?")), keyboard(rows))
    elif step == Compose.AUDIENCE_VALUES:
        chosen = set(draft.audience_values)
        choices = await _value_choices(context, draft.audience)
        if not choices:
            empty = tr.gettext("There are no labs to choose from. Choose another audience.")
            back = (tr.gettext("« Back"), encode(NS.ANNOUNCE, "audback", aid))
            await show(update, escape(empty), keyboard([[back], [discard]]))
            return
        rows = [
            [
                (
                    ("✅ " if code in chosen else "▫️ ") + label,
                    encode(NS.ANNOUNCE, "val", aid, code),
                )
            ]
            for code, label in choices
        ]
        rows += [[(tr.gettext("Done ✔"), encode(NS.ANNOUNCE, "vals", aid))], [discard]]
        text = tr.gettext("Choose who should receive it, then press Done.")
        await show(update, escape(text), keyboard(rows))
    elif step == Compose.URGENCY:
        quiet = context.services.settings.quiet_hours
        text = tr.gettext("Should it also go out during quiet hours (%(hours)s)?") % {
            "hours": quiet
        }
        rows = [
            [(tr.gettext("No, wait for the morning"), encode(NS.ANNOUNCE, "urgent", aid, 0))],
            [(tr.gettext("Yes, it is urgent"), encode(NS.ANNOUNCE, "urgent", aid, 1))],
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
    ]
    if context.services.settings.quiet_hours.strip():
        lines.append(
            escape(
                tr.gettext("Urgent: also during quiet hours")
                if draft.urgent
                else tr.gettext("Not urgent: waits for the morning during quiet hours")
            )
        )
    rows = [
        [(tr.gettext("📣 Send now"), encode(NS.ANNOUNCE, "send", draft.id))],
        [(tr.gettext("🕒 Schedule"), encode(NS.ANNOUNCE, "later", draft.id))],
        [(tr.gettext("✖ Discard"), encode(NS.ANNOUNCE, "discard", draft.id))],
    ]
    await send(update, "\n".join(lines), keyboard(rows))
