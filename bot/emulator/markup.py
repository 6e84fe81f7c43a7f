"""Checks on what the bot sends, worded as the Bot API words its 400s."""

from __future__ import annotations

import json
from typing import Any

from bot.emulator.html import EntityParseError, parse_html, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "pay",
    "callback_game",
    "copy_text",
)


class BadRequest(Exception):
    def __init__(self, description: str, code: int = 400):
        super().__init__(description)
        self.description = description
        self.code = code


def decode(value: Any) -> Any:
    """Form fields carry JSON-encoded values; JSON bodies carry them as they are."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def formatted(
    text: Any, parse_mode: Any, entities: Any, *, limit: int, what: str
) -> tuple[str, list[dict[str, Any]]]:
    if text is None or (isinstance(text, str) and not text.strip()):
        raise BadRequest(f"Bad Request: {what} is empty")
    text = str(text)
    mode = (str(parse_mode) if parse_mode else "").lower()
    if mode == "html":
        try:
            plain, parsed = parse_html(text)
        except EntityParseError as exc:
            raise BadRequest(f"Bad Request: {exc}") from None
    elif mode in ("markdown", "markdownv2"):
        plain, parsed = text, []  # accepted but not interpreted; magnet-bot sends HTML
    elif mode:
        raise BadRequest(f"Bad Request: unsupported parse_mode {parse_mode!r}")
    else:
        plain, parsed = text, list(decode(entities) or [])
    if not plain.strip():
        raise BadRequest(f"Bad Request: {what} is empty")
    if utf16_len(plain) > limit:
        raise BadRequest(
            "Bad Request: message is too long"
            if what == "message text"
            else "Bad Request: message caption is too long"
        )
    return plain, parsed


def reply_markup(raw: Any) -> dict[str, Any] | None:
    markup = decode(raw)
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise BadRequest('Bad Request: field "keyboard" must be an Array of Arrays')
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    return markup


def _check_inline(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BadRequest('Bad Request: field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise BadRequest("Bad Request: text buttons are unallowed in the inline keyboard")
            actions = [a for a in INLINE_ACTIONS if a in button]
            if len(actions) != 1:
                raise BadRequest("Bad Request: text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = str(button["callback_data"]).encode("utf-8")
                if not 1 <= len(data) <= MAX_CALLBACK_DATA:
                    raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
            if "web_app" in button:
                check_web_app(button["web_app"])
            if "url" in button and not str(button["url"]).startswith(
                ("http://", "https://", "tg://")
            ):
                raise BadRequest("Bad Request: BUTTON_URL_INVALID")


def check_web_app(info: Any) -> None:
    """Telegram opens Mini Apps only from HTTPS addresses."""
    url = str(info.get("url", "")) if isinstance(info, dict) else ""
    if not url.startswith("https://"):
        raise BadRequest(
            f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: "
            "Only HTTPS links are allowed"
        )


def callback_answer_text(text: Any) -> str | None:
    if text is None or text == "":
        return None
    if len(str(text)) > MAX_CALLBACK_ANSWER:
        raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
    return str(text)
