"""Announcements in Telegram: composing, scheduling and following a broadcast."""
