"""Telegram's limits in UTF-16 units: cut plain texts, split long messages without losing text."""

from __future__ import annotations

from bot.textfit import MESSAGE_MAX, cut, split_message, utf16_len


def test_lengths_are_counted_in_utf16_units() -> None:
    assert utf16_len("Celje") == 5
    assert utf16_len("😀") == 2  # outside the basic plane: two units, one code point
    assert utf16_len("č") == 1


def test_cut_keeps_within_the_limit_and_says_so() -> None:
    assert cut("kratko", 10) == "kratko"
    text = "😀" * 100
    shortened = cut(text, 51)
    assert utf16_len(shortened) <= 51 and shortened.endswith("…")


def test_a_long_message_is_split_at_lines_and_nothing_is_lost() -> None:
    lines = [f"<b>Delavnica {i}</b> – 3. decembra 2026 ob 17.00 😀" for i in range(400)]
    text = "\n".join(lines)
    parts = split_message(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= MESSAGE_MAX for p in parts)
    assert "\n".join(parts) == text  # split only between lines


def test_a_single_overlong_line_is_broken_at_spaces_outside_tags() -> None:
    line = "<b>Naslov</b> " + " ".join(["besedilo &amp; še"] * 600)
    parts = split_message(line, 200)
    assert all(utf16_len(p) <= 200 for p in parts)
    assert all(p.count("<b>") == p.count("</b>") for p in parts)
    assert " ".join(parts).split() == line.split()


def test_announcement_length_counts_what_telegram_counts() -> None:
    from bot.services.announcements.types import plain_length

    assert plain_length("<b>😀</b>" * 2100) == 4200  # over the limit, though 2100 code points
