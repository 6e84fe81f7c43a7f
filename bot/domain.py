"""The fixed vocabulary of a resident's profile: codes stored in the database, labels to translate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Choice:
    code: str
    label: str  # English msgid
    # The answer on the button, where it reads differently from the value ("In Celje" / Celje).
    button: str | None = None

    @property
    def answer(self) -> str:
        return self.button or self.label


MUNICIPALITIES: Sequence[Choice] = (
    # The same answers, worded alike, as the survey's "Where do you usually live?".
    Choice("celje", N_("Celje"), N_("In Celje")),
    Choice("prebold", N_("Prebold"), N_("In Prebold")),
    Choice("savinjska", N_("Elsewhere in the Savinja region")),
    Choice("slovenia", N_("Elsewhere in Slovenia")),
    Choice("abroad", N_("Abroad")),
)

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

TOPICS: Sequence[Choice] = (
    Choice("housing", N_("Affordable housing")),
    Choice("mobility", N_("Sustainable mobility")),
    Choice("industry", N_("Industry 4.0 and jobs")),
    Choice("culture", N_("Culture and creativity")),
    Choice("energy", N_("Energy communities")),
)

# On buttons each language is named in itself, so a resident finds their own.
LANGUAGES: Sequence[Choice] = (
    Choice("sl", "Slovenščina"),
    Choice("en", "English"),
)
# Inside a sentence or after a label, in the reader's language (lowercase in Slovenian).
LANGUAGE_NAMES: dict[str, str] = {
    "sl": N_("Slovenian"),
    "en": N_("English"),
}


def codes(choices: Sequence[Choice]) -> frozenset[str]:
    return frozenset(c.code for c in choices)


def label_of(choices: Sequence[Choice], code: str | None) -> str | None:
    return next((c.label for c in choices if c.code == code), None)


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
