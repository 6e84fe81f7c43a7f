"""python-telegram-bot's HTTP client on aiohttp (its documented `BaseRequest` extension point).

The bot already runs aiohttp for its web server; HTTPX beside it cost a third of the CPU of a
simple update (its pool and request models in pure Python) and two certificate stores loaded
at every start. Behaves as PTB's HTTPXRequest does: the same default timeouts, a longer write
timeout for uploads, a bounded connection pool, and the same errors (TimedOut, NetworkError).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """One aiohttp session with its own pool of `connection_pool_size` connections."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ):
        self._pool_size = connection_pool_size
        self._read, self._write = read_timeout, write_timeout
        self._connect, self._pool = connect_timeout, pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Made here, inside the running loop, as aiohttp wants.
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),
            )

    async def shutdown(self) -> None:
        if self._session is None or self._session.closed:
            log.debug("this AiohttpRequest is already shut down")
            return
        await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write: float | None
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write if files else self._write
        else:
            write = write_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` covers the wait for a free connection and the connecting.
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        # aiohttp has no write timeout of its own: the whole exchange is bounded instead by
        # the sum of the four, so that a stalled upload cannot hang forever.
        parts = (read, write, connect, pool)
        overall = None if any(p is None for p in parts) else sum(p for p in parts if p)
        try:
            async with asyncio.timeout(overall):
                async with self._session.request(
                    method, url, data=_body(request_data, files), timeout=timeout
                ) as response:
                    return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            # No connection came free or none could be made: as HTTPXRequest's pool timeout,
            # the request surely did not reach Telegram (the delivery engine relies on it).
            raise TimedOut(
                "Pool or connect timeout: no connection to Telegram. Request was *not* sent "
                "to Telegram."
            ) from exc
        except TimeoutError as exc:
            # Reading the answer (aiohttp's SocketTimeoutError) or the exchange as a whole.
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> Any:
    """Form fields as HTTPXRequest sends them: urlencoded, or multipart when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        if not isinstance(content, bytes):  # a file handle (PTB 21.5+): read it here
            with contextlib.suppress(AttributeError, OSError):
                content.seek(0)
            content = content.read()
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
