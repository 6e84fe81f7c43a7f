"""Helpers shared by the tests: the running bot, seeding, replicas, the CLI."""
