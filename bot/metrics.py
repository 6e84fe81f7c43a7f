"""Prometheus metrics: updates by type, handler latency, and at each scrape the delivery
counts, outbox depth and blocked residents. One registry per running bot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from telegram import Update

from bot.codec import NS, decode
from bot.domain import OutboxStatus
from storage.models import OutboxMessage, Resident

if TYPE_CHECKING:
    from bot.context import Services

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def update_type(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback_query"
    if update.my_chat_member is not None:
        return "my_chat_member"
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        return "command"
    if message is not None:
        return "message"
    return "other"


_NAMESPACES = frozenset(NS)


def update_kind(update: object) -> str:
    """update_type, with a button press told apart by its feature (`callback:survey`)."""
    kind = update_type(update)
    if kind == "callback_query":
        assert isinstance(update, Update) and update.callback_query is not None
        decoded = decode(update.callback_query.data)
        if decoded is not None and decoded.ns in _NAMESPACES:
            return f"callback:{decoded.ns}"
    return kind


class _Delivery(Collector):
    """The delivery engine's own counts, read when Prometheus scrapes."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "magnet_delivery_attempts",
            "Outbox sends by outcome (sent, blocked, flood = 429, failed, unknown, error)",
            labels=["outcome"],
        )
        engine = self.metrics.services.delivery if self.metrics.services else None
        for outcome, count in (engine.counts if engine else {}).items():
            family.add_metric([outcome], count)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.services: Services | None = None
        self.updates = Counter(
            "magnet_updates", "Updates handled, by type", ["type"], registry=self.registry
        )
        self.latency = Histogram(
            "magnet_update_seconds",
            "Time to handle an update, from taking it to the last reply",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.kinds = Counter(
            "magnet_update_kinds",
            "Updates handled, by type and a button's feature",
            ["kind"],
            registry=self.registry,
        )
        self.statements = Counter(
            "magnet_sql_statements",
            "SQL statements run while handling updates, by the kind of update",
            ["kind"],
            registry=self.registry,
        )
        self.outbox = Gauge(
            "magnet_outbox_depth",
            "Messages waiting in the outbox, by status",
            ["status"],
            registry=self.registry,
        )
        self.blocked = Gauge(
            "magnet_blocked_residents",
            "Residents who blocked the bot",
            registry=self.registry,
        )
        self.registry.register(_Delivery(self))

    def observe(self, update: object, seconds: float, statements: int = 0) -> None:
        self.updates.labels(update_type(update)).inc()
        kind = update_kind(update)
        self.kinds.labels(kind).inc()
        self.statements.labels(kind).inc(statements)
        self.latency.observe(seconds)

    async def refresh(self) -> None:
        """The figures that live in the database, read at scrape time."""
        if self.services is None:
            return
        async with self.services.sessions() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
                .group_by(OutboxMessage.status)
            )
            depth = dict(rows.all())
            blocked = await session.scalar(
                select(func.count()).where(Resident.is_active.is_(False))
            )
        for status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            self.outbox.labels(status).set(depth.get(status, 0))
        self.blocked.set(blocked or 0)
