"""The update processor: a resident's updates in order, one resident's backlog never blocking
the others, and a flood past the bound dropped with one notice."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.processing import PerResidentProcessor


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "R", is_bot=False)
    chat = Chat(user_id, "private")
    message = Message(update_id, None, chat, from_user=user, text="hi")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_a_backlog_takes_no_slot_and_a_flood_is_bounded() -> None:
    told: list[int] = []

    async def on_flood(update: Update) -> None:
        told.append(update.update_id)

    processor = PerResidentProcessor(2, max_queued_per_resident=5, on_flood=on_flood)
    release = asyncio.Event()
    ran: list[tuple[int, int]] = []

    async def work(update_id: int, user_id: int, wait: bool) -> None:
        if wait:
            await release.wait()
        ran.append((user_id, update_id))

    # Resident 1 sends 50 updates whose handling is stuck; the bound keeps 5 of them.
    flood = [
        asyncio.create_task(processor.process_update(_update(i, 1), work(i, 1, wait=True)))
        for i in range(50)
    ]
    await asyncio.sleep(0.05)
    # With only two slots, two other residents are still served at once.
    others = [
        asyncio.create_task(
            processor.process_update(_update(100 + i, 2 + i), work(100 + i, 2 + i, wait=False))
        )
        for i in range(2)
    ]
    await asyncio.wait_for(asyncio.gather(*others), timeout=2)
    assert sorted(ran) == [(2, 100), (3, 101)]
    assert processor.dropped == 45 and told == [5]  # one notice for the whole flood
    release.set()
    await asyncio.wait_for(asyncio.gather(*flood), timeout=2)
    assert [u for r, u in ran if r == 1] == [0, 1, 2, 3, 4]  # in order, the first five
