"""The aiohttp request class against a real HTTP server: fields and uploads as PTB's own sends
them, timeouts and a full pool as TimedOut, transport failures as NetworkError."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.delivery.outcome import Outcome, classify
from bot.telegram_http import AiohttpRequest
from tests.support.replicas import free_port


class Server:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.release = asyncio.Event()
        self.holding = 0
        self.port = 0

    async def echo(self, request: web.Request) -> web.Response:
        fields: dict[str, Any] = {}
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:
                    fields[part.name] = (part.filename, bytes(data), part.headers["Content-Type"])
                else:
                    fields[part.name] = bytes(data).decode()
        else:
            fields.update(await request.post())
        self.seen.append({"fields": fields, "agent": request.headers.get("User-Agent", "")})
        return web.json_response({"ok": True, "result": True})

    async def hold(self, request: web.Request) -> web.Response:
        self.holding += 1
        await self.release.wait()
        return web.json_response({"ok": True, "result": "late"})

    async def refuse(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
            status=400,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_post("/echo", state.echo)
    app.router.add_post("/hold", state.hold)
    app.router.add_post("/refuse", state.refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    try:
        yield state
    finally:
        state.release.set()
        await runner.cleanup()


def _data(**values: Any) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_fields_are_sent_as_a_form(server: Server) -> None:
    async with AiohttpRequest() as request:
        result = await request.post(
            server.url("echo"), _data(chat_id=42, text="Živjo", reply_markup={"a": [1]})
        )
    assert result is True
    (seen,) = server.seen
    assert seen["fields"] == {"chat_id": "42", "text": "Živjo", "reply_markup": '{"a": [1]}'}
    assert seen["agent"].startswith("python-telegram-bot")


async def test_files_are_uploaded_as_multipart(server: Server) -> None:
    photo = InputFile(b"\x89PNG bytes", filename="poster.png")
    handle = InputFile(io.BytesIO(b"a,b\n1,2\n"), filename="roster.csv", read_file_handle=False)
    async with AiohttpRequest() as request:
        await request.post(server.url("echo"), _data(chat_id=7, photo=photo, document=handle))
    fields = server.seen[0]["fields"]
    assert fields["chat_id"] == "7"
    assert fields["photo"] == ("poster.png", b"\x89PNG bytes", "image/png")
    assert fields["document"][:2] == ("roster.csv", b"a,b\n1,2\n")


async def test_an_error_answer_is_ptbs_error(server: Server) -> None:
    async with AiohttpRequest() as request:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await request.post(server.url("refuse"), _data(chat_id=1))


async def test_a_slow_answer_times_out(server: Server) -> None:
    async with AiohttpRequest(read_timeout=0.2) as request:
        with pytest.raises(TimedOut) as caught:
            await request.post(server.url("hold"), _data(chat_id=1))
    # It may have arrived: the delivery engine must not count it as surely unsent.
    assert classify(caught.value).outcome == Outcome.UNKNOWN


async def test_a_full_pool_times_out_and_says_the_request_was_not_sent(server: Server) -> None:
    async with AiohttpRequest(connection_pool_size=1, read_timeout=None) as request:
        first = asyncio.create_task(request.post(server.url("hold"), _data(chat_id=1)))
        deadline = asyncio.get_running_loop().time() + 30
        while not server.holding:
            assert asyncio.get_running_loop().time() < deadline, "the first request never came"
            await asyncio.sleep(0.01)
        with pytest.raises(TimedOut) as caught:
            await request.post(server.url("echo"), _data(chat_id=2), pool_timeout=0.1)
        assert classify(caught.value).outcome == Outcome.ERROR  # surely not sent: retry
        server.release.set()
        assert await first == "late"
        assert server.seen == []  # the second never reached the server
        assert await request.post(server.url("echo"), _data(chat_id=3)) is True


async def test_no_server_is_a_network_error() -> None:
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.post(f"http://127.0.0.1:{free_port()}/none", _data(chat_id=1))


async def test_lifecycle() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "POST")
    await request.initialize()
    await request.initialize()  # twice is harmless
    await request.shutdown()
    await request.shutdown()
    await request.initialize()  # and it can start again, as HTTPXRequest can
    await request.shutdown()
    assert request.read_timeout == 5.0
