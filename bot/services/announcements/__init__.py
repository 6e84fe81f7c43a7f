"""Announcements: drafts composed step by step, their audiences, dispatch through the outbox and
live reports. `service.AnnouncementService` holds the two halves, `drafts` and `sending`."""
