from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Announcement


async def set_report_message(
    session: AsyncSession, announcement_id: int, chat_id: int, message_id: int
) -> None:
    await session.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id)
        .values(report_chat_id=chat_id, report_message_id=message_id)
    )
