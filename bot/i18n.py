"""Translations: catalogs loaded once, a Translator handed out per locale (no global locale)."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.config import SUPPORTED_LOCALES

DOMAIN = "messages"


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


def resolve_locale(chosen: str | None, telegram_code: str | None, default: str = "sl") -> str:
    """The resident's choice wins; else Telegram's language: Slovenian stays, the rest is English."""
    if chosen in SUPPORTED_LOCALES:
        return chosen
    if telegram_code:
        return "sl" if telegram_code.lower().split("-")[0] == "sl" else "en"
    return default


def _load(locale: str, directory: Path) -> Translations:
    """Prefer a compiled .mo that is newer than its .po; otherwise compile it, and keep the
    .mo beside the .po where that may be written (as Python keeps its .pyc): reading a .po
    is most of a start's time without it."""
    base = directory / locale / "LC_MESSAGES"
    po_path, mo_path = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    _keep(mo_path, buffer.getvalue())
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _keep(mo_path: Path, data: bytes) -> None:
    """Write the compiled catalog atomically (other processes may be starting too)."""
    partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
    try:
        partial.write_bytes(data)
        os.replace(partial, mo_path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()


# After "v", as an adverbial of time: v ponedeljek, v sredo, v soboto, v nedeljo.
SL_WEEKDAYS_ACCUSATIVE = (
    "ponedeljek",
    "torek",
    "sredo",
    "četrtek",
    "petek",
    "soboto",
    "nedeljo",
)
SL_MONTHS_GENITIVE = (
    "januarja",
    "februarja",
    "marca",
    "aprila",
    "maja",
    "junija",
    "julija",
    "avgusta",
    "septembra",
    "oktobra",
    "novembra",
    "decembra",
)


@dataclass(frozen=True)
class Translator:
    """Everything locale-specific a handler needs: messages, plurals, dates in the town's zone."""

    locale: str
    translations: Translations
    tz: ZoneInfo
    # Parsed once, its CLDR data loaded at start: parsing the code on every date costs
    # tenfold, and the first load of the data took a resident's update 0.2 s.
    cldr: Locale = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cldr = Locale.parse(self.locale)
        _ = cldr.date_formats, cldr.time_formats, cldr.datetime_formats, cldr.number_symbols
        object.__setattr__(self, "cldr", cldr)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        """A msgid that reads differently by where it is shown (`msgctxt`)."""
        return self.translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.translations.npgettext(context, singular, plural, n)

    def datetime(self, value: datetime, fmt: str = "medium") -> str:
        return format_datetime(value, fmt, tzinfo=self.tz, locale=self.cldr)

    def date(self, value: date | datetime, fmt: str = "long") -> str:
        """A date inside a sentence. Slovenian puts it in the genitive (*1. decembra 2026*,
        *od 1. decembra*), which CLDR cannot: its Slovenian month names are nominative only."""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        if self.locale == "sl" and fmt == "long":
            return f"{value.day}. {SL_MONTHS_GENITIVE[value.month - 1]} {value.year}"
        return format_date(value, fmt, locale=self.cldr)

    def day(self, value: date | datetime) -> str:
        """The day of an event, with its weekday: *v četrtek, 3. decembra 2026* (the weekday in
        the accusative after *v*, as an adverbial of time), *Thursday, 3 December 2026*."""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        if self.locale == "sl":
            return f"v {SL_WEEKDAYS_ACCUSATIVE[value.weekday()]}, {self.date(value)}"
        return format_date(value, "full", locale=self.cldr)

    def time(self, value: datetime, fmt: str = "short") -> str:
        """A time of day: *17.00* and *9.00* in Slovenian (the SP norm), 5:00 PM in English."""
        if self.locale == "sl" and fmt == "short":
            local = value.astimezone(self.tz)
            return f"{local.hour}.{local.minute:02d}"
        return format_time(value, fmt, tzinfo=self.tz, locale=self.cldr)

    def decimal(self, value: float, pattern: str = "0.0") -> str:
        """A number as the resident writes it: 2,5 in Slovenian, 2.5 in English."""
        return format_decimal(value, pattern, locale=self.cldr)

    def when(self, value: datetime) -> str:
        """A moment as people write it: "22. novembra 2026 ob 15.30", "22 November 2026 at 3:30 PM"."""
        return self.gettext("%(date)s at %(time)s") % {
            "date": self.date(value, "long"),
            "time": self.time(value),
        }

    @property
    def language_name(self) -> str:
        return self.cldr.get_display_name(self.cldr) or self.locale


class I18n:
    def __init__(self, tz: ZoneInfo, default_locale: str = "sl", directory: Path | None = None):
        directory = directory or locales_dir()
        self.default_locale = default_locale
        self._translators = {
            locale: Translator(locale, _load(locale, directory), tz) for locale in SUPPORTED_LOCALES
        }

    def get(self, locale: str | None) -> Translator:
        return (
            self._translators.get(locale or self.default_locale)
            or self._translators[self.default_locale]
        )

    def resolve(self, chosen: str | None, telegram_code: str | None) -> Translator:
        return self.get(resolve_locale(chosen, telegram_code, self.default_locale))
