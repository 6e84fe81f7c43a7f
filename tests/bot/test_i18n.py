"""Catalogs: complete, not fuzzy, up to date with the code; Slovenian plurals; dates in Ljubljana."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import I18n, resolve_locale
from bot.i18n_tools import check_catalogs, read_catalog


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n(ZoneInfo("Europe/Ljubljana"))


def test_catalogs_are_complete_current_and_not_fuzzy() -> None:
    assert check_catalogs() == []


def test_the_check_catches_untranslated_and_fuzzy_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.i18n_tools as tools

    real = tools.read_catalog

    def damaged(locale: str):  # type: ignore[no-untyped-def]
        catalog = real(locale)
        if locale == "sl":
            catalog["Where do you live?"].string = ""
            catalog["How old are you?"].flags.add("fuzzy")
        return catalog

    monkeypatch.setattr(tools, "read_catalog", damaged)
    problems = tools.check_catalogs()
    assert "sl: untranslated: 'Where do you live?'" in problems
    assert "sl: fuzzy: 'How old are you?'" in problems


def test_slovenian_has_four_plural_forms() -> None:
    catalog = read_catalog("sl")
    assert catalog.num_plurals == 4


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "Spremljate 1 temo: x."),
        (2, "Spremljate 2 temi: x."),
        (3, "Spremljate 3 teme: x."),
        (4, "Spremljate 4 teme: x."),
        (5, "Spremljate 5 tem: x."),
        (101, "Spremljate 101 temo: x."),
        (102, "Spremljate 102 temi: x."),
        (111, "Spremljate 111 tem: x."),
    ],
)
def test_slovenian_plurals(i18n: I18n, n: int, expected: str) -> None:
    tr = i18n.get("sl")
    text = tr.ngettext(
        "You follow %(count)d topic: %(topics)s.", "You follow %(count)d topics: %(topics)s.", n
    ) % {"count": n, "topics": "x"}
    assert text == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 oseba ima vlogo:"),
        (2, "2 osebi imata vlogo:"),
        (3, "3 osebe imajo vlogo:"),
        (5, "5 oseb ima vlogo:"),
        (101, "101 oseba ima vlogo:"),
        (111, "111 oseb ima vlogo:"),
    ],
)
def test_slovenian_plurals_for_people(i18n: I18n, n: int, expected: str) -> None:
    tr = i18n.get("sl")
    text = tr.ngettext("%(count)d person has a role:", "%(count)d people have a role:", n)
    assert text % {"count": n} == expected


def test_english_plurals(i18n: I18n) -> None:
    tr = i18n.get("en")
    assert (
        tr.ngettext("%(count)d person has a role:", "%(count)d people have a role:", 1)
        % {"count": 1}
        == "1 person has a role:"
    )
    assert (
        tr.ngettext("%(count)d person has a role:", "%(count)d people have a role:", 2)
        % {"count": 2}
        == "2 people have a role:"
    )


def test_every_plural_entry_is_complete_in_slovenian() -> None:
    plural = [m for m in read_catalog("sl") if isinstance(m.id, tuple)]
    assert plural and all(len(m.string) == 4 and all(m.string) for m in plural)


def test_dates_are_in_ljubljana_time_and_the_residents_language(i18n: I18n) -> None:
    late = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 July in Ljubljana (CEST)
    assert i18n.get("sl").when(late) == "1. julija 2026 ob 0.30"
    assert i18n.get("en").when(late) == "July 1, 2026 at 12:30\u202fAM"
    winter = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)  # CET, one hour ahead
    assert i18n.get("sl").when(winter) == "24. decembra 2026 ob 18.00"


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        (None, "sl", "sl"),
        (None, "SL", "sl"),
        (None, "sl-SI", "sl"),
        (None, "en", "en"),
        (None, "de", "en"),
        (None, "hr", "en"),
        (None, None, "sl"),
        ("en", "sl", "en"),
        ("sl", "en", "sl"),
        ("fr", "en", "en"),
    ],
)
def test_locale_resolution(chosen: str | None, telegram: str | None, expected: str) -> None:
    assert resolve_locale(chosen, telegram, "sl") == expected


def test_no_gettext_inside_f_strings() -> None:
    """Babel cannot extract from f-strings on Python 3.11, so such a string is never translated."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*root.joinpath("bot").rglob("*.py"), *root.joinpath("handlers").rglob("*.py")]:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                func = getattr(inner, "func", None)
                name = getattr(func, "attr", None) or getattr(func, "id", None)
                if isinstance(inner, ast.Call) and name in {"gettext", "ngettext", "_"}:
                    offenders.append(f"{path.relative_to(root)}:{inner.lineno}")
    assert offenders == []


def test_slovenian_dates_in_sentences_are_genitive_and_times_use_a_period() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.i18n import I18n

    i18n = I18n(ZoneInfo("Europe/Ljubljana"))
    sl, en = i18n.get("sl"), i18n.get("en")
    winter = datetime(2026, 12, 1, 8, 5, tzinfo=UTC)  # 9.05 in Ljubljana
    assert sl.when(winter) == "1. decembra 2026 ob 9.05"
    assert sl.date(datetime(2027, 3, 14, 12, tzinfo=UTC)) == "14. marca 2027"
    assert sl.time(datetime(2027, 7, 1, 15, 0, tzinfo=UTC)) == "17.00"  # summer time
    assert en.when(winter) == "December 1, 2026 at 9:05\u202fAM"


def test_an_events_day_names_its_weekday_in_the_accusative_after_v() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.i18n import I18n

    i18n = I18n(ZoneInfo("Europe/Ljubljana"))
    sl, en = i18n.get("sl"), i18n.get("en")
    days = [sl.day(datetime(2026, 12, d, 12, tzinfo=UTC)) for d in range(7, 14)]
    assert days == [
        "v ponedeljek, 7. decembra 2026",
        "v torek, 8. decembra 2026",
        "v sredo, 9. decembra 2026",
        "v četrtek, 10. decembra 2026",
        "v petek, 11. decembra 2026",
        "v soboto, 12. decembra 2026",
        "v nedeljo, 13. decembra 2026",
    ]
    # Late on Sunday in UTC is already Monday in Ljubljana.
    assert sl.day(datetime(2026, 12, 13, 23, 30, tzinfo=UTC)).startswith("v ponedeljek")
    assert en.day(datetime(2026, 12, 10, 12, tzinfo=UTC)) == "Thursday, December 10, 2026"
