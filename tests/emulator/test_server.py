"""The emulator through python-telegram-bot's own client: Telegram's rules and its errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.request import HTTPXRequest

from bot.emulator import BotAPIEmulator, EmulatedUser, RateLimits
from bot.emulator.ratelimit import FloodControl
from tests.support.harness import eventually

TOKEN = "999:EMULATOR-TEST"


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator(TOKEN, limits=RateLimits.strict()) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        request=HTTPXRequest(connection_pool_size=4),
        get_updates_request=HTTPXRequest(connection_pool_size=2),
    ) as client:
        yield client


async def test_get_me_and_a_wrong_token(emu: BotAPIEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "magnet_demo_bot" and me.id == 999
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emu.base_url) as wrong:
            await wrong.get_me()


async def test_send_message_validates_text_markup_and_chat(emu: BotAPIEmulator, bot: Bot) -> None:
    user = emu.add_user(10, "Ana", "sl")
    message = await bot.send_message(10, "<b>Živjo</b>", parse_mode="HTML")
    assert message.text == "Živjo" and message.chat.id == 10 and message.from_user.is_bot
    assert emu.chat(user.id).messages[message.message_id].entities[0]["type"] == "bold"
    await asyncio.sleep(1.05)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(10, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await bot.send_message(10, "<p>x</p>", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(10, "x", reply_markup=too_long)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(123456, "x")
    with pytest.raises(BadRequest, match=r"(?i)empty"):
        await bot.send_message(10, "   ")
    assert await bot.send_message(10, "x" * 4096)


async def test_rate_limits_answer_429_with_retry_after(emu: BotAPIEmulator, bot: Bot) -> None:
    # The emulator's own clock: a loaded machine may take over a second between two sends.
    now = [1000.0]
    emu.flood = FloodControl(RateLimits.strict(), clock=lambda: now[0])
    emu.add_user(10, "Ana")
    await bot.send_message(10, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(10, "two")
    assert caught.value.retry_after == timedelta(seconds=1)
    # Telegram keeps refusing until retry_after has passed...
    now[0] += 0.5
    with pytest.raises(RetryAfter):
        await bot.send_message(10, "three")
    # ...and accepts once it has.
    now[0] += 0.55
    assert await bot.send_message(10, "four")
    assert emu.flood.rejected == 2


async def test_global_limit_of_thirty_per_second(emu: BotAPIEmulator, bot: Bot) -> None:
    # All 31 within one second of the emulator's clock, however long a loaded machine takes.
    emu.flood = FloodControl(RateLimits.strict(), clock=lambda: 1000.0)
    for user_id in range(1, 32):
        emu.add_user(user_id, f"U{user_id}")
    for user_id in range(1, 31):
        await bot.send_message(user_id, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(31, "one too many")


async def test_group_limit_of_twenty_per_minute(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_group(-100, "Coordinators")
    for _ in range(20):
        await bot.send_message(-100, "update")
        await asyncio.sleep(0.04)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(-100, "one too many")
    assert caught.value.retry_after.total_seconds() > 30


async def test_blocked_user_gets_403_and_a_membership_update(emu: BotAPIEmulator, bot: Bot) -> None:
    user = emu.add_user(10, "Ana")
    await emu.set_blocked(user, True)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(10, "hello?")
    [update] = await bot.get_updates(timeout=0)
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_get_updates_offset_and_long_poll(emu: BotAPIEmulator, bot: Bot) -> None:
    user = emu.add_user(10, "Ana", "sl")
    assert await bot.get_updates(timeout=0) == ()
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # long poll holds the request open
    await emu.user_message(user, "/start")
    [update] = await waiting
    assert update.message.text == "/start"
    assert update.message.from_user.language_code == "sl"
    assert update.message.entities[0].type == "bot_command"
    # Not confirmed yet: delivered again; confirmed by a higher offset: gone.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_a_second_poller_conflicts(emu: BotAPIEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    # The first poll must be waiting in the emulator before the second arrives.
    await eventually(lambda: emu._poll_generation == 1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await first
    assert await second == ()


async def test_edits_and_callback_answers(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(10, "Ana")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(10, "Pick", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text(
            "Pick", chat_id=10, message_id=sent.message_id, reply_markup=markup
        )
    edited = await bot.edit_message_text("Picked", chat_id=10, message_id=sent.message_id)
    assert edited.text == "Picked" and edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=10, message_id=999)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")


async def test_a_user_presses_a_button(emu: BotAPIEmulator, bot: Bot) -> None:
    ana = EmulatedUser(emu, 10, "Ana", "sl")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Da", callback_data="yes")]])
    await bot.send_message(10, "Ali?", reply_markup=markup)
    message, data = ana.find_button("Da")
    update_id, query_id = await emu.user_click(ana.user, message, data, "Da")
    [update] = await bot.get_updates(timeout=0)
    assert update.update_id == update_id
    assert update.callback_query.data == "yes"
    assert update.callback_query.message.text == "Ali?"
    assert await bot.answer_callback_query(query_id, "OK")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_documents_photos_and_files(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(10, "Ana")
    document = await bot.send_document(10, b"a;b\n1;2\n", filename="export.csv", caption="CSV")
    assert document.document.file_name == "export.csv" and document.caption == "CSV"
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a;b\n1;2\n"
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (3).to_bytes(4, "big")
        + (2).to_bytes(4, "big")
    )
    await asyncio.sleep(1.05)
    photo = await bot.send_photo(10, png)
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    await asyncio.sleep(1.05)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(10, b"not an image")


async def test_command_menus_per_language_and_scope(emu: BotAPIEmulator, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeChat

    emu.add_user(10, "Ana")
    await bot.set_my_commands([BotCommand("pomoc", "Pomoč")], language_code="sl")
    assert [c.command for c in await bot.get_my_commands(language_code="sl")] == ["pomoc"]
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Pomoč", "x")])
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(55))


async def _receiver(hook):  # type: ignore[no-untyped-def]
    """A webhook endpoint on loopback: (its runner, its port)."""
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def test_webhook_delivery_replaces_polling(emu: BotAPIEmulator, bot: Bot) -> None:
    from aiohttp import web

    received: list[tuple[dict, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    runner, port = await _receiver(hook)
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates(timeout=0)
        user = emu.add_user(10, "Ana")
        await emu.user_message(user, "hi")
        await eventually(lambda: received, timeout=60)
        [(payload, secret)] = received
        assert payload["message"]["text"] == "hi" and secret == "s3cret"
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()
    finally:
        await runner.cleanup()


async def test_webhook_pushes_chats_in_parallel_each_chat_in_order(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    """As the Bot API server: several requests at once (up to max_connections), but a chat's
    next update only after its previous one was answered 2xx; a failure is retried."""
    from aiohttp import web

    running: dict[int, int] = {}
    peak = {"all": 0, "chat": 0}
    order: dict[int, list[str]] = {}
    failed_once: set[str] = set()

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        chat, text = update["message"]["chat"]["id"], update["message"]["text"]
        running[chat] = running.get(chat, 0) + 1
        peak["all"] = max(peak["all"], sum(running.values()))
        peak["chat"] = max(peak["chat"], running[chat])
        try:
            await asyncio.sleep(0.05)
            if text == "2" and chat not in failed_once:
                failed_once.add(chat)
                return web.Response(status=502)  # the replica behind it was down
            order.setdefault(chat, []).append(text)
            return web.Response()
        finally:
            running[chat] -= 1

    runner, port = await _receiver(hook)
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", max_connections=3)
        users = [emu.add_user(20 + n, f"U{n}") for n in range(6)]
        for text in ("1", "2", "3", "4"):
            for user in users:
                await emu.user_message(user, text)
        await eventually(lambda: all(len(order.get(u.id, [])) == 4 for u in users), timeout=60)
        assert all(order[u.id] == ["1", "2", "3", "4"] for u in users), order
        assert peak["chat"] == 1  # never two of one chat at once
        assert 1 < peak["all"] <= 3  # parallel across chats, within max_connections
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_asking_again_during_a_flood_wait_does_not_lengthen_it(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    # The emulator's own clock: five real retries may outlast the wait on a loaded machine.
    now = [1000.0]
    emu.flood = FloodControl(RateLimits.strict(), clock=lambda: now[0])
    emu.add_user(10, "Ana")
    await bot.send_message(10, "one")
    for _ in range(5):  # impatient retries within the wait
        with pytest.raises(RetryAfter):
            await bot.send_message(10, "again")
        now[0] += 0.15
    now[0] += 0.35  # a second after the first refusal, it is over
    assert await bot.send_message(10, "finally")


async def test_the_peoples_side_over_http(emu: BotAPIEmulator, bot: Bot) -> None:
    """What `magnet-bot emulator` offers for a staging check with curl."""
    import aiohttp

    base = f"http://127.0.0.1:{emu.port}/_emulator"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/users/42/messages", json={"text": "/start"}) as response:
            assert response.status == 200 and (await response.json())["update_id"] >= 1
        [update] = await bot.get_updates(timeout=0)
        assert update.message.text == "/start" and update.effective_user.id == 42
        await bot.send_message(
            42,
            "Izberite",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Da", callback_data="y")]]),
        )
        async with http.post(f"{base}/users/42/press", json={"label": "Ne"}) as response:
            assert response.status == 404
        async with http.post(f"{base}/users/42/press", json={"label": "Da"}) as response:
            assert response.status == 200
        [update] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
        assert update.callback_query.data == "y"
        async with http.get(f"{base}/chats/42") as response:
            chat = await response.json()
        assert [(m["from_bot"], m["text"]) for m in chat] == [(False, "/start"), (True, "Izberite")]
        assert chat[1]["buttons"] == [["Da"]]
        async with http.post(f"{base}/users/42/messages", data="not json") as response:
            assert response.status == 400
        async with http.get(f"{base}/chats/999") as response:
            assert response.status == 404
