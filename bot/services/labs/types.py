"""What the lab services hand back: steps, problems and plain data (views, seat changes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain import Bilingual, LabStatus
from bot.services.errors import DomainError
from storage.models import Lab, LabRegistration

# A seat offer that lapsed unanswered; bot.domain.RegistrationStatus has no member for it yet.


FEEDBACK_TEXT_MAX = 500


class LabStep(StrEnum):
    """The steps of /newlab, in order."""

    TITLE_SL = "title_sl"
    TITLE_EN = "title_en"
    DESCRIPTION_SL = "description_sl"
    DESCRIPTION_EN = "description_en"
    HUB = "hub"
    TOPIC = "topic"
    START = "start"
    END = "end"
    CAPACITY = "capacity"
    DEADLINE = "deadline"
    REMINDERS = "reminders"
    GUESTS = "guests"
    PREVIEW = "preview"


COMPOSE_ORDER = tuple(LabStep)
EDITABLE = tuple(s for s in LabStep if s != LabStep.PREVIEW)


class LabAwaiting(StrEnum):
    """What a resident's next typed text is for (the kind of `resident.awaiting`)."""

    DRAFT = "lab"  # the current step of the coordinator's draft
    EDIT = "labedit"  # a field of a published lab (args: lab id, step)
    COMMENT = "fb"  # the optional line of feedback (args: registration id)


class LabProblem(StrEnum):
    NOT_FOUND = "not_found"
    CANCELLED = "cancelled"
    STARTED = "started"
    CLOSED = "closed"  # past the registration deadline
    STALE = "stale"  # a button from before an edit
    ALREADY = "already"
    NOT_SIGNED_UP = "not_signed_up"
    NO_OFFER = "no_offer"
    OFFER_EXPIRED = "offer_expired"
    GUESTS = "guests"
    NOT_YOURS = "not_yours"
    UNKNOWN_CODE = "unknown_code"
    NOT_CONFIRMED = "not_confirmed"
    NO_SEAT = "no_seat"  # checking in a registration without a confirmed seat
    NOT_NOW = "not_now"
    NOT_ENDED = "not_ended"
    INCOMPLETE = "incomplete"
    BAD_VALUE = "bad_value"


class LabError(DomainError):
    """A lab request refused; `problem` is a LabProblem."""


@dataclass(frozen=True)
class LabView:
    id: int
    status: LabStatus
    step: str | None
    author_telegram_id: int
    author_locale: str
    hub_code: str | None
    hub_name_sl: str | None
    hub_name_en: str | None
    hub_address: str | None
    topic: str | None
    title_sl: str | None
    title_en: str | None
    description_sl: str | None
    description_en: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int | None
    deadline: datetime | None
    reminder_minutes: tuple[int, ...]
    guests: int
    version: int
    seats_taken: int
    waitlisted: int = 0

    def title(self, locale: str) -> str:
        return Bilingual(self.title_sl, self.title_en).get(locale)

    def description(self, locale: str) -> str:
        return Bilingual(self.description_sl, self.description_en).get(locale)

    def hub_name(self, locale: str) -> str:
        return Bilingual(self.hub_name_sl, self.hub_name_en).get(locale)

    @property
    def compose_step(self) -> LabStep | None:
        """The step a draft is at ("edit:start" when changed from the preview is START)."""
        if self.step is None:
            return None
        return LabStep(self.step.removeprefix("edit:"))

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    @property
    def closes_at(self) -> datetime | None:
        return self.deadline or self.starts_at

    def open_for_signup(self, now: datetime) -> bool:
        closes = self.closes_at
        return self.status == LabStatus.PUBLISHED and closes is not None and now < closes


def lab_view(lab: Lab, waitlisted: int = 0) -> LabView:
    hub = lab.hub
    return LabView(
        id=lab.id,
        status=LabStatus(lab.status),
        step=lab.step,
        author_telegram_id=lab.author_telegram_id,
        author_locale=lab.author_locale,
        hub_code=hub.code if hub else None,
        hub_name_sl=hub.name_sl if hub else None,
        hub_name_en=hub.name_en if hub else None,
        hub_address=hub.address if hub else None,
        topic=lab.topic,
        title_sl=lab.title_sl,
        title_en=lab.title_en,
        description_sl=lab.description_sl,
        description_en=lab.description_en,
        starts_at=lab.starts_at,
        ends_at=lab.ends_at,
        capacity=lab.capacity,
        deadline=lab.deadline,
        reminder_minutes=tuple(lab.reminder_minutes or ()),
        guests=lab.guests,
        version=lab.version,
        seats_taken=lab.seats_taken,
        waitlisted=waitlisted,
    )


@dataclass(frozen=True)
class RegistrationView:
    id: int
    lab_id: int
    status: str
    seats: int
    ticket: int
    checkin_code: str
    offer_expires_at: datetime | None
    show_name: bool
    checked_in_at: datetime | None
    feedback_useful: int | None
    feedback_again: int | None
    feedback_at: datetime | None
    position: int | None = None  # on the waitlist, 1-based


def registration_view(reg: LabRegistration, position: int | None = None) -> RegistrationView:
    return RegistrationView(
        id=reg.id,
        lab_id=reg.lab_id,
        status=reg.status,
        seats=reg.seats,
        ticket=reg.ticket,
        checkin_code=reg.checkin_code,
        offer_expires_at=reg.offer_expires_at,
        show_name=reg.show_name,
        checked_in_at=reg.checked_in_at,
        feedback_useful=reg.feedback_useful,
        feedback_again=reg.feedback_again,
        feedback_at=reg.feedback_at,
        position=position,
    )


@dataclass(frozen=True)
class SeatChange:
    """What a sign-up, cancellation or offer answer did, for the resident's reply."""

    lab: LabView
    registration: RegistrationView | None
    promoted: int = 0  # offers made to the waitlist as a result


@dataclass(frozen=True)
class FeedbackSummary:
    answers: int
    useful: dict[int, int]
    again: dict[int, int]
    comments: tuple[str, ...]


@dataclass(frozen=True)
class RosterEntry:
    registration: RegistrationView
    name: str | None
    municipality: str | None
    age_band: str | None


@dataclass(frozen=True)
class Roster:
    lab: LabView
    confirmed: tuple[RosterEntry, ...]
    offered: tuple[RosterEntry, ...]
    waitlisted: tuple[RosterEntry, ...]
    cancelled: int
    feedback: FeedbackSummary

    @property
    def confirmed_seats(self) -> int:
        return sum(e.registration.seats for e in self.confirmed)

    @property
    def checked_in(self) -> int:
        return sum(1 for e in self.confirmed if e.registration.checked_in_at is not None)
