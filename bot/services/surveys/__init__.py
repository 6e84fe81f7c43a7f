"""The stay-or-leave survey: definitions, responses, rounds and digests."""
