"""The survey in Telegram: answering, rounds and digests."""
