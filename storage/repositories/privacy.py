"""What one resident left behind, to show it (/mydata) or erase it (/forget): SQL only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import ACTIVE, HOLDING, AnnouncementStatus, LabStatus, ResponseStatus
from storage.models import (
    Announcement,
    AuditEntry,
    Lab,
    LabRegistration,
    OutboxMessage,
    RoleGrant,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
)


async def list_role_grants(session: AsyncSession, telegram_id: int) -> list[tuple[str, Any]]:
    rows = await session.execute(
        select(RoleGrant.role, RoleGrant.granted_at).where(RoleGrant.telegram_id == telegram_id)
    )
    return [(role, at) for role, at in rows.all()]


async def list_messages(session: AsyncSession, resident_id: int) -> Sequence[OutboxMessage]:
    rows = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.resident_id == resident_id)
        .order_by(OutboxMessage.id)
    )
    return rows.scalars().all()


async def list_audit_entries(session: AsyncSession, telegram_id: int) -> Sequence[AuditEntry]:
    rows = await session.execute(
        select(AuditEntry)
        .where(AuditEntry.actor_telegram_id == telegram_id)
        .order_by(AuditEntry.id)
    )
    return rows.scalars().all()


async def list_responses(
    session: AsyncSession, resident_id: int
) -> list[tuple[SurveyResponse, SurveyRound]]:
    rows = await session.execute(
        select(SurveyResponse, SurveyRound)
        .join(SurveyRound, SurveyRound.id == SurveyResponse.round_id)
        .where(SurveyResponse.resident_id == resident_id)
        .order_by(SurveyResponse.id)
    )
    return [(response, round_) for response, round_ in rows.all()]


async def list_answers(
    session: AsyncSession, response_id: int
) -> list[tuple[str, Any, str | None]]:
    rows = await session.execute(
        select(SurveyAnswer.question_code, SurveyAnswer.value, SurveyAnswer.other_text)
        .where(SurveyAnswer.response_id == response_id)
        .order_by(SurveyAnswer.id)
    )
    return [(code, value, other) for code, value, other in rows.all()]


async def list_active_lab_ids(session: AsyncSession, resident_id: int) -> list[int]:
    rows = await session.execute(
        select(LabRegistration.lab_id).where(
            LabRegistration.resident_id == resident_id, LabRegistration.status.in_(ACTIVE)
        )
    )
    return list(rows.scalars())


async def delete_activity(session: AsyncSession, resident_id: int) -> None:
    """Sign-ups, unfinished answers and messages go; finished answers stay, unlinked."""
    # Seats still held here (a lab that has started cancels no sign-up the normal way) are
    # handed back, so the lab's counter keeps matching its registrations.
    held = await session.execute(
        select(LabRegistration.lab_id, LabRegistration.seats).where(
            LabRegistration.resident_id == resident_id, LabRegistration.status.in_(HOLDING)
        )
    )
    for lab_id, seats in held.all():
        await session.execute(
            update(Lab).where(Lab.id == lab_id).values(seats_taken=Lab.seats_taken - seats)
        )
    await session.execute(delete(LabRegistration).where(LabRegistration.resident_id == resident_id))
    unfinished = select(SurveyResponse.id).where(
        SurveyResponse.resident_id == resident_id,
        SurveyResponse.status != ResponseStatus.COMPLETED,
    )
    await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(unfinished)))
    await session.execute(
        delete(SurveyResponse).where(
            SurveyResponse.resident_id == resident_id,
            SurveyResponse.status != ResponseStatus.COMPLETED,
        )
    )
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.resident_id == resident_id)
        .values(resident_id=None, anonymous=True)
    )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.resident_id == resident_id))


# Stands in for a forgotten author where the column may not be empty.
FORGOTTEN = 0


async def unlink_telegram_id(session: AsyncSession, telegram_id: int) -> None:
    """Every other place that still names this Telegram id: roles go, records keep what
    happened but no longer say who (a coordinator's labs, announcements and rounds stay)."""
    await session.execute(delete(RoleGrant).where(RoleGrant.telegram_id == telegram_id))
    await session.execute(
        update(RoleGrant).where(RoleGrant.granted_by == telegram_id).values(granted_by=None)
    )
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.actor_telegram_id == telegram_id)
        .values(actor_telegram_id=None)
    )
    await session.execute(
        update(AuditEntry).where(AuditEntry.subject == str(telegram_id)).values(subject=None)
    )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
    await session.execute(
        delete(Announcement).where(
            Announcement.author_telegram_id == telegram_id,
            Announcement.status == AnnouncementStatus.DRAFT,
        )
    )
    await session.execute(
        update(Announcement)
        .where(Announcement.author_telegram_id == telegram_id)
        .values(author_telegram_id=FORGOTTEN)
    )
    await session.execute(
        update(Announcement)
        .where(Announcement.report_chat_id == telegram_id)
        .values(report_chat_id=None, report_message_id=None)
    )
    await session.execute(
        delete(Lab).where(Lab.author_telegram_id == telegram_id, Lab.status == LabStatus.DRAFT)
    )
    await session.execute(
        update(Lab)
        .where(Lab.author_telegram_id == telegram_id)
        .values(author_telegram_id=FORGOTTEN)
    )
    await session.execute(
        update(LabRegistration)
        .where(LabRegistration.checked_in_by == telegram_id)
        .values(checked_in_by=None)
    )
    for column in (SurveyRound.opened_by, SurveyRound.closed_by):
        await session.execute(
            update(SurveyRound).where(column == telegram_id).values({column.key: None})
        )


async def list_authored(session: AsyncSession, telegram_id: int) -> dict[str, list[dict[str, Any]]]:
    """What a coordinator wrote or did under their Telegram id."""
    labs = await session.execute(
        select(Lab.id, Lab.title_sl, Lab.status).where(Lab.author_telegram_id == telegram_id)
    )
    announcements = await session.execute(
        select(Announcement.id, Announcement.status, Announcement.created_at).where(
            Announcement.author_telegram_id == telegram_id
        )
    )
    checkins = await session.execute(
        select(LabRegistration.lab_id).where(LabRegistration.checked_in_by == telegram_id)
    )
    return {
        "labs_created": [{"lab": i, "title": t, "status": s} for i, t, s in labs.all()],
        "announcements_written": [
            {"announcement": i, "status": s, "created_at": at.isoformat()}
            for i, s, at in announcements.all()
        ],
        "check_ins_done_at_labs": sorted(set(checkins.scalars())),
    }


async def list_rounds(session: AsyncSession) -> Sequence[SurveyRound]:
    return (await session.execute(select(SurveyRound).order_by(SurveyRound.id))).scalars().all()
