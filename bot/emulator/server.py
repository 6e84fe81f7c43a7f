"""A local Bot API server on loopback that behaves as Telegram documents, for tests and the demo."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from bot.emulator import markup, people
from bot.emulator.markup import BadRequest, decode
from bot.emulator.methods import BotAPIMethods, RetryAfter, _allowed
from bot.emulator.ratelimit import FloodControl, RateLimits
from bot.emulator.state import Chat, EventLog, Message, StoredFile, User, now

log = logging.getLogger(__name__)

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
Handler = Callable[[dict[str, Any], dict[str, StoredFile]], Awaitable[Any]]


@dataclass
class Faults:
    """Misbehaviour on demand, for fault tests: each a probability per send."""

    drop_after_send: float = 0.0  # delivered, but the connection is cut before the answer
    latency: float = 0.0  # seconds between delivering a message and answering the bot
    network: float = 0.0  # round trip added to every Bot API call, as over the internet
    server_error: float = 0.0  # 500 before anything is delivered
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    dropped: int = 0
    errors: int = 0


class _DropResponse(Exception):
    pass


class BotAPIEmulator(BotAPIMethods):
    """Serves `/bot<token>/<method>` and `/file/bot<token>/<path>`; tests act as users on it."""

    def __init__(
        self,
        token: str = "123456:EMULATOR-TOKEN",
        *,
        limits: RateLimits | None = None,
        bot_username: str = "magnet_demo_bot",
        bot_name: str = "MAGNET",
    ):
        self.token = token
        self.bot = User(int(token.split(":")[0]), bot_name, username=bot_username, is_bot=True)
        self.flood = FloodControl(limits or RateLimits())
        self.faults = Faults()
        self.log = EventLog()
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int, dict[str, Any]] = {}  # chat id (0: the default) -> button
        self.callback_answers: dict[str, dict[str, Any] | None] = {}
        self._query_chats: dict[str, int] = {}
        self.webhook: dict[str, Any] | None = None
        self.requests: dict[str, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._processed: dict[int, asyncio.Event] = {}
        self._fetched: dict[int, float] = {}
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._last_bot_request = 0.0
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._retries: dict[int, tuple[int, float]] = {}  # update id -> (failures, next try)
        self.pushed_updates = 0
        self.port = 0
        self.processing_hook = False

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotAPIEmulator:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        people.add_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.host = host
        return self

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotAPIEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def pending_updates(self) -> int:
        """Updates not yet taken by the bot (fetched, or acknowledged by its webhook)."""
        return len(self._updates)

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # ---- the users' side -------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = None,
        username: str | None = None,
    ) -> User:
        user = User(user_id, first_name, language_code, username)
        self.chats.setdefault(user_id, Chat(user_id, "private", user=user)).user = user
        return user

    def add_group(self, chat_id: int, title: str, kind: str = "supergroup") -> Chat:
        return self.chats.setdefault(chat_id, Chat(chat_id, kind, title=title))

    def chat(self, chat_id: int) -> Chat:
        return self.chats[chat_id]

    async def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._processed[update_id] = asyncio.Event()
        async with self._changed:
            self._updates.append({"update_id": update_id, kind: payload})
            self._changed.notify_all()
        return update_id

    async def user_message(
        self,
        user: User,
        text: str | None = None,
        *,
        sticker: bool = False,
        photo: bytes | None = None,
        entities: list[dict[str, Any]] | None = None,
        document: tuple[str, bytes] | None = None,
    ) -> int:
        chat = self.chats[user.id]
        message = Message(chat.new_message_id(), chat, user, now(), text=text, sticker=sticker)
        message.entities = list(entities or [])
        if photo is not None:
            message.photo = self._store_file(photo, "photo.png", "image/png", "photos")
        if document is not None:
            name, data = document
            message.document = self._store_file(data, name, None, "documents")
        if text and text.startswith("/"):
            command = text.split()[0]
            message.entities.insert(0, {"type": "bot_command", "offset": 0, "length": len(command)})
        chat.messages[message.message_id] = message
        if text is not None:
            self.log.add("user_text", chat.id, text=text)
        else:
            kind = "[sticker]" if sticker else f"[{document[0]}]" if document else "[photo]"
            self.log.add("user_media", chat.id, text=kind)
        return await self.push_update("message", message.as_dict())

    async def user_click(
        self, user: User, message: Message, data: str, label: str
    ) -> tuple[int, str]:
        query_id = str(next(self._query_ids) + 10**12)
        self.callback_answers[query_id] = None
        self._query_chats[query_id] = message.chat.id
        self.log.add("user_click", message.chat.id, text=label, message_id=message.message_id)
        payload = {
            "id": query_id,
            "from": user.as_dict(),
            "message": message.as_dict(),
            "chat_instance": str(message.chat.id),
            "data": data,
        }
        return await self.push_update("callback_query", payload), query_id

    async def set_blocked(self, user: User, blocked: bool) -> int:
        chat = self.chats[user.id]
        chat.blocked = blocked
        self.log.add("blocked" if blocked else "unblocked", chat.id)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        member = {"user": self.bot.as_dict(), "status": new}
        if blocked:
            member["until_date"] = 0
        payload = {
            "chat": chat.as_dict(),
            "from": user.as_dict(),
            "date": now(),
            "old_chat_member": {"user": self.bot.as_dict(), "status": old}
            | ({"until_date": 0} if old == "kicked" else {}),
            "new_chat_member": member,
        }
        return await self.push_update("my_chat_member", payload)

    # ---- waiting for the bot ---------------------------------------------------------------

    def mark_processed(self, update_id: int) -> None:
        """Called by an in-process bot's update processor when it has finished an update."""
        event = self._processed.get(update_id)
        if event is not None:
            event.set()

    async def wait_processed(self, update_id: int, timeout: float = 10.0) -> None:
        """Until the bot has handled the update: by its own signal, or by falling quiet after it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self.processing_hook or self.webhook is not None:
            await asyncio.wait_for(self._processed[update_id].wait(), timeout)
            return
        while update_id not in self._fetched:
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not fetch update {update_id}")
            await asyncio.sleep(0.01)
        quiet = 0.3
        while True:
            idle = time.monotonic() - max(self._last_bot_request, self._fetched[update_id])
            if idle >= quiet:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the bot did not settle after update {update_id}")
            await asyncio.sleep(quiet - idle)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Until `predicate()` holds, looked at after each request of the bot; False on timeout."""

        async def _wait() -> None:
            async with self._changed:
                while not predicate():
                    await self._changed.wait()

        try:
            await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_for_event(
        self, predicate: Callable[[Any], bool], timeout: float = 10.0, after: int = 0
    ) -> Any:
        async def _find() -> Any:
            async with self._changed:
                while True:
                    for event in self.log.events:
                        if event.seq > after and predicate(event):
                            return event
                    await self._changed.wait()

        return await asyncio.wait_for(_find(), timeout)

    # ---- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        handler: Handler | None = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            params, files = await _read_params(request)
        except ValueError as exc:
            return _error(400, f"Bad Request: {exc}")
        self.requests[method] = self.requests.get(method, 0) + 1
        if method != "getUpdates":
            self._last_bot_request = time.monotonic()
        if self.faults.network:
            await asyncio.sleep(self.faults.network / 2)  # the request on its way
        try:
            result = await handler(params, files)
        except BadRequest as exc:
            return _error(exc.code, exc.description)
        except RetryAfter as exc:
            return _error(
                429, f"Too Many Requests: retry after {exc.seconds}", {"retry_after": exc.seconds}
            )
        except _DropResponse:
            # The message is delivered, but the bot never hears so: its outcome is unknown.
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)
        finally:
            if method != "getUpdates":
                self._last_bot_request = time.monotonic()
        async with self._changed:
            self._changed.notify_all()
        if self.faults.network:
            await asyncio.sleep(self.faults.network / 2)  # the answer on its way back
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None:
            return web.Response(status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ---- helpers ---------------------------------------------------------------------------

    def _chat(self, raw: Any) -> Chat:
        if isinstance(raw, str) and raw.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == raw[1:]), None)
        else:
            try:
                chat = self.chats.get(int(raw))
            except (TypeError, ValueError):
                chat = None
        if chat is None:
            raise BadRequest("Bad Request: chat not found")
        return chat

    def _bot_message(self, p: dict[str, Any]) -> Message:
        if p.get("inline_message_id"):
            raise BadRequest("Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(p.get("chat_id"))
        message = chat.messages.get(int(p.get("message_id") or 0))
        if message is None:
            raise BadRequest("Bad Request: message to edit not found")
        if not message.from_bot:
            raise BadRequest("Bad Request: message can't be edited")
        return message

    async def _deliver(self, chat: Chat, message: Message, kind: str) -> dict[str, Any]:
        if chat.blocked:
            raise BadRequest("Forbidden: bot was blocked by the user", 403)
        retry_after = self.flood.check(chat.id, chat.is_group)
        if retry_after is not None:
            raise RetryAfter(retry_after)
        if self.faults.server_error and self.faults.rng.random() < self.faults.server_error:
            self.faults.errors += 1
            raise BadRequest("Internal Server Error", 500)
        message.message_id = chat.new_message_id()
        chat.messages[message.message_id] = message
        self.log.message_event(kind, message)
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        if self.faults.drop_after_send and self.faults.rng.random() < self.faults.drop_after_send:
            self.faults.dropped += 1
            raise _DropResponse
        return message.as_dict()

    def _caption(self, message: Message, p: dict[str, Any]) -> None:
        if p.get("caption"):
            message.caption, _ = markup.formatted(
                p.get("caption"),
                p.get("parse_mode"),
                p.get("caption_entities"),
                limit=markup.MAX_CAPTION,
                what="message caption",
            )
        message.reply_markup = markup.reply_markup(p.get("reply_markup"))

    def _input_file(
        self, value: Any, files: dict[str, StoredFile], field: str, folder: str
    ) -> StoredFile:
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif field in files:
            upload = files[field]
        elif isinstance(value, str) and value in self.files:
            return self.files[value]
        else:
            raise BadRequest("Bad Request: wrong file identifier/HTTP URL specified")
        if upload is None or not upload.data:
            raise BadRequest("Bad Request: file must be non-empty")
        return self._store_file(upload.data, upload.name, upload.mime_type, folder)

    def _store_file(
        self, data: bytes, name: str | None, mime: str | None, folder: str
    ) -> StoredFile:
        number = next(self._file_ids)
        stored = StoredFile(
            f"F{number:08d}",
            f"U{number:06d}",
            data,
            name,
            mime,
            f"{folder}/file_{number}_{name or 'bin'}",
        )
        self.files[stored.file_id] = stored
        return stored

    def _commands_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = decode(p.get("scope")) or {"type": "default"}
        if scope.get("type") in ("chat", "chat_administrators", "chat_member"):
            self._chat(scope.get("chat_id"))
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    async def _push_webhooks(self) -> None:
        """Push updates as the Bot API server does: up to `max_connections` requests at once,
        but the updates of one chat strictly one after another, the next only after the
        previous was answered with 2xx. A failed delivery is retried with growing delays."""
        in_flight: set[asyncio.Task[None]] = set()
        busy: set[Any] = set()  # the queues (chats) with an update on its way
        async with ClientSession(timeout=ClientTimeout(total=60)) as session:
            try:
                while self.webhook is not None:
                    async with self._changed:
                        while True:
                            if self.webhook is None:
                                return
                            ready = self._ready_for_push(busy, len(in_flight))
                            if ready:
                                break
                            await self._changed.wait()
                    for update in ready:
                        key = _queue_key(update)
                        busy.add(key)
                        task = asyncio.create_task(self._push_one(session, update))
                        in_flight.add(task)
                        task.add_done_callback(lambda t, k=key: self._pushed(t, k, busy, in_flight))
            finally:
                for task in in_flight:
                    task.cancel()

    def _ready_for_push(self, busy: set[Any], in_flight: int) -> list[dict[str, Any]]:
        assert self.webhook is not None
        limit = self.webhook["max_connections"] - in_flight
        ready: list[dict[str, Any]] = []
        keys = set(busy)
        now_ = time.monotonic()
        for update in self._updates:
            if len(ready) >= limit:
                break
            if not _allowed(update, self.webhook.get("allowed_updates")):
                continue
            key = _queue_key(update)
            if key in keys:
                continue
            keys.add(key)  # later updates of this chat wait for this one
            if self._retries.get(update["update_id"], (0, 0.0))[1] <= now_:
                ready.append(update)
        return ready

    async def _push_one(self, session: ClientSession, update: dict[str, Any]) -> None:
        assert self.webhook is not None
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        update_id = update["update_id"]
        try:
            self._fetched.setdefault(update_id, time.monotonic())
            async with session.post(self.webhook["url"], json=update, headers=headers) as resp:
                delivered = 200 <= resp.status < 300
                if not delivered:
                    log.debug("webhook answered %s for update %s", resp.status, update_id)
        except Exception as exc:  # the bot being down is normal: retry
            log.debug("webhook delivery of %s failed: %s", update_id, exc)
            delivered = False
        if delivered:
            # Our bot answers a webhook call only once the update is handled, so a 2xx is
            # the sign that it is done (a bot that answers at once would look done too early).
            processed = self._processed.get(update_id)
            if processed is not None:
                processed.set()
            self._retries.pop(update_id, None)
            with contextlib.suppress(ValueError):
                self._updates.remove(update)
            self.pushed_updates += 1
        else:
            failures = self._retries.get(update_id, (0, 0.0))[0] + 1
            delay = min(8.0, 0.25 * 2 ** (failures - 1))
            self._retries[update_id] = (failures, time.monotonic() + delay)

    def _pushed(
        self,
        task: asyncio.Task[None],
        key: Any,
        busy: set[Any],
        in_flight: set[asyncio.Task[None]],
    ) -> None:
        busy.discard(key)
        in_flight.discard(task)
        asyncio.get_running_loop().create_task(self._notify())
        if self._retries:  # wake up again when the earliest retry is due
            due = min(at for _, at in self._retries.values())
            delay = max(0.0, due - time.monotonic())
            asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.get_running_loop().create_task(self._notify())
            )

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _queue_key(update: dict[str, Any]) -> Any:
    """Like the Bot API server: one delivery queue per chat (or per user without a chat)."""
    for payload in update.values():
        if not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return ("chat", chat["id"])
        sender = payload.get("from") or payload.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return ("user", sender["id"])
    return ("update", update.get("update_id"))


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, StoredFile]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, StoredFile] = {}
    if request.method == "GET" or not request.can_read_body:
        return params, files
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("parameters must be a JSON object")
        params.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.name is None:
                continue
            data = await part.read()  # type: ignore[union-attr]
            if part.filename is not None:
                files[part.name] = StoredFile(
                    "", "", bytes(data), part.filename, part.headers.get("Content-Type"), ""
                )
            else:
                params[part.name] = bytes(data).decode("utf-8")
    else:
        params.update(dict(await request.post()))
    return params, files
