"""`magnet-bot demo --serve`: after the transcript the bot keeps running, prints dashboard
links for the demo coordinator and for staff, and Ctrl+C stops it cleanly."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp

from tests.support.cli import cli_env


async def _line_with(process: asyncio.subprocess.Process, text: str, seen: list[str]) -> None:
    assert process.stdout is not None
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), 300)
        assert line, "the demo ended before printing " + repr(text) + "\n" + "".join(seen[-20:])
        seen.append(line.decode())
        if text in seen[-1]:
            return


async def test_demo_serve_prints_dashboard_links_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "demo",
        "--serve",
        env=cli_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen: list[str] = []
    try:
        await _line_with(process, "Press Ctrl+C to stop.", seen)
        out = "".join(seen)
        # Ana asked for the dashboard: off HTTPS, the bot gives her the browser link.
        assert "samo z naslova HTTPS" in out or "le z naslova HTTPS" in out
        links = [w for w in out.split() if w.startswith("http://127.0.0.1:") and "#" in w]
        ana, staff = links[-2], links[-1]
        base = ana.split("/dashboard/")[0]
        init_data = parse_qs(urlsplit(ana).fragment)["tgWebAppData"][0]
        token = parse_qs(urlsplit(staff).fragment)["token"][0]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(
                f"{base}/dashboard/session", json={"init_data": init_data}
            ) as signed_in:
                assert signed_in.status == 200, await signed_in.text()
            async with http.get(f"{base}/dashboard/api/survey") as survey:
                figures = await survey.json()
            # The latest of the demo's two rounds, its decision views beside the first's.
            assert figures["rounds"] == [2, 1] and figures["round"] == 2
            assert figures["completed"] >= 25 and figures["previous"]["round"] == 1
            [intention] = [q for q in figures["overview"] if q["question"] == "intention"]
            assert "percent" in intention["headline"] and "text" in intention["change"]
            async with http.get(f"{base}/dashboard/survey?round=1") as page:
                assert page.status == 200 and "Prebold" in await page.text()
            async with http.get(f"{base}/dashboard/api/downloads") as downloads:
                assert downloads.status == 403  # Ana coordinates; downloads are for staff
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(f"{base}/dashboard/login", data={"token": token}) as login:
                assert login.status == 200 and login.url.path == "/dashboard/survey"
            async with http.get(f"{base}/dashboard/api/downloads") as downloads:
                assert downloads.status == 200
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        rest, errors = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, errors.decode()
    assert "Stopping." in rest.decode()
    assert "Traceback" not in errors.decode()
