"""What the survey feature sends on its own, worded without Telegram: the invitation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.codec import NS, decode
from bot.i18n import I18n
from bot.services.surveys.notices import invitation

I18N = I18n(ZoneInfo("Europe/Ljubljana"), "sl")


def test_the_invitation_in_each_language_opens_the_survey_intro() -> None:
    for locale, start in (("sl", "📝 Začni anketo"), ("en", "📝 Start the survey")):
        notice = invitation(I18N.get(locale))
        assert notice.reply_markup is not None
        ((button,),) = notice.reply_markup["inline_keyboard"]
        assert button["text"] == start
        callback = decode(button["callback_data"])
        assert callback is not None and (callback.ns, callback.action) == (NS.SURVEY, "intro")
    english = invitation(I18N.get("en")).text
    assert english.startswith("📝 A new round of the survey “Stay or leave?” is open.")
