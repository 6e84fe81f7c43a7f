"""What the emulator remembers: users, chats, messages, files, and a log of what happened."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None
    is_bot: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup, channel
    title: str | None = None
    user: User | None = None
    username: str | None = None
    blocked: bool = False  # a private chat whose user blocked the bot
    next_message_id: int = 1
    messages: dict[int, Message] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or str(self.id)
            if self.username:
                data["username"] = self.username
        return data

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    name: str | None
    mime_type: str | None
    path: str


@dataclass
class Message:
    message_id: int
    chat: Chat
    sender: User
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    caption: str | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    sticker: bool = False
    edit_date: int | None = None
    html: str | None = None  # the text as the bot sent it, before parsing

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        return self.reply_markup.get("inline_keyboard") or []

    @property
    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.as_dict(),
        }
        if self.chat.type == "channel":
            data["sender_chat"] = self.chat.as_dict()
        else:
            data["from"] = self.sender.as_dict()
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.caption is not None:
            data["caption"] = self.caption
        if self.document is not None:
            data["document"] = {
                "file_id": self.document.file_id,
                "file_unique_id": self.document.unique_id,
                "file_name": self.document.name,
                "mime_type": self.document.mime_type,
                "file_size": len(self.document.data),
            }
        if self.photo is not None:
            width, height = image_size(self.photo.data)
            data["photo"] = [
                {
                    "file_id": self.photo.file_id,
                    "file_unique_id": self.photo.unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(self.photo.data),
                }
            ]
        if self.sticker:
            data["sticker"] = {
                "file_id": "STICKER",
                "file_unique_id": "STICKER_U",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass(frozen=True)
class Event:
    """One line of the transcript: who did what in which chat."""

    seq: int
    kind: str  # user_text, user_click, user_media, bot_message, bot_edit, bot_document,
    # bot_photo, bot_delete, callback_answer, blocked, unblocked
    chat_id: int
    text: str = ""
    buttons: tuple[tuple[str, ...], ...] = ()
    message_id: int | None = None
    file_name: str | None = None
    alert: bool = False
    at: float = field(default_factory=time.monotonic)


class EventLog:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.listeners: list[Callable[[Event], None]] = []  # told of each event (benchmarks)
        self._seq = itertools.count(1)

    def add(self, kind: str, chat_id: int, **fields: Any) -> Event:
        event = Event(next(self._seq), kind, chat_id, **fields)
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event

    def message_event(self, kind: str, message: Message) -> Event:
        return self.add(
            kind,
            message.chat.id,
            text=message.text or message.caption or "",
            buttons=tuple(tuple(b["text"] for b in row) for row in message.buttons),
            message_id=message.message_id,
            file_name=(message.document.name if message.document else None),
        )


def now() -> int:
    return int(time.time())


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (the only kind magnet-bot makes); 1x1 otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 1, 1


def is_image(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff"


class ButtonNotFound(AssertionError):
    pass


def find_button(messages: list[Message], label: str, whose: str) -> tuple[Message, str]:
    """Among the bot's `messages` (oldest first), the newest with a callback button labelled
    exactly `label` (or containing it, if only one does): that message and the button's data."""
    candidates = list(reversed(messages))
    for candidate in candidates:
        buttons = [b for row in candidate.buttons for b in row]
        exact = [b for b in buttons if b["text"] == label]
        loose = [b for b in buttons if label.casefold() in b["text"].casefold()]
        found = exact or (loose if len(loose) == 1 else [])
        if found:
            if "callback_data" not in found[0]:
                raise ButtonNotFound(f"button {label!r} is a link, not a callback button")
            return candidate, found[0]["callback_data"]
    shown = [m.button_labels for m in candidates if m.buttons]
    raise ButtonNotFound(f"no button {label!r} for {whose}; buttons shown: {shown}")
