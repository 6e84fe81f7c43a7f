"""The Bot API methods the emulator answers, as Telegram documents them (mixed into the server)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

from bot.emulator import markup
from bot.emulator.markup import BadRequest, decode
from bot.emulator.state import Message, StoredFile, is_image, now

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


class RetryAfter(Exception):
    def __init__(self, seconds: int):
        self.seconds = seconds


def truthy(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _allowed(update: dict[str, Any], allowed: Any) -> bool:
    if not allowed:
        return True
    return any(key in update for key in allowed)


def _message_text(p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return markup.formatted(
        p.get("text"),
        p.get("parse_mode"),
        p.get("entities"),
        limit=markup.MAX_TEXT,
        what="message text",
    )


class BotAPIMethods:
    """`_m_<method>` answers the Bot API method of that name; the server supplies the state."""

    async def _m_getMe(self, p: dict[str, Any], f: dict[str, StoredFile]) -> dict[str, Any]:
        return self.bot.as_dict() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getUpdates(self, p: dict[str, Any], f: dict[str, StoredFile]) -> list[Any]:
        if self.webhook is not None:
            raise BadRequest(
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                409,
            )
        offset = int(p.get("offset") or 0)
        limit = max(1, min(100, int(p.get("limit") or 100)))
        timeout = max(0.0, float(p.get("timeout") or 0))
        allowed = decode(p.get("allowed_updates"))
        async with self._changed:
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed.notify_all()
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                batch = [u for u in self._updates if _allowed(u, allowed)][:limit]
                if batch:
                    for update in batch:
                        self._fetched.setdefault(update["update_id"], time.monotonic())
                    return batch
                if generation != self._poll_generation:
                    raise BadRequest(
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                        409,
                    )
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def _m_setWebhook(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return await self._m_deleteWebhook(p, f)
        if not url.startswith(("http://", "https://")):
            raise BadRequest(
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise BadRequest("Bad Request: secret token contains unallowed characters")
        if truthy(p.get("drop_pending_updates")):
            self._updates.clear()
        connections = int(p.get("max_connections") or 40)
        if not 1 <= connections <= 100:
            raise BadRequest("Bad Request: max_connections must be between 1 and 100")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": decode(p.get("allowed_updates")),
            "max_connections": connections,
        }
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push_webhooks())
        return True

    async def _m_deleteWebhook(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        self.webhook = None
        if truthy(p.get("drop_pending_updates")):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(
        self, p: dict[str, Any], f: dict[str, StoredFile]
    ) -> dict[str, Any]:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "max_connections": self.webhook["max_connections"] if self.webhook else 0,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_sendMessage(self, p: dict[str, Any], f: dict[str, StoredFile]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        text, entities = _message_text(p)
        message = Message(
            0, chat, self.bot, now(), text=text, entities=entities, html=str(p.get("text"))
        )
        message.reply_markup = markup.reply_markup(p.get("reply_markup"))
        return await self._deliver(chat, message, "bot_message")

    async def _m_sendDocument(self, p: dict[str, Any], f: dict[str, StoredFile]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        stored = self._input_file(p.get("document"), f, "document", "documents")
        message = Message(0, chat, self.bot, now(), document=stored)
        self._caption(message, p)
        return await self._deliver(chat, message, "bot_document")

    async def _m_sendPhoto(self, p: dict[str, Any], f: dict[str, StoredFile]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        stored = self._input_file(p.get("photo"), f, "photo", "photos")
        if not is_image(stored.data):
            raise BadRequest("Bad Request: IMAGE_PROCESS_FAILED")
        message = Message(0, chat, self.bot, now(), photo=stored)
        self._caption(message, p)
        return await self._deliver(chat, message, "bot_photo")

    async def _m_editMessageText(
        self, p: dict[str, Any], f: dict[str, StoredFile]
    ) -> dict[str, Any]:
        message = self._bot_message(p)
        if message.text is None:
            raise BadRequest("Bad Request: there is no text in the message to edit")
        text, entities = _message_text(p)
        new_markup = markup.reply_markup(p.get("reply_markup"))
        if (
            text == message.text
            and entities == message.entities
            and new_markup == message.reply_markup
        ):
            raise BadRequest(NOT_MODIFIED)
        message.text, message.entities, message.html = text, entities, str(p.get("text"))
        message.reply_markup = new_markup
        message.edit_date = now()
        self.log.message_event("bot_edit", message)
        return message.as_dict()

    async def _m_editMessageReplyMarkup(
        self, p: dict[str, Any], f: dict[str, StoredFile]
    ) -> dict[str, Any]:
        message = self._bot_message(p)
        new_markup = markup.reply_markup(p.get("reply_markup"))
        if new_markup == message.reply_markup:
            raise BadRequest(NOT_MODIFIED)
        message.reply_markup = new_markup
        message.edit_date = now()
        self.log.message_event("bot_edit", message)
        return message.as_dict()

    async def _m_deleteMessage(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        chat = self._chat(p.get("chat_id"))
        message = chat.messages.pop(int(p.get("message_id") or 0), None)
        if message is None:
            raise BadRequest("Bad Request: message to delete not found")
        self.log.add("bot_delete", chat.id, message_id=message.message_id)
        return True

    async def _m_answerCallbackQuery(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self.callback_answers or self.callback_answers[query_id] is not None:
            raise BadRequest(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        text = markup.callback_answer_text(p.get("text"))
        alert = truthy(p.get("show_alert"))
        self.callback_answers[query_id] = {"text": text, "show_alert": alert}
        if text:
            self.log.add("callback_answer", self._query_chats[query_id], text=text, alert=alert)
        return True

    async def _m_setMyCommands(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        commands = decode(p.get("commands"))
        if not isinstance(commands, list) or len(commands) > 100:
            raise BadRequest("Bad Request: commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not _COMMAND_NAME.match(str(command.get("command", ""))):
                raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise BadRequest("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = commands
        return True

    async def _m_getMyCommands(self, p: dict[str, Any], f: dict[str, StoredFile]) -> list[Any]:
        return self.commands.get(self._commands_key(p), [])

    async def _m_deleteMyCommands(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    async def _m_setChatMenuButton(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        """The menu button of one private chat (or the default): commands, or a Mini App."""
        button = decode(p.get("menu_button")) or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise BadRequest("Bad Request: can't parse menu button")
        if button["type"] == "web_app":
            if not str(button.get("text", "")).strip():
                raise BadRequest("Bad Request: menu button text is empty")
            markup.check_web_app(button.get("web_app"))
        chat_id = p.get("chat_id")
        key = int(chat_id) if chat_id not in (None, "") else 0
        if key:
            self._chat(key)
        self.menu_buttons[key] = button
        return True

    async def _m_getChatMenuButton(
        self, p: dict[str, Any], f: dict[str, StoredFile]
    ) -> dict[str, Any]:
        chat_id = p.get("chat_id")
        key = int(chat_id) if chat_id not in (None, "") else 0
        return self.menu_buttons.get(key) or self.menu_buttons.get(0) or {"type": "commands"}

    async def _m_getFile(self, p: dict[str, Any], f: dict[str, StoredFile]) -> dict[str, Any]:
        stored = self.files.get(str(p.get("file_id")))
        if stored is None:
            raise BadRequest("Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    async def _m_sendChatAction(self, p: dict[str, Any], f: dict[str, StoredFile]) -> bool:
        self._chat(p.get("chat_id"))
        return True

    async def _m_getChat(self, p: dict[str, Any], f: dict[str, StoredFile]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        return chat.as_dict() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }
