"""The residents' side of the emulator over HTTP, for a staging check with curl: type a
message, press a button by its label, read a chat. (Tests use `EmulatedUser` in-process.)

    POST /_emulator/users/{id}/messages   {"text": "/start", "first_name": "Ana", "language_code": "sl"}
    POST /_emulator/users/{id}/press      {"label": "✅ Strinjam se"}
    GET  /_emulator/chats/{id}            the chat: who said what, and the buttons
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.state import ButtonNotFound, find_button

if TYPE_CHECKING:
    from bot.emulator.server import BotAPIEmulator

EMULATOR = web.AppKey("emulator", object)


def add_routes(app: web.Application, emulator: BotAPIEmulator) -> None:
    app[EMULATOR] = emulator
    app.router.add_post("/_emulator/users/{user_id:-?[0-9]+}/messages", _message)
    app.router.add_post("/_emulator/users/{user_id:-?[0-9]+}/press", _press)
    app.router.add_get("/_emulator/chats/{chat_id:-?[0-9]+}", _chat)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON object, please") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object, please")
    return body


async def _message(request: web.Request) -> web.Response:
    emulator: BotAPIEmulator = request.app[EMULATOR]  # type: ignore[assignment]
    body = await _body(request)
    user_id = int(request.match_info["user_id"])
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise web.HTTPBadRequest(text="`text` is required")
    chat = emulator.chats.get(user_id)
    user = chat.user if chat is not None else None
    if user is None:
        user = emulator.add_user(
            user_id, str(body.get("first_name") or f"Resident {user_id}"), body.get("language_code")
        )
    update_id = await emulator.user_message(user, text)
    return web.json_response({"update_id": update_id})


async def _press(request: web.Request) -> web.Response:
    emulator: BotAPIEmulator = request.app[EMULATOR]  # type: ignore[assignment]
    body = await _body(request)
    user_id = int(request.match_info["user_id"])
    label = body.get("label")
    chat = emulator.chats.get(user_id)
    if chat is None or chat.user is None or not isinstance(label, str):
        raise web.HTTPBadRequest(text="an existing user and a `label` are required")
    bot_messages = [m for _, m in sorted(chat.messages.items()) if m.from_bot]
    try:
        message, data = find_button(bot_messages, label, chat.user.first_name)
    except ButtonNotFound as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    update_id, query_id = await emulator.user_click(chat.user, message, data, label)
    return web.json_response({"update_id": update_id, "query_id": query_id})


async def _chat(request: web.Request) -> web.Response:
    emulator: BotAPIEmulator = request.app[EMULATOR]  # type: ignore[assignment]
    chat = emulator.chats.get(int(request.match_info["chat_id"]))
    if chat is None:
        raise web.HTTPNotFound(text="no such chat")
    return web.json_response(
        [
            {
                "message_id": m.message_id,
                "from_bot": m.from_bot,
                "text": m.text or m.caption or "",
                "buttons": [[b.get("text") for b in row] for row in m.buttons],
            }
            for m in chat.messages.values()
        ]
    )
