"""Telegram's HTML parse mode: the supported tags and entities, and its errors."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

# tag -> entity type; span and tg-emoji need an attribute to mean anything
TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")


class EntityParseError(ValueError):
    pass


@dataclass
class _Open:
    tag: str
    start: int
    attrs: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities, or EntityParseError worded as Telegram words it."""
    out: list[str] = []
    out_len = 0  # in UTF-16 code units, as Telegram counts offsets
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char == "<":
            match = _TAG.match(source, pos)
            if match is None:
                raise EntityParseError(
                    "Can't parse entities: unexpected end of name token at byte offset "
                    f"{_byte_offset(source, pos)}"
                )
            closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in TAGS:
                kind = "end" if closing else "start"
                raise EntityParseError(
                    f'Can\'t parse entities: unsupported {kind} tag "{name}" at byte offset '
                    f"{_byte_offset(source, pos)}"
                )
            if closing:
                if not stack or stack[-1].tag != name:
                    expected = stack[-1].tag if stack else None
                    raise EntityParseError(
                        f"Can't parse entities: unmatched end tag at byte offset "
                        f'{_byte_offset(source, pos)}, expected "</{expected}>", found "</{name}>"'
                    )
                opened = stack.pop()
                entity = _entity(opened, out_len)
                if entity is not None:
                    entities.append(entity)
            else:
                attrs = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR.finditer(raw_attrs)
                }
                stack.append(_Open(name, out_len, attrs))
            pos = match.end()
        elif char == "&":
            match = _ENTITY.match(source, pos)
            if match is None:
                raise EntityParseError(
                    "Can't parse entities: can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, pos)}"
                )
            body = match.group(1)
            if body.startswith("#x"):
                text = chr(int(body[2:], 16))
            elif body.startswith("#"):
                text = chr(int(body[1:]))
            elif body in NAMED_ENTITIES:
                text = NAMED_ENTITIES[body]
            else:
                raise EntityParseError(
                    f'Can\'t parse entities: unsupported HTML entity "&{body};" at byte offset '
                    f"{_byte_offset(source, pos)}"
                )
            out.append(text)
            out_len += utf16_len(text)
            pos = match.end()
        elif char == ">":
            raise EntityParseError(
                "Can't parse entities: character '>' is reserved and must be escaped "
                f"at byte offset {_byte_offset(source, pos)}"
            )
        else:
            out.append(char)
            out_len += utf16_len(char)
            pos += 1
    if stack:
        raise EntityParseError(
            f"Can't parse entities: can't find end tag corresponding to start tag \"{stack[-1].tag}\""
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity(opened: _Open, end: int) -> dict[str, Any] | None:
    length = end - opened.start
    if length <= 0:
        return None
    kind = TAGS[opened.tag]
    entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
    if opened.tag == "span":
        if opened.attrs.get("class") != "tg-spoiler":
            return None
    elif opened.tag == "a":
        href = opened.attrs.get("href", "")
        if href.startswith("tg://user?id="):
            entity.update(type="text_mention", user={"id": int(href.split("=", 1)[1])})
        elif href:
            entity["url"] = href
        else:
            return None
    elif opened.tag == "pre" and "language" in opened.attrs:
        entity["language"] = opened.attrs["language"]
    elif opened.tag == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif opened.tag == "tg-emoji":
        entity["custom_emoji_id"] = opened.attrs.get("emoji-id", "")
    return entity
