"""The dashboard for coordinators and staff: a Telegram Mini App served by the bot's own
HTTP server (also usable in a browser with a staff token)."""
