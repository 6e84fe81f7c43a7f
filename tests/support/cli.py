"""Run `magnet-bot` as a separate process, the way an operator does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNET_")}
    env["MAGNET_SURVEY_SECRET"] = "a-test-key-that-is-not-in-the-database"
    env.update(values)
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
