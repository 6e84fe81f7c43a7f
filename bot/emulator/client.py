"""A user-shaped client for the emulator: send text, press buttons by label, read what the bot said."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import textwrap
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from bot.emulator.server import BotAPIEmulator
from bot.emulator.state import Event, Message, find_button

BOT_KINDS = frozenset(
    {"bot_message", "bot_edit", "bot_document", "bot_photo", "bot_delete", "callback_answer"}
)


def web_app_link(url: str, token: str, user: Any, auth_date: int | None = None) -> str:
    """The Mini App's URL as Telegram opens it: `#tgWebAppData=` holds the query string of
    user, auth_date and hash, signed as Telegram documents (HMAC-SHA256 keyed by
    HMAC-SHA256("WebAppData", bot token) over the sorted key=value lines)."""
    fields = {
        "query_id": f"EMU{user.id}",
        "user": json.dumps(
            {"id": user.id, "first_name": user.first_name, "language_code": user.language_code},
            separators=(",", ":"),
            ensure_ascii=False,
        ),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    lines = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()
    fragment = urlencode(
        {"tgWebAppData": urlencode(fields), "tgWebAppVersion": "8.0", "tgWebAppPlatform": "web"}
    )
    return f"{url}#{fragment}"


class EmulatedUser:
    def __init__(
        self,
        emulator: BotAPIEmulator,
        user_id: int,
        first_name: str,
        language_code: str | None = None,
        username: str | None = None,
        timeout: float = 15.0,
    ):
        self.emulator = emulator
        self.user = emulator.add_user(user_id, first_name, language_code, username)
        self.timeout = timeout

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.first_name

    @property
    def messages(self) -> list[Message]:
        """The bot's messages in this chat as they stand now (edits applied)."""
        chat = self.emulator.chat(self.id)
        return [m for _, m in sorted(chat.messages.items()) if m.from_bot]

    @property
    def last(self) -> Message:
        messages = self.messages
        assert messages, f"the bot has sent {self.name} nothing"
        return messages[-1]

    def events(self, after: int = 0) -> list[Event]:
        return [e for e in self.emulator.log.events if e.chat_id == self.id and e.seq > after]

    async def _act(self, push: Callable[[], object]) -> list[Event]:
        before = self.emulator.log.events[-1].seq if self.emulator.log.events else 0
        update_id = await push()  # type: ignore[misc]
        await self.emulator.wait_processed(update_id, self.timeout)
        return [e for e in self.events(before) if e.kind in BOT_KINDS]

    async def send(self, text: str, entities: list[dict[str, Any]] | None = None) -> list[Event]:
        """Type a message (or a command), optionally formatted, and wait until it is handled."""
        return await self._act(
            lambda: self.emulator.user_message(self.user, text, entities=entities)
        )

    async def send_sticker(self) -> list[Event]:
        return await self._act(lambda: self.emulator.user_message(self.user, sticker=True))

    async def send_photo(self, data: bytes) -> list[Event]:
        return await self._act(lambda: self.emulator.user_message(self.user, photo=data))

    async def send_document(self, name: str, data: bytes) -> list[Event]:
        """Send a file (as from Telegram's paperclip), named `name`."""
        return await self._act(lambda: self.emulator.user_message(self.user, document=(name, data)))

    def find_button(self, label: str, message: Message | None = None) -> tuple[Message, str]:
        """The newest message with a button labelled exactly `label` (or containing it, if unique)."""
        candidates = [message] if message is not None else self.messages
        return find_button(candidates, label, self.name)

    async def click(
        self, label: str, message: Message | None = None, *, data: str | None = None
    ) -> list[Event]:
        """Press a button by its label; `data` forges what it carries (or replays a stale one)."""
        if data is not None and message is not None:
            target, sent = message, data  # e.g. a second tap that arrives before the edit
        else:
            target, button_data = self.find_button(label, message)
            sent = data if data is not None else button_data
        query: dict[str, str] = {}

        async def push() -> int:
            update_id, query["id"] = await self.emulator.user_click(self.user, target, sent, label)
            return update_id

        before = self.emulator.log.events[-1].seq if self.emulator.log.events else 0
        events = await self._act(push)
        if not self.emulator.processing_hook:
            # An external bot is only known to be done when it falls quiet; a busy one may
            # fall quiet before answering, so give the answer the rest of the timeout.
            await self._await_answer(query["id"])
            events = [e for e in self.events(before) if e.kind in BOT_KINDS]
        if self.emulator.callback_answers.get(query["id"]) is None:
            raise AssertionError(
                f"the bot left {self.name}'s press of {label!r} unanswered (spinner)"
            )
        return events

    def open_web_app(self, label: str, *, auth_date: int | None = None) -> str:
        """Press a Mini App button as Telegram does: no update reaches the bot; the app opens
        at the button's URL with the signed user data (`initData`) in the fragment."""
        for message in reversed(self.messages):
            for button in (b for row in message.buttons for b in row):
                if button["text"] == label and "web_app" in button:
                    return web_app_link(
                        button["web_app"]["url"], self.emulator.token, self.user, auth_date
                    )
        raise AssertionError(f"no Mini App button {label!r} for {self.name}")

    async def _await_answer(self, query_id: str) -> None:
        answered = await self.emulator.wait_until(
            lambda: self.emulator.callback_answers.get(query_id) is not None, self.timeout
        )
        if answered:
            await asyncio.sleep(0.3)  # and whatever the bot sends after answering

    async def block(self) -> None:
        update_id = await self.emulator.set_blocked(self.user, True)
        await self.emulator.wait_processed(update_id, self.timeout)

    async def unblock(self) -> None:
        update_id = await self.emulator.set_blocked(self.user, False)
        await self.emulator.wait_processed(update_id, self.timeout)

    async def wait_for_message(self, contains: str, timeout: float | None = None) -> Event:
        """A bot message (sent later, on the bot's own initiative) whose text contains `contains`."""
        return await self.emulator.wait_for_event(
            lambda e: e.chat_id == self.id and e.kind in BOT_KINDS and contains in e.text,
            timeout or self.timeout,
        )


