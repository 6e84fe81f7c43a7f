"""Repositories: SQL only, no commits; the services own the transactions."""
