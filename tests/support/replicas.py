"""Running real `magnet-bot run --webhook` processes behind a small load balancer, as a
network of towns would run several replicas behind nginx or a cloud load balancer."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

WEBHOOK_SECRET = "replica_secret-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Balancer:
    """Round robin over the replicas' webhook ports; a replica that refuses the connection is
    skipped (it died), as a load balancer's health checks would. Counts what each one got."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.port = 0
        self.forwarded: Counter[int] = Counter()
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/webhook"

    async def start(self) -> None:
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=70))
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        start = next(self._turn)
        for n in range(len(self.ports)):
            port = self.ports[(start + n) % len(self.ports)]
            try:
                async with self._client.request(
                    request.method,
                    f"http://127.0.0.1:{port}{request.path_qs}",
                    data=body,
                    headers=headers,
                ) as upstream:
                    payload = await upstream.read()
                    self.forwarded[port] += 1
                    return web.Response(status=upstream.status, body=payload)
            except aiohttp.ClientConnectionError:
                continue  # down: try the next replica
        return web.Response(status=502)


@dataclass
class Replica:
    name: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def ready(self, timeout: float = 60.0) -> None:
        """Until /readyz answers 200 (and the process has not died)."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"replica {self.name} exited:\n{self.log[-3000:]}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"replica {self.name} not ready:\n{self.log[-3000:]}")
                await asyncio.sleep(0.1)

    async def metrics(self) -> str:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(f"http://127.0.0.1:{self.port}/metrics") as response,
        ):
            return await response.text()

    async def terminate(self, timeout: float = 60.0) -> int:
        if self.process.returncode is None:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


async def start_replica(
    name: str,
    *,
    directory: Path,
    token: str,
    api_url: str,
    database_url: str,
    webhook_url: str,
    port: int | None = None,
    webhook: bool = True,
    **extra: str,
) -> Replica:
    """`magnet-bot run [--webhook]` in its own process; its log goes to a file (a pipe nobody
    reads would fill and block the bot)."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNET_")}
    env.update(
        MAGNET_BOT_TOKEN=token,
        MAGNET_SURVEY_SECRET="a-test-key-that-is-not-in-the-database",
        MAGNET_BOT_API_URL=api_url,
        MAGNET_DATABASE_URL=database_url,
        MAGNET_HTTP_PORT=str(port),
        MAGNET_QUIET_HOURS="",
        MAGNET_LOG_FORMAT="json",
        MAGNET_LOG_LEVEL="INFO",
    )
    if webhook:
        env.update(MAGNET_WEBHOOK_URL=webhook_url, MAGNET_WEBHOOK_SECRET=WEBHOOK_SECRET)
    env.update(extra)
    log_path = directory / f"replica-{name}.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            *(["--webhook"] if webhook else []),
            env=env,
            cwd=str(directory),
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
    return Replica(name, port, process, log_path, env)


def metric_total(text: str, name: str, **labels: str) -> float:
    """Sum a Prometheus counter's samples whose labels include `labels`."""
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
