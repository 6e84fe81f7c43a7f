"""Announcements: drafts, audiences, dispatch through the outbox and live reports."""
