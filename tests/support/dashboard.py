"""Signing in to the dashboard as Telegram would: initData signed with the bot's token."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from bot.dashboard.auth import sign_init_data
from tests.support.harness import TOKEN


def init_data(
    telegram_id: int,
    language_code: str = "sl",
    *,
    auth_date: float | None = None,
    token: str = TOKEN,
    **extra: str,
) -> str:
    """The `initData` string Telegram hands a Mini App opened by this user."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": telegram_id, "first_name": "Test", "language_code": language_code},
            separators=(",", ":"),
        ),
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
        **extra,
    }
    fields["hash"] = sign_init_data(fields, token)
    return urlencode(fields)
