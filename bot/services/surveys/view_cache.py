"""A small LRU of computed decision views, keyed on everything that changes them.

The key carries the round's state as the database has it at the time of asking (the number
of completed responses, the sum of their ids, the latest completion: see
`storage.repositories.digests.round_state`), the previous round's state, the funnel, the
definition's version, the filters, k and the population table. A response completing or a
resident forgotten changes the state, so the next request misses and recomputes: no entry
is ever served for data that has since changed, and nothing has to remember to invalidate.
Entries are immutable (frozen dataclasses), so requests may share them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from bot.services.surveys.population import Population

T = TypeVar("T")
SIZE = 64


class ViewCache(Generic[T]):
    def __init__(self, size: int = SIZE):
        self.size = size
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[T]] = {}
        self.hits = self.misses = 0

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The entry for `key`, computed once however many requests ask for it at once."""
        while key not in self._entries and key in self._pending:
            computing = self._pending[key]
            try:
                return await asyncio.shield(computing)
            except asyncio.CancelledError:
                if not computing.cancelled():
                    raise  # this request was cancelled, not the one it waited on
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(value)
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return value
        finally:
            del self._pending[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def population_key(population: Population | None) -> Hashable:
    """The table's contents (a reloaded file with other figures is another key)."""
    if population is None:
        return None
    return (
        tuple(sorted(population.people.items())),
        population.approximate,
        population.order,
        population.source,
    )
