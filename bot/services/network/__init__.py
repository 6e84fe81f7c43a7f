"""Towns comparing themselves: each deployment publishes its k-safe aggregates as a signed feed,
fetches its peers' feeds, and sets its own figures beside theirs. Nothing per person leaves."""
