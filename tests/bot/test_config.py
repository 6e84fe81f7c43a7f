"""Configuration from the environment: defaults, one clear line per bad value, no leaked token."""

from __future__ import annotations

import logging

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import RedactToken


def test_defaults_need_nothing_but_give_a_clear_token_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir("/")  # no .env here
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///magnet-bot.sqlite3"
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.default_locale == "sl" and settings.timezone == "Europe/Ljubljana"
    assert settings.admin_ids == frozenset() and settings.should_auto_migrate
    with pytest.raises(ConfigError, match="MAGNET_BOT_TOKEN is not set"):
        settings.token()


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNET_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("MAGNET_ADMIN_IDS", " 12, 34 ;56")
    monkeypatch.setenv("MAGNET_DATABASE_URL", "postgres://u@db/magnet")
    monkeypatch.setenv("MAGNET_COORDINATOR_CHAT_ID", "-100123")
    monkeypatch.setenv("MAGNET_DEFAULT_LOCALE", "en")
    settings = load_settings()
    assert settings.token() == "1:abc"
    assert settings.admin_ids == {12, 34, 56}
    assert settings.database_url == "postgresql+asyncpg://u@db/magnet"
    assert not settings.should_auto_migrate
    assert settings.coordinator_chat_id == -100123 and settings.default_locale == "en"
    assert "1:abc" not in repr(settings)


def test_every_bad_value_is_named_on_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNET_ADMIN_IDS", "12,maja")
    monkeypatch.setenv("MAGNET_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("MAGNET_BOT_API_URL", "api.telegram.org")
    monkeypatch.setenv("MAGNET_DEFAULT_LOCALE", "de")
    monkeypatch.setenv("MAGNET_TIMEZONE", "Europe/Celje")
    monkeypatch.setenv("MAGNET_COORDINATOR_CHAT_ID", "coordinators")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()[1:]
    names = sorted(line.split(":")[0].strip() for line in lines)
    assert names == [
        "MAGNET_ADMIN_IDS",
        "MAGNET_BOT_API_URL",
        "MAGNET_COORDINATOR_CHAT_ID",
        "MAGNET_DATABASE_URL",
        "MAGNET_DEFAULT_LOCALE",
        "MAGNET_TIMEZONE",
    ]
    assert any("comma-separated numeric Telegram user ids" in line for line in lines)
    assert any("unknown time zone 'Europe/Celje'" in line for line in lines)


def test_the_token_is_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    record = logger.makeRecord(
        "x", logging.INFO, "f", 1, "POST https://api.telegram.org/bot%s/getMe", ("1:SECRET",), None
    )
    RedactToken(["1:SECRET"]).filter(record)
    assert record.getMessage() == "POST https://api.telegram.org/bot***/getMe"


def test_json_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from bot.logs import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", ["1:SECRET"], "json")
        logging.getLogger("magnet.test").info("token %s in a url", "1:SECRET")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    record = json.loads(line)
    assert record["message"] == "token *** in a url"
    assert record["level"] == "INFO" and record["logger"] == "magnet.test"


def test_empty_optional_variables_are_unset_but_empty_quiet_hours_mean_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.config import load_settings

    for name in ("COORDINATOR_CHAT_ID", "HTTP_PORT", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.setenv(f"MAGNET_{name}", "")
    monkeypatch.setenv("MAGNET_QUIET_HOURS", "")
    monkeypatch.setenv("MAGNET_DIGEST_SCHEDULE", "")
    settings = load_settings()
    assert settings.coordinator_chat_id is None and settings.http_port is None
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.quiet_hours == "" and settings.digest_schedule == ""
