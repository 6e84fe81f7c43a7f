"""Texts built from what people typed fit Telegram's limits, or go in parts; nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.domain import Role
from bot.textfit import MESSAGE_MAX, utf16_len
from storage.models import Lab
from tests.support.harness import ADMIN_ID, Harness, seed_resident
from tests.support.labs import insert_lab


async def test_my_labs_with_many_long_titles_comes_in_parts(bot: Harness) -> None:
    ana = await seed_resident(bot, 1201, "Ana", "sl")
    starts = datetime.now(UTC) + timedelta(days=3)
    titles = []
    for i in range(30):
        lab_id = await insert_lab(bot.services.sessions, starts=starts + timedelta(hours=i))
        title = f"{i:02d} " + "Delavnica o dostopnih stanovanjih za mlade 😀 " * 2
        titles.append(title.strip())
        async with bot.services.sessions.begin() as session:
            await session.execute(
                update(Lab).where(Lab.id == lab_id).values(title_sl=title.strip())
            )
        await bot.services.labs.sign_up(lab_id, ana.id)
    replies = await ana.send("/moje_delavnice")
    texts = [r.text or "" for r in replies if r.kind == "bot_message"]
    assert len(texts) > 1 and all(utf16_len(t) <= MESSAGE_MAX for t in texts)
    everything = "\n".join(texts)
    assert all(t in everything for t in titles)  # every sign-up is listed
    assert replies[-1].buttons  # the buttons come with the last part


async def test_a_long_typed_code_is_not_echoed_whole(bot: Harness) -> None:
    await bot.services.roles.grant(ADMIN_ID, 1202, Role.COORDINATOR)
    coord = await seed_resident(bot, 1202, "Maja", "sl")
    replies = await coord.send("/prihod " + "X" * 4000)
    assert len(replies) == 1 and utf16_len(replies[0].text or "") < 200


async def test_ids_no_column_holds_and_odd_digits_are_refused_politely(bot: Harness) -> None:
    """A forged button with an id past 2^31 or 2^63, or with '²' (which str.isdigit() takes
    and int() refuses), is a stale button, not an error deep in the database driver."""
    ana = await seed_resident(bot, 1203, "Ana", "sl")
    await ana.send("/delavnice")
    listing = ana.last
    for data in (f"lab:v1:join:{2**64}:1:0", f"lab:v1:join:{2**31}:1:0", "lab:v1:join:²:1:0"):
        events = await ana.click("x", listing, data=data)
        answers = [e for e in events if e.kind == "callback_answer"]
        assert answers and answers[-1].text == "Ta gumb ni več veljaven.", data
    replies = await ana.send(f"/start lab_{2**64}")
    assert "Te delavnice ne najdemo" in replies[-1].text


async def test_a_press_on_a_file_message_gets_a_new_message(bot: Harness) -> None:
    """A button under a document cannot turn it into text: the answer arrives as a new message."""
    ana = await seed_resident(bot, 1204, "Ana", "sl")
    await ana.send("/moji_podatki")
    document = ana.last
    assert document.document is not None
    replies = await ana.click("x", document, data="settings:v1:open")
    assert any("Vaše nastavitve" in (r.text or "") for r in replies if r.kind == "bot_message")
