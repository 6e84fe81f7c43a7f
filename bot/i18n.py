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

from bot.profile import FALLBACK, Profile, load_profile

DOMAIN = "messages"
SHIPPED_LOCALES = ("sl", "en")


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


def resolve_locale(
    chosen: str | None,
    telegram_code: str | None,
    default: str = "sl",
    languages: tuple[str, ...] = SHIPPED_LOCALES,
) -> str:
    """The resident's choice wins; else Telegram's language if the town offers it, the rest
    English (the fallback every town offers); with no language at all, the town's default."""
    if chosen in languages:
        return chosen
    if telegram_code:
        base = telegram_code.lower().replace("_", "-").split("-")[0]
        return base if base in languages else FALLBACK
    return default


def catalog_path(locale: str, directories: tuple[Path, ...]) -> Path | None:
    """The first directory holding a catalog for `locale` (a town's own before the shipped)."""
    for directory in directories:
        base = directory / locale / "LC_MESSAGES"
        if (base / f"{DOMAIN}.po").exists() or (base / f"{DOMAIN}.mo").exists():
            return directory
    return None


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
        # With the locale given, a catalog without a Plural-Forms header gets Babel's (CLDR) rule.
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
    # The town's vocabulary (municipalities, topics, its own sentences), labelled per language.
    town: Profile = field(default_factory=load_profile, repr=False, compare=False)
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

    def name_of_language(self, code: str) -> str:
        """A language named in the reader's language, inside a sentence ("slovenščina")."""
        try:
            return Locale.parse(code).get_display_name(self.cldr) or code
        except (ValueError, LookupError):
            return code


def native_name(code: str) -> str:
    """On buttons each language is named in itself, so a resident finds their own."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


class I18n:
    """A translator per language the town offers; a language without a catalog is an error
    at start, since the profile promised it."""

    def __init__(
        self,
        tz: ZoneInfo,
        default_locale: str | None = None,
        directory: Path | None = None,
        profile: Profile | None = None,
    ):
        self.profile = profile or load_profile()
        self.default_locale = default_locale or self.profile.default_language
        self.languages = self.profile.languages
        if self.default_locale not in self.languages:
            raise ValueError(f"the default language {self.default_locale!r} is not offered")
        extra = self.profile.catalogs_dir
        directories = tuple(d for d in (extra, directory or locales_dir()) if d is not None)
        self._translators = {}
        for locale in self.languages:
            found = catalog_path(locale, directories)
            if found is None:
                raise ValueError(
                    f"no catalog for {locale!r} (add {locale}/LC_MESSAGES/{DOMAIN}.po)"
                )
            translations = _load(locale, found)
            self._translators[locale] = Translator(locale, translations, tz, self.profile)

    def get(self, locale: str | None) -> Translator:
        return (
            self._translators.get(locale or self.default_locale)
            or self._translators[self.default_locale]
        )

    def locale_for(self, chosen: str | None, telegram_code: str | None) -> str:
        return resolve_locale(chosen, telegram_code, self.default_locale, self.languages)

    def resolve(self, chosen: str | None, telegram_code: str | None) -> Translator:
        return self.get(self.locale_for(chosen, telegram_code))
