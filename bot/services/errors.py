"""One error type for what a resident or coordinator asked that the domain refuses."""

from __future__ import annotations

from enum import StrEnum


class DomainError(Exception):
    """A refusal the Telegram layer words for the person: `problem` picks the text."""

    def __init__(self, problem: StrEnum, detail: str = ""):
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail
