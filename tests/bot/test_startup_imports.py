"""The bot starts without the heavy libraries of features nobody has used yet: a real start
(database, surveys, handlers, web server with the dashboard, first getUpdates) in a fresh
process on a database already migrated, then a look at what it imported."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.emulator import BotAPIEmulator
from storage import migrate
from storage.db import create_engine
from tests.support.cli import cli_env
from tests.support.harness import TOKEN, eventually
from tests.support.replicas import free_port

# Each is needed only by one feature (charts, spreadsheets, clustering, dashboard pages,
# calendar files, QR codes) and costs tens to hundreds of milliseconds to import.
HEAVY = (
    "matplotlib",
    "openpyxl",
    "numpy",
    "scipy",
    "sklearn",
    "statsmodels",
    "jinja2",
    "icalendar",
    "segno",
    "xlsxwriter",
    "jsonschema",  # network feeds' validator
    "alembic",  # its script machinery: a current schema is checked without it
)

CHILD = """
import asyncio, json, sys
import bot.cli  # the entry point, as `magnet-bot run` imports it
from bot.config import load_settings
from bot.runtime import BotRuntime

async def main():
    runtime = BotRuntime(load_settings())
    await runtime.start()
    print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & HEAVY_SET)), flush=True)
    await runtime.stop()

HEAVY_SET = set(sys.argv[1:])
asyncio.run(main())
"""


async def test_start_imports_no_heavy_library(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'start.sqlite3'}"
    engine = create_engine(database)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    async with BotAPIEmulator(TOKEN) as emulator:
        env = cli_env(
            MAGNET_BOT_TOKEN=TOKEN,
            MAGNET_BOT_API_URL=emulator.base_url,
            MAGNET_DATABASE_URL=database,
            MAGNET_HTTP_PORT=str(free_port()),
            MAGNET_PUBLIC_URL="https://magnet.example.org",
            MAGNET_LOG_LEVEL="WARNING",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            *HEAVY,
            env=env,
            cwd=str(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 240)
        assert process.returncode == 0, err.decode()[-3000:]
        # It really started: it asked for updates before it reported.
        await eventually(lambda: emulator.requests.get("getUpdates"))
    imported = json.loads(out.decode().strip().splitlines()[-1])
    assert imported == [], f"imported at start: {imported}"
