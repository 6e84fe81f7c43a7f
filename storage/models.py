"""SQLAlchemy models. Codes (topics, municipalities, roles) are plain strings checked by the domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # Chosen explicitly with /language; None means "follow Telegram's language_code".
    locale: Mapped[str | None] = mapped_column(String(8))
    # Telegram's language_code, kept only after consent: the language for messages we start.
    language_code: Mapped[str | None] = mapped_column(String(16))
    consent_version: Mapped[int | None] = mapped_column(Integer)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    municipality: Mapped[str | None] = mapped_column(String(32))
    age_band: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(32))
    onboarding_step: Mapped[str] = mapped_column(String(32), default="consent")
    start_payload: Mapped[str | None] = mapped_column(String(64))
    # Which feature the resident's next typed text is for ("lab", "fb:<registration>", ...).
    awaiting: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topics: Mapped[list[ResidentTopic]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", lazy="selectin"
    )


class ResidentTopic(Base):
    __tablename__ = "resident_topics"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)

    resident: Mapped[Resident] = relationship(back_populates="topics")


class Hub(Base):
    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_sl: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256))
    municipality: Mapped[str] = mapped_column(String(32))


class RoleGrant(Base):
    """Roles beyond `resident`, keyed by Telegram id so a role can be granted before /start."""

    __tablename__ = "role_grants"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Announcement(Base):
    """A coordinator's announcement, from draft (composed step by step) to its delivery report."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_status_scheduled_at", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_telegram_id: Mapped[int] = mapped_column(BigInteger)
    author_locale: Mapped[str] = mapped_column(String(8), default="sl")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    step: Mapped[str | None] = mapped_column(String(32))
    text_sl: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    audience_kind: Mapped[str] = mapped_column(String(16), default="all")
    audience_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    report_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    report_message_id: Mapped[int | None] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """One message the bot sends on its own initiative, to one chat; claimed with a lease."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_announcement_id_status", "announcement_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE")
    )
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    # A picture uploaded with the message (a digest's chart); sent as a photo.
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_name: Mapped[str | None] = mapped_column(String(128))
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryAttempt(Base):
    """Written before a send and completed after: an attempt cut short by a crash stays visible."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_outbox_id", "outbox_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(256))