def render_transcript(events: Iterable[Event], names: dict[int, str], width: int = 78) -> str:
    """The conversation as a person would read it."""
    lines: list[str] = []
    last_chat: int | None = None
    for event in events:
        if event.kind == "note":  # the narrator, not a chat
            lines += ["", f"⏩ {event.text}"]
            last_chat = None
            continue
        who = names.get(event.chat_id, str(event.chat_id))
        if event.chat_id != last_chat:
            lines.append("")
            lines.append(f"── {who} " + "─" * max(0, width - len(who) - 4))
            last_chat = event.chat_id
        lines.extend(_render(event, who, width))
    return "\n".join(lines).lstrip("\n") + "\n"


def _render(event: Event, label: str, width: int) -> list[str]:
    who = label.split(" ")[0]
    pad = " " * 8
    body = textwrap.fill
    if event.kind == "user_text":
        return [f"  {who:>5} ▸ {event.text}"]
    if event.kind == "user_click":
        return [f"  {who:>5} ▸ [{event.text}]"]
    if event.kind == "user_media":
        return [f"  {who:>5} ▸ {event.text}"]
    if event.kind in ("blocked", "unblocked"):
        return [f"  {who:>5} ✖ {event.kind} the bot"]
    if event.kind == "callback_answer":
        return [f"    bot · {event.text}"]
    if event.kind == "bot_delete":
        return ["    bot ✖ (deleted a message)"]
    mark = {"bot_edit": "✎", "bot_document": "📎", "bot_photo": "🖼"}.get(event.kind, "◂")
    out: list[str] = []
    if event.file_name:
        out.append(f"    bot {mark} {event.file_name}")
    paragraphs = event.text.split("\n") if event.text else []
    for index, paragraph in enumerate(paragraphs):
        wrapped = body(paragraph, width - 8) or ""
        for j, line in enumerate(wrapped.split("\n") if wrapped else [""]):
            prefix = f"    bot {mark} " if (index == 0 and j == 0 and not out) else pad
            out.append(prefix + line)
    for row in event.buttons:
        out.append(pad + " ".join(f"[{label}]" for label in row))
    return out
