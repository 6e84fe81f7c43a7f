"""The translation workflow: extract -> update -> translate -> check -> compile (Babel's API)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.config import SUPPORTED_LOCALES
from bot.i18n import DOMAIN, locales_dir

SOURCE_DIRS = ("bot", "handlers")
KEYWORDS = {
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "_": None,
}
PROJECT = "magnet-bot"
WIDTH = 100


def project_root() -> Path:
    return locales_dir().parent


def extract_template(root: Path | None = None) -> Catalog:
    root = root or project_root()
    template = Catalog(project=PROJECT, msgid_bugs_address="", fuzzy=False)
    for directory in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            root / directory,
            method_map=[
                ("emulator/**.py", "ignore"),
                ("**.py", "python"),
                ("dashboard/templates/**.html", "jinja2"),
            ],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
        ):
            template.add(
                message,
                None,
                [(f"{directory}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def _po_path(locale: str) -> Path:
    return locales_dir() / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    with _po_path(locale).open("rb") as fp:
        return read_po(fp, locale=locale, domain=DOMAIN)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # File names without line numbers: a translator still sees where a message is used, and
    # an edit elsewhere in a file does not rewrite every location below it.
    write_po(
        buffer, catalog, width=WIDTH, omit_header=False, sort_output=False, include_lineno=False
    )
    path.write_bytes(buffer.getvalue())


def update_catalogs() -> dict[str, int]:
    """Write messages.pot and merge it into every locale; English copies its msgids."""
    template = extract_template()
    _write(template, locales_dir() / f"{DOMAIN}.pot")
    untranslated: dict[str, int] = {}
    for locale in SUPPORTED_LOCALES:
        path = _po_path(locale)
        if path.exists():
            catalog = read_catalog(locale)
        else:
            catalog = Catalog(locale=locale, project=PROJECT, domain=DOMAIN, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.revision_date = datetime.now(UTC)
        if locale == "en":
            for message in catalog:
                if (message.id and not message.string) or (
                    isinstance(message.string, tuple) and not any(message.string)
                ):
                    message.string = (
                        tuple(message.id) if isinstance(message.id, tuple) else message.id
                    )
        _write(catalog, path)
        untranslated[locale] = sum(1 for m in catalog if m.id and not _translated(m))
    return untranslated


def _translated(message) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(message.string, tuple):
        return all(message.string)
    return bool(message.string)


def check_catalogs() -> list[str]:
    """One line per problem: stale catalogs, untranslated or fuzzy entries."""
    problems: list[str] = []
    wanted = {m.id for m in extract_template() if m.id}
    for locale in SUPPORTED_LOCALES:
        catalog = read_catalog(locale)
        have = {m.id for m in catalog if m.id}
        for missing in sorted(map(str, wanted - have)):
            problems.append(
                f"{locale}: not in the catalog (run `magnet-bot i18n update`): {missing!r}"
            )
        for extra in sorted(map(str, have - wanted)):
            problems.append(f"{locale}: no longer used in the code: {extra!r}")
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy:
                problems.append(f"{locale}: fuzzy: {message.id!r}")
            if not _translated(message):
                problems.append(f"{locale}: untranslated: {message.id!r}")
            if isinstance(message.id, tuple) and len(message.string) != catalog.num_plurals:
                problems.append(
                    f"{locale}: {len(message.string)} plural forms, want {catalog.num_plurals}: "
                    f"{message.id[0]!r}"
                )
    return problems


def compile_catalogs() -> list[Path]:
    written = []
    for locale in SUPPORTED_LOCALES:
        catalog = read_catalog(locale)
        path = _po_path(locale).with_suffix(".mo")
        with path.open("wb") as fp:
            write_mo(fp, catalog)
        written.append(path)
    return written
