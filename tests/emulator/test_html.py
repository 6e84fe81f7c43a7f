"""Telegram's HTML subset, as the emulator parses it."""

from __future__ import annotations

import pytest

from bot.emulator.html import EntityParseError, parse_html


def test_plain_text_and_entities_with_utf16_offsets() -> None:
    text, entities = parse_html('👋 <b>Živjo</b> &amp; <a href="https://x.si">link</a>')
    assert text == "👋 Živjo & link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 5},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://x.si"},
    ]


def test_nested_tags_and_numeric_entities() -> None:
    text, entities = parse_html("<b><i>a</i>b</b>&#65;&#x42;")
    assert text == "abAB"
    assert {e["type"] for e in entities} == {"bold", "italic"}


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<div>x</div>", 'unsupported start tag "div"'),
        ("<b>x", "can't find end tag"),
        ("<b>x</i>", "unmatched end tag"),
        ("a < b", "unexpected end of name token"),
        ("Tom & Jerry", "can't find end of the entity"),
        ("&nbsp;", 'unsupported HTML entity "&nbsp;"'),
        ("a > b", "reserved"),
    ],
)
def test_malformed_html_is_refused_as_telegram_does(source: str, fragment: str) -> None:
    with pytest.raises(EntityParseError, match=fragment):
        parse_html(source)
