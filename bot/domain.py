"""The fixed vocabulary: codes stored in the database, labels to translate. A town's own
vocabulary (municipalities, topics, hubs, languages) is its profile's (bot.profile)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


class _Translates(Protocol):
    locale: str

    def gettext(self, message: str) -> str: ...


@dataclass(frozen=True)
class Choice:
    code: str
    label: str  # English msgid; for a town profile's choice, its English text
    # The answer on the button, where it reads differently from the value ("In Celje" / Celje).
    button: str | None = None
    # A town profile's labels are content per language, not msgids (see bot.profile).
    labels: Mapping[str, str] | None = field(default=None, compare=False)
    buttons: Mapping[str, str] | None = field(default=None, compare=False)
    emoji: str = ""

    @property
    def answer(self) -> str:
        return self.button or self.label

    def text(self, tr: _Translates) -> str:
        """The label in the reader's language (a profile's missing language reads English)."""
        if self.labels is not None:
            return _pick(self.labels, tr.locale) or self.label
        return tr.gettext(self.label)

    def answer_text(self, tr: _Translates) -> str:
        if self.buttons is not None:
            return _pick(self.buttons, tr.locale) or self.answer
        if self.labels is not None:
            return self.text(tr)
        return tr.gettext(self.answer)


def _pick(texts: Mapping[str, str], locale: str) -> str | None:
    return texts.get(locale) or texts.get("en")


AGE_BANDS: Sequence[Choice] = (
    Choice("u18", N_("under 18")),
    Choice("18_24", N_("18–24")),
    Choice("25_34", N_("25–34")),
    Choice("35_49", N_("35–49")),
    Choice("50_64", N_("50–64")),
    Choice("65p", N_("65 or more")),
    Choice("na", N_("I'd rather not say")),
)

STATUSES: Sequence[Choice] = (
    Choice("student", N_("Pupil or student")),
    Choice("employed", N_("Employed")),
    Choice("self_employed", N_("Self-employed")),
    Choice("job_seeking", N_("Looking for work")),
    Choice("retired", N_("Retired")),
    Choice("other", N_("Something else")),
    Choice("na", N_("I'd rather not say")),
)


def codes(choices: Sequence[Choice]) -> frozenset[str]:
    return frozenset(c.code for c in choices)


def label_of(choices: Sequence[Choice], code: str | None) -> str | None:
    return next((c.label for c in choices if c.code == code), None)


def choice_of(choices: Sequence[Choice], code: str | None) -> Choice | None:
    return next((c for c in choices if c.code == code), None)


def label_in(tr: _Translates, choices: Sequence[Choice], code: str | None) -> str | None:
    """The label of `code` in the reader's language, or None for an unknown code."""
    choice = choice_of(choices, code)
    return None if choice is None else choice.text(tr)


class Role(StrEnum):
    RESIDENT = "resident"
    COORDINATOR = "coordinator"
    STAFF = "staff"
    ADMIN = "admin"


GRANTABLE_ROLES = frozenset({Role.COORDINATOR, Role.STAFF})


class Step(StrEnum):
    """Where a resident is in onboarding; stored so that a restart resumes there."""

    CONSENT = "consent"
    MUNICIPALITY = "municipality"
    AGE_BAND = "age_band"
    STATUS = "status"
    TOPICS = "topics"
    DONE = "done"
    DECLINED = "declined"


ONBOARDING_ORDER = (Step.CONSENT, Step.MUNICIPALITY, Step.AGE_BAND, Step.STATUS, Step.TOPICS)

# Bump when the consent text changes in substance: residents are asked again at their next visit.
CONSENT_VERSION = 1


class LabStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    OFFERED = "offered"  # a freed seat offered to the head of the waitlist, until it lapses
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # an offer that lapsed unanswered


# Registrations that hold seats, and those still in play (holding or waiting).
HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
ACTIVE = (*HOLDING, RegistrationStatus.WAITLISTED)


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = (OutboxStatus.SENT, OutboxStatus.BLOCKED, OutboxStatus.FAILED, OutboxStatus.CANCELLED)


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ResponseStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Bilingual:
    """A text written in Slovenian and English; either may be missing."""

    sl: str | None
    en: str | None

    def get(self, locale: str) -> str:
        """Slovenian for "sl", English for any other locale; else the other one, else empty."""
        first, second = (self.sl, self.en) if locale == "sl" else (self.en, self.sl)
        return first or second or ""
