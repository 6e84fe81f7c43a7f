"""Publishing this town's feed and fetching the peers': the network feature's operations."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.network import keys
from bot.services.network.compare import Comparison, compare
from bot.services.network.feed import (
    MAX_FEED_BYTES,
    FeedRejected,
    build_payload,
    check_feed,
    sign_feed,
)
from bot.services.network.peers import Peer, load_peers
from bot.services.surveys.view_types import DecisionViews
from bot.services.surveys.views import DecisionViewService
from storage.models import utcnow
from storage.repositories import network as repo

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 20.0
# A feed is rebuilt at most this often, however often it is asked for.
FEED_CACHE = timedelta(seconds=60)


@dataclass(frozen=True)
class NetworkConfig:
    town_code: str | None
    town_name: str | None
    k: int
    fetch_every: timedelta = timedelta(hours=1)
    max_age: timedelta = timedelta(hours=72)


@dataclass(frozen=True)
class PeerStatus:
    code: str
    name: str
    generated_at: datetime | None  # of the last good feed
    checked_at: datetime | None
    last_error: str | None  # why the latest fetch was refused


class NetworkService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        views: DecisionViewService,
        survey_codes: Sequence[str],
        config: NetworkConfig,
        *,
        key: Ed25519PrivateKey | None = None,
        peers: Sequence[Peer] = (),
    ):
        self._sessions = sessions
        self._views = views
        self._codes = list(survey_codes)
        self.config = config
        self._key = key
        self.peers = list(peers)
        self._next_fetch: datetime | None = None
        self._cached: tuple[datetime, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        views: DecisionViewService,
        survey_codes: Sequence[str],
    ) -> NetworkService:
        key = None
        key_file, peers_file = settings.network_key, settings.network_peers
        if key_file is not None:
            key = keys.load_private(key_file)
            if keys.too_open(key_file):
                log.warning("the network private key file may be read by others: chmod 600 it")
        peers = []
        if peers_file is not None:
            peers = load_peers(peers_file, settings.network_code)
        config = NetworkConfig(
            town_code=settings.network_code,
            town_name=settings.network_name,
            k=settings.min_group_size,
            fetch_every=timedelta(minutes=settings.network_fetch_every),
            max_age=timedelta(hours=settings.network_max_age),
        )
        return cls(sessions, views, survey_codes, config, key=key, peers=peers)

    @property
    def publishing(self) -> bool:
        return self._key is not None and self.config.town_code is not None

    @property
    def enabled(self) -> bool:
        return self.publishing or bool(self.peers)

    @property
    def town_name(self) -> str:
        return self.config.town_name or self.config.town_code or ""

    async def _rounds(self) -> list[DecisionViews]:
        found = []
        for code in self._codes:
            views = await self._views.decision_views(code)
            if views is not None:
                found.append(views)
        return found

    def payload(self, rounds: list[DecisionViews], now: datetime) -> dict[str, Any]:
        """Our own figures as a peer would read them (unsigned)."""
        return build_payload(
            self.config.town_code or "self", self.town_name, self.config.k, rounds, now
        )

    async def feed(self, now: datetime | None = None) -> dict[str, Any] | None:
        """The signed feed to publish; None when this town does not publish."""
        if not self.publishing:
            return None
        assert self._key is not None
        now = now or utcnow()
        async with self._lock:
            if self._cached is not None and now - self._cached[0] < FEED_CACHE:
                return self._cached[1]
            signed = sign_feed(self.payload(await self._rounds(), now), self._key)
            self._cached = (now, signed)
            return signed

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Fetch the peers' feeds when due (scheduled, on the leading replica only)."""
        now = now or utcnow()
        if not self.peers or (self._next_fetch is not None and now < self._next_fetch):
            return {"network_feeds": 0}
        self._next_fetch = now + self.config.fetch_every
        return {"network_feeds": await self.fetch_all(now)}

    async def fetch_all(self, now: datetime | None = None) -> int:
        """Every peer's feed, checked; the number taken."""
        now = now or utcnow()
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            results = await asyncio.gather(*(self._fetch(http, p, now) for p in self.peers))
        return sum(results)

    async def _fetch(self, http: aiohttp.ClientSession, peer: Peer, now: datetime) -> bool:
        try:
            body = await _download(http, peer.url)
        except (aiohttp.ClientError, TimeoutError, FeedRejected) as exc:
            reason = exc.reason if isinstance(exc, FeedRejected) else "unreachable"
            await self._reject(peer, reason, now)
            log.warning("network feed of peer %s not fetched: %s", peer.code, reason)
            return False
        async with self._sessions() as session:
            last = await repo.get_feed(session, peer.code)
            newer_than = last.generated_at if last is not None and last.body else None
        try:
            checked = check_feed(
                body,
                town_code=peer.code,
                public_key=peer.public_key,
                now=now,
                max_age=self.config.max_age,
                newer_than=newer_than,
            )
        except FeedRejected as exc:
            # Recorded first, so whoever reads the log finds the database saying the same.
            await self._reject(peer, exc.reason, now)
            # The reason and where the feed broke, never its contents or the peer's URL.
            log.warning("network feed of peer %s rejected: %s", peer.code, exc)
            return False
        async with self._sessions.begin() as session:
            await repo.record_feed(
                session,
                peer.code,
                body=body.decode("utf-8"),
                key_id=checked.key_id,
                generated_at=checked.generated_at,
                at=now,
            )
        log.info("network feed of peer %s taken (generated %s)", peer.code, checked.generated_at)
        return True

    async def _reject(self, peer: Peer, reason: str, now: datetime) -> None:
        async with self._sessions.begin() as session:
            await repo.record_rejection(session, peer.code, reason, now)

    async def peer_payloads(self, now: datetime | None = None) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
        """Each peer's last good feed, checked again (the database could have been altered
        since, and a feed past its age is no longer shown)."""
        now = now or utcnow()
        async with self._sessions() as session:
            rows = {row.peer_code: row for row in await repo.list_feeds(session)}
        found = []
        for peer in self.peers:
            row = rows.get(peer.code)
            if row is None or row.body is None:
                continue
            try:
                checked = check_feed(
                    row.body.encode("utf-8"),
                    town_code=peer.code,
                    public_key=peer.public_key,
                    now=now,
                    max_age=self.config.max_age,
                )
            except FeedRejected as exc:
                log.info("stored network feed of peer %s not shown: %s", peer.code, exc.reason)
                continue
            found.append((peer.code, peer.name, checked.payload))
        return found

    async def comparisons(
        self, rounds: list[DecisionViews] | None = None, now: datetime | None = None
    ) -> list[Comparison]:
        """Our town beside the network median and each peer, for questions asked alike."""
        if not self.peers:
            return []
        now = now or utcnow()
        peers = await self.peer_payloads(now)
        if not peers:
            return []
        rounds = rounds if rounds is not None else await self._rounds()
        return compare(self.payload(rounds, now), peers, self.config.k)

    async def statuses(self) -> list[PeerStatus]:
        async with self._sessions() as session:
            rows = {row.peer_code: row for row in await repo.list_feeds(session)}
        return [
            PeerStatus(
                p.code,
                p.name,
                row.generated_at if row else None,
                row.checked_at if row else None,
                row.last_error if row else None,
            )
            for p in self.peers
            for row in [rows.get(p.code)]
        ]


async def _download(http: aiohttp.ClientSession, url: str) -> bytes:
    async with http.get(url, headers={"Accept": "application/json"}) as response:
        if response.status != 200:
            raise FeedRejected("http", str(response.status))
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > MAX_FEED_BYTES:
                raise FeedRejected("too_large")
            chunks.append(chunk)
    return b"".join(chunks)


def feed_bytes(feed: dict[str, Any]) -> bytes:
    """The feed as served: readable JSON (the signature is over the payload's canonical form,
    not over these bytes, so the whitespace here does not matter)."""
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")
