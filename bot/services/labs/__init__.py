"""Labs: browsing, sign-up with waitlist offers, composing, records and timed jobs."""
