"""Gettext catalogs of magnet-bot (Slovenian first, English second)."""