class DeliveryWorker(Base):
    """A sending process, alive while `seen_at` is recent: the overall rate is split among them."""

    __tablename__ = "delivery_workers"

    worker: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lab(Base):
    """A RealLife Learning Lab or hub event, from a coordinator's draft to its feedback report."""

    __tablename__ = "labs"
    __table_args__ = (Index("ix_labs_status_starts_at", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    step: Mapped[str | None] = mapped_column(String(32))
    author_telegram_id: Mapped[int] = mapped_column(BigInteger)
    author_locale: Mapped[str] = mapped_column(String(8), default="sl")
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id"))
    topic: Mapped[str | None] = mapped_column(String(32))
    title_sl: Mapped[str | None] = mapped_column(String(256))
    title_en: Mapped[str | None] = mapped_column(String(256))
    description_sl: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: an open hub event without sign-up limits.
    capacity: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    guests: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every edit, so a button shown before the edit is recognised as stale.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Seats held by confirmed and offered registrations; changed only under the lab's lock.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    next_ticket: Mapped[int] = mapped_column(Integer, default=0)
    reminders_done: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Fill thresholds (50, 80, 100) already announced to the coordinators.
    alerts_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    feedback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # What remains once the registrations' personal data is deleted (counts only).
    retained: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    hub: Mapped[Hub | None] = relationship(lazy="joined")


class LabRegistration(Base):
    """One resident's place at a lab: confirmed, offered (a freed seat held for them),
    waitlisted (in ticket order) or cancelled."""

    __tablename__ = "lab_registrations"
    __table_args__ = (
        UniqueConstraint("lab_id", "resident_id", name="uq_lab_registrations_lab_id_resident_id"),
        Index("ix_lab_registrations_lab_id_status_ticket", "lab_id", "status", "ticket"),
        Index("ix_lab_registrations_status_offer_expires_at", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    ticket: Mapped[int] = mapped_column(Integer)
    checkin_code: Mapped[str] = mapped_column(String(8), unique=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str | None] = mapped_column(String(128))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[int | None] = mapped_column(BigInteger)
    feedback_useful: Mapped[int | None] = mapped_column(Integer)
    feedback_again: Mapped[int | None] = mapped_column(Integer)
    feedback_text: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lab: Mapped[Lab] = relationship(lazy="raise")


class SurveyVersion(Base):
    """A survey definition as it was when answered: a new checksum makes a new version."""

    __tablename__ = "survey_versions"
    __table_args__ = (
        UniqueConstraint("survey_code", "version", name="uq_survey_versions_survey_code_version"),
        UniqueConstraint("survey_code", "checksum", name="uq_survey_versions_survey_code_checksum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_code: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyRound(Base):
    """A survey runs in rounds (say every six months); each resident answers once per round."""

    __tablename__ = "survey_rounds"
    __table_args__ = (
        UniqueConstraint("survey_code", "number", name="uq_survey_rounds_survey_code_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyResponse(Base):
    """One resident's answers in one round. Anonymous responses have no resident_id: while in
    progress a keyed hash of (round, Telegram id) finds them to resume; once finished the hash
    moves to SurveyParticipation, so nothing stored points from a person to their answers."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "dedupe_hash", name="uq_survey_responses_round_id_dedupe_hash"
        ),
        Index("ix_survey_responses_round_id_status", "round_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    respondent: Mapped[str] = mapped_column(String(32), unique=True)
    dedupe_hash: Mapped[str | None] = mapped_column(String(64))  # None once finished
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    # The question being asked ("summary" at the end), and whether to return to the summary.
    current: Mapped[str | None] = mapped_column(String(32))
    editing: Mapped[bool] = mapped_column(Boolean, default=False)
    # The highest progress (per cent) shown to the resident, so it never goes down.
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Profile fields copied at submission, for analysis without the resident.
    municipality: Mapped[str | None] = mapped_column(String(32))
    age_band: Mapped[str | None] = mapped_column(String(16))
    resident_status: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyParticipation(Base):
    """Who finished a round, as the keyed hash alone: it refuses a second answer and says
    nothing about which response was theirs (no time, no response id)."""

    __tablename__ = "survey_participation"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    dedupe_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class SurveyAnswer(Base):
    """One answer, with the question code and the version of the survey it was given to."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint(
            "response_id", "question_code", name="uq_survey_answers_response_id_question_code"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    question_code: Mapped[str] = mapped_column(String(32))
    # The option code, the list of codes, the number or the text; None when skipped.
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    other_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppSecret(Base):
    """Keys the bot makes itself when none is configured (e.g. for survey dedupe hashes)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffToken(Base):
    """A token for staff tools over HTTP (exports); only its SHA-256 is stored."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Digest(Base):
    """A digest sent to the coordinators: what it counted, for "the change since the last"."""

    __tablename__ = "digests"
    __table_args__ = (Index("ix_digests_survey_code_at", "survey_code", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trigger: Mapped[str] = mapped_column(String(16))
    survey_code: Mapped[str] = mapped_column(String(32))
    round_number: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    partial: Mapped[int] = mapped_column(Integer)


class SurveyFunnel(Base):
    """From a round to the labs: how many respondents were suggested a lab at the end of the
    survey, and how many signed up from that suggestion. Counts only, with no time and no
    response, so nothing here links an answer to a person."""

    __tablename__ = "survey_funnel"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    suggested: Mapped[int] = mapped_column(Integer, default=0)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)


class Idea(Base):
    """A resident's idea, from a draft (written step by step) through moderation to an answer.

    `author_id` is emptied when the author is forgotten: the idea and its supports stay, unlinked.
    """

    __tablename__ = "ideas"
    __table_args__ = (
        Index("ix_ideas_status_published_at", "status", "published_at"),
        Index("ix_ideas_author_id_status", "author_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    author_locale: Mapped[str] = mapped_column(String(8), default="sl")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    step: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(32))
    municipality: Mapped[str | None] = mapped_column(String(32))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # The coordinators' official answer: a status, its text, and the lab it was taken to.
    outcome: Mapped[str | None] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdeaSupport(Base):
    """One resident supports one idea (at most once; withdrawing deletes the row)."""

    __tablename__ = "idea_supports"
    __table_args__ = (Index("ix_idea_supports_resident_id", "resident_id"),)

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Story(Base):
    """An urban story: a coordinator's (published to followers of its theme) or a resident's
    (moderated first). Drafts are rows too, so a half-written story survives a restart."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_status_published_at", "status", "published_at"),
        Index("ix_stories_author_id_status", "author_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    author_locale: Mapped[str] = mapped_column(String(8), default="sl")
    # "official" (a coordinator's, in both languages) or "resident" (in the author's language).
    kind: Mapped[str] = mapped_column(String(16), default="resident")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    step: Mapped[str | None] = mapped_column(String(32))
    title_sl: Mapped[str | None] = mapped_column(String(256))
    title_en: Mapped[str | None] = mapped_column(String(256))
    text_sl: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(32))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Conversation(Base):
    """A "What do we agree on?" conversation: a question, statements residents vote on, and
    the opinion groups found in the votes (Polis-style)."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_sl: Mapped[str] = mapped_column(String(512))
    question_en: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once the results went to the voters and their links to the votes were cut.
    results_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConversationStatement(Base):
    """A statement to vote on: a coordinator's seed (both languages) or a resident's own
    (one language), which waits for a coordinator's approval."""

    __tablename__ = "conversation_statements"
    __table_args__ = (
        Index("ix_conversation_statements_conversation_id_status", "conversation_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    text_sl: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="approved")
    # The pseudonymous participant who wrote it (None for the coordinators' seeds).
    author: Mapped[str | None] = mapped_column(
        ForeignKey("conversation_participants.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConversationParticipant(Base):
    """A voter under a random id. The link to the resident lives only while the conversation
    is open (or until /forget): the votes then belong to nobody."""

    __tablename__ = "conversation_participants"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id",
            "resident_id",
            name="uq_conversation_participants_conversation_id_resident_id",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))


class ConversationVote(Base):
    """One vote: 1 agree, -1 disagree, 0 pass. No time is kept, so logs cannot link it."""

    __tablename__ = "conversation_votes"
    __table_args__ = (Index("ix_conversation_votes_statement_id", "statement_id"),)

    participant: Mapped[str] = mapped_column(
        ForeignKey("conversation_participants.id", ondelete="CASCADE"), primary_key=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_statements.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(Integer)


class NetworkFeed(Base):
    """The last good feed of each peer town (its k-safe counts, signed), and how the latest
    fetch went: aggregates of another town, never anything of a person."""

    __tablename__ = "network_feeds"

    peer_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(String(16))
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The feed as received, so its signature can be checked again later.
    body: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why the latest fetch was refused (a short code such as "signature"); None when taken.
    last_error: Mapped[str | None] = mapped_column(String(32))
