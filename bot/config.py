"""Settings from the environment (and an optional `.env` file), validated once at start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from bot.profile import Profile
    from bot.services.surveys.population import Population

TELEGRAM_API_URL = "https://api.telegram.org/bot"
SUPPORTED_LOCALES = ("sl", "en")

_ENV_NAMES = {
    "bot_token": "MAGNET_BOT_TOKEN",
    "database_url": "MAGNET_DATABASE_URL",
    "bot_api_url": "MAGNET_BOT_API_URL",
    "admin_ids": "MAGNET_ADMIN_IDS",
    "coordinator_chat_id": "MAGNET_COORDINATOR_CHAT_ID",
    "default_locale": "MAGNET_DEFAULT_LOCALE",
    "timezone": "MAGNET_TIMEZONE",
    "log_level": "MAGNET_LOG_LEVEL",
    "log_format": "MAGNET_LOG_FORMAT",
    "auto_migrate": "MAGNET_AUTO_MIGRATE",
    "delivery_rate": "MAGNET_DELIVERY_RATE",
    "chat_burst": "MAGNET_CHAT_BURST",
    "quiet_hours": "MAGNET_QUIET_HOURS",
    "delivery_lease_seconds": "MAGNET_DELIVERY_LEASE_SECONDS",
    "scheduler_seconds": "MAGNET_SCHEDULER_SECONDS",
    "profile": "MAGNET_PROFILE",
}


class ConfigError(Exception):
    """The environment does not describe a runnable bot; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAGNET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///magnet-bot.sqlite3"
    bot_api_url: str = TELEGRAM_API_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    coordinator_chat_id: int | None = None
    # The town profile (bot/content/profiles/magnet.yaml when unset): names, municipalities,
    # hubs, topics, the data controller, languages; `magnet-bot profile check` validates it.
    profile: Path | None = None
    # For people whose Telegram sends no language; unset: the profile's default language.
    default_locale: str | None = None
    timezone: str = "Europe/Ljubljana"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # None: migrate automatically on SQLite only; PostgreSQL deployments run `magnet-bot migrate`.
    auto_migrate: bool | None = None
    poll_timeout: float = Field(default=10.0, ge=0, le=50)
    # The most messages the bot starts itself per second. All sends share one budget of
    # Telegram's ~30/s in which replies go first, so broadcasts get what replies leave.
    delivery_rate: float = Field(default=30.0, gt=0, le=30)
    # Redis, where several replicas keep that one budget together (unset: each replica takes
    # its share of it, as the delivery workers' beats in the database tell them).
    redis_url: str | None = None
    # Messages per second the bot allows itself in one private chat (Telegram: about 1/s,
    # short bursts tolerated).
    chat_burst: int = Field(default=3, ge=1, le=10)
    # Updates one resident may have waiting; past that a flood is dropped with one notice.
    max_queued_per_resident: int = Field(default=20, ge=1, le=1000)
    quiet_hours: str = "21:00-08:00"
    delivery_lease_seconds: float = Field(default=60.0, ge=5)
    scheduler_seconds: float = Field(default=5.0, gt=0)
    # Labs: how long a freed seat is held for the next on the waitlist, and when the
    # coordinators get the feedback of a finished lab.
    offer_hours: float = Field(default=12.0, gt=0, le=24 * 14)
    feedback_report_hours: float = Field(default=48.0, ge=0)
    # Keys the hash that refuses a second survey answer without linking answers to residents.
    survey_secret: SecretStr | None = None
    # Digests for the coordinators' channel: weekly ("mon 08:00", town time; "" for none)
    # and after every N new completed responses (0 for none).
    digest_schedule: str = "mon 08:00"
    digest_every: int = Field(default=25, ge=0)
    # The bot's HTTP server for staff tools (exports); off unless a port is set.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    # Webhook mode (`magnet-bot run --webhook`): the public URL Telegram calls, which must
    # reach this bot's HTTP server, and the secret Telegram sends with every update.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Requests Telegram may make to the webhook at once (one chat's updates always one by one).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # Personal data of lab registrations is deleted this many days after the lab.
    lab_retention_days: int = Field(default=180, ge=1)
    # Aggregates resting on fewer answers than this are never shown.
    min_group_size: int = Field(default=5, ge=1)
    # A town's own survey definitions (*.yaml), run instead of the ones shipped with the bot;
    # `magnet-bot surveys check` validates them.
    surveys_dir: Path | None = None
    # The population by municipality and age band (YAML or CSV, see
    # bot/content/population/), to set the respondents beside it and post-stratify; without
    # it the decision views say that their figures are unweighted.
    population_file: Path | None = None
    # The dashboard (a Telegram Mini App on the bot's HTTP server): the address people reach
    # the server at (HTTPS for Telegram), how old Telegram's sign-in data may be, and how
    # long a dashboard session lasts.
    public_url: str | None = None
    webapp_auth_max_age: int = Field(default=86400, ge=60)
    dashboard_session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    # Conversations: opinion groups are looked for once this many people have voted.
    conversation_min_voters: int = Field(default=30, ge=2)
    # Towns comparing themselves (bot.services.network): this town's code and name in the
    # network, its Ed25519 private key (`magnet-bot network keygen`; publishing needs both),
    # the peers whose signed feeds it fetches (YAML: code, name, url, public_key), how often,
    # and how old a peer's feed may be before it is refused.
    network_town_code: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    network_town_name: str | None = None
    network_key_file: Path | None = None
    network_peers_file: Path | None = None
    network_fetch_minutes: float | None = Field(default=None, gt=0)  # else the profile's, else 60
    network_max_age_hours: float | None = Field(default=None, gt=0)  # else the profile's, else 72

    @field_validator(
        "coordinator_chat_id",
        "redis_url",
        "http_port",
        "webhook_url",
        "webhook_secret",
        "survey_secret",
        "bot_token",
        "surveys_dir",
        "population_file",
        "public_url",
        "network_town_code",
        "network_town_name",
        "network_key_file",
        "network_peers_file",
        "network_fetch_minutes",
        "network_max_age_hours",
        "profile",
        "default_locale",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Compose files pass optional variables as empty strings: those mean "not set".
        (Where empty has a meaning, as for quiet hours or the digest schedule, it keeps it.)"""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: Path | None) -> Path | None:
        from bot.profile import load_profile

        load_profile(value)  # a ProfileError says every problem, one line per field
        return value

    @field_validator("network_key_file")
    @classmethod
    def _network_key(cls, value: Path | None) -> Path | None:
        if value is not None:
            from bot.services.network.keys import load_private

            load_private(value)  # a KeyProblem says what is wrong with it
        return value

    @field_validator("network_peers_file")
    @classmethod
    def _network_peers(cls, value: Path | None) -> Path | None:
        if value is not None:
            from bot.services.network.peers import load_peers

            load_peers(value)  # a PeersError names every bad entry
        return value

    @field_validator("default_locale")
    @classmethod
    def _offered(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "profile" not in info.data:  # a bad profile is reported on its own
            return value
        from bot.profile import load_profile

        offered = load_profile(info.data["profile"]).languages
        if value not in offered:
            raise ValueError(
                f"{value!r} is not one of the profile's languages ({', '.join(offered)})"
            )
        return value

    @model_validator(mode="after")
    def _town(self) -> Settings:
        town = self.town()
        if self.default_locale is None:
            self.default_locale = town.default_language
        population = self.population_path
        if population is not None:
            from bot.services.surveys.population import PopulationError, load_population

            try:
                load_population(population, town)
            except PopulationError as exc:  # it says every problem
                name = "MAGNET_POPULATION_FILE" if self.population_file else "MAGNET_PROFILE"
                raise ValueError(f"{name}: {exc}") from None
        self._network_from_profile(town)
        return self

    def _network_from_profile(self, town: Profile) -> None:
        """The profile's key and peers files, checked as the MAGNET_NETWORK_* ones are."""
        from bot.services.network.keys import load_private
        from bot.services.network.peers import load_peers

        try:
            if self.network_key_file is None and town.network_key_file is not None:
                load_private(town.network_key_file)
            if self.network_peers_file is None and town.network_peers_file is not None:
                load_peers(town.network_peers_file)
        except ValueError as exc:  # a KeyProblem or PeersError says what is wrong
            raise ValueError(f"MAGNET_PROFILE network: {exc}") from None

    @property
    def network_code(self) -> str:
        """The town's code in the feeds: MAGNET_NETWORK_TOWN_CODE, else the profile's."""
        town = self.town()
        return self.network_town_code or town.network.code or town.code

    @property
    def network_name(self) -> str | None:
        return self.network_town_name or self.town().network.name

    @property
    def network_key(self) -> Path | None:
        return self.network_key_file or self.town().network_key_file

    @property
    def network_peers(self) -> Path | None:
        return self.network_peers_file or self.town().network_peers_file

    @property
    def network_fetch_every(self) -> float:
        """Minutes between fetches of the peers' feeds."""
        return self.network_fetch_minutes or self.town().network.fetch_minutes or 60.0

    @property
    def network_max_age(self) -> float:
        """Hours a peer's feed stays good."""
        return self.network_max_age_hours or self.town().network.max_age_hours or 72.0

    def town(self) -> Profile:
        """The town profile (validated already at start)."""
        from bot.profile import load_profile

        return load_profile(self.profile)

    @property
    def locale(self) -> str:
        """The town's language for people whose Telegram sends none (filled in at start)."""
        return self.default_locale or self.town().default_language

    @property
    def surveys_path(self) -> Path | None:
        """MAGNET_SURVEYS_DIR where set, else the profile's surveys (else the shipped)."""
        return self.surveys_dir or self.town().surveys_dir

    @property
    def population_path(self) -> Path | None:
        return self.population_file or self.town().population_file

    def population(self) -> Population | None:
        """The population table, or None (checked already at start)."""
        from bot.services.surveys.population import load_population

        path = self.population_path
        return None if path is None else load_population(path, self.town())

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError(
                    "expected comma-separated numeric Telegram user ids, e.g. 1234,5678"
                ) from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("bot_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (e.g. http://127.0.0.1:8081/bot)")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local try-out)")
        return value.rstrip("/")

    @field_validator("digest_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        from bot.timeparse import parse_schedule

        try:
            parse_schedule(value)
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc}; write it like 'mon 08:00', or empty") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use e.g. Europe/Ljubljana)") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_span(cls, value: str) -> str:
        from bot.delivery.quiet import QuietHours

        QuietHours.parse(value, ZoneInfo("UTC"))
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    @property
    def dashboard_url(self) -> str | None:
        """Where the dashboard is reached; None when the bot has no public address."""
        return f"{self.public_url}/dashboard/" if self.public_url else None

    def survey_key(self) -> str:
        """The key of the survey hashes. It must not live in the database: with it, a copy of
        the database could tell who took part in a round, and whose unfinished answers are whose."""
        if self.survey_secret is None or not self.survey_secret.get_secret_value().strip():
            raise ConfigError(
                "MAGNET_SURVEY_SECRET is not set: give the bot a long random key, kept out of "
                "the database, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self.survey_secret.get_secret_value().strip()

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "MAGNET_BOT_TOKEN is not set: get a token from @BotFather "
                "(or try `magnet-bot demo`, which needs none)"
            )
        return self.bot_token.get_secret_value().strip()


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, sqlite:///) and pick the async drivers."""
    for prefix, replacement in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ValueError(
        "must be a sqlite:///FILE or postgresql://USER@HOST/DB URL "
        "(drivers aiosqlite and asyncpg are used)"
    )


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a check across variables names its own
                lines.append(message)
                continue
            field = str(error["loc"][0])
            name = _ENV_NAMES.get(field, f"MAGNET_{field.upper()}")
            lines.append(f"{name}: {message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
