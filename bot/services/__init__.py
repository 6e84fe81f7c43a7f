"""Domain services: each method owns one transaction and returns plain dataclasses."""
