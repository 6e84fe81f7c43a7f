"""The `magnet-bot` command as a separate process, the way an operator runs it."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bot.emulator import BotAPIEmulator, EmulatedUser, RateLimits
from storage.migrate import head_revision
from tests.support.cli import cli_env, run_cli
from tests.support.harness import eventually

TOKEN = "5555:RUN-TOKEN-must-never-be-logged"


async def test_run_serves_residents_of_any_bot_api_server(tmp_path: Path) -> None:
    async with BotAPIEmulator(TOKEN, limits=RateLimits()) as emulator:
        env = cli_env(
            MAGNET_BOT_TOKEN=TOKEN,
            MAGNET_BOT_API_URL=emulator.base_url,
            MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            MAGNET_LOG_LEVEL="DEBUG",
        )
        # The log goes to files: a pipe nobody reads fills up, and a DEBUG log then blocks
        # the bot on its next write.
        out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=env,
                cwd=str(tmp_path),
                stdout=out_file,
                stderr=err_file,
            )
        try:
            # The bot is ready once it has polled; no hook into it, so wait as a client would.
            # A start takes 1.5 s on an idle machine, many times that on a loaded one: wait
            # for the poll or the process's end, with a deadline only against a hang.
            deadline = asyncio.get_running_loop().time() + 120
            while not emulator.requests.get("getUpdates") and process.returncode is None:
                assert asyncio.get_running_loop().time() < deadline, "the bot never polled"
                await asyncio.sleep(0.05)
            assert emulator.requests.get("getUpdates"), err_path.read_text(encoding="utf-8")
            ana = EmulatedUser(emulator, 11, "Ana", "sl")
            ben = EmulatedUser(emulator, 12, "Ben", "en")
            # A bot in another process gives no sign that it is done with an update, and on a
            # loaded machine it can be quiet for a while before it answers: wait for the answers.
            await ana.send("/start")
            await ben.send("/start")
            await eventually(lambda: len(ana.messages) >= 2 and len(ben.messages) >= 2, timeout=60)
            assert ana.messages[0].text.startswith("Pozdravljeni, Ana!")
            assert ana.messages[1].button_labels[:2] == ["✅ Strinjam se", "Ne, hvala"]
            assert ben.messages[0].text.startswith("Hello, Ben!")
            assert ben.messages[1].button_labels[:2] == ["✅ I agree", "No, thanks"]
            await ana.click("✅ Strinjam se")
            await eventually(lambda: "Kje živite?" in ana.last.text, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        log = err_path.read_text(encoding="utf-8")
        assert process.returncode == 0, log
        assert "magnet-bot is running as @magnet_demo_bot" in log
        assert "DEBUG" in log  # verbose logging, and still no token
        assert TOKEN not in log and TOKEN not in out_path.read_text(encoding="utf-8")
        assert "RUN-TOKEN" not in log


def test_run_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli("run", env=cli_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "MAGNET_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_a_survey_key_refuses_to_start(tmp_path: Path) -> None:
    """The survey hash key must not live in the database, so the bot will not make one up."""
    result = run_cli(
        "run", env=cli_env(MAGNET_BOT_TOKEN=TOKEN, MAGNET_SURVEY_SECRET=""), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "MAGNET_SURVEY_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_reported_per_variable(tmp_path: Path) -> None:
    result = run_cli(
        "run", env=cli_env(MAGNET_TIMEZONE="Mars/Base", MAGNET_ADMIN_IDS="x"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "MAGNET_TIMEZONE: unknown time zone 'Mars/Base'" in result.stderr
    assert "MAGNET_ADMIN_IDS:" in result.stderr


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MAGNET_TIMEZONE=Nowhere/Land\n")
    result = run_cli("migrate", env=cli_env(), cwd=tmp_path)
    assert result.returncode == 2 and "MAGNET_TIMEZONE" in result.stderr


def test_migrate_on_sqlite_and_the_hubs_command(tmp_path: Path) -> None:
    env = cli_env(MAGNET_DATABASE_URL=f"sqlite:///{tmp_path / 'm.sqlite3'}")
    result = run_cli("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"database at revision {head_revision()} (was empty)" in result.stdout
    result = run_cli(
        "hubs", "set-address", "celje", "Ljubljanska cesta 1, 3000 Celje", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Ljubljanska cesta 1, 3000 Celje" in result.stdout
    result = run_cli("hubs", "set-address", "velenje", "x", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "no hub with code 'velenje'" in result.stderr


async def test_postgres_must_be_migrated_before_run(postgres_url: str, tmp_path: Path) -> None:
    async with BotAPIEmulator(TOKEN) as emulator:
        env = cli_env(
            MAGNET_BOT_TOKEN=TOKEN,
            MAGNET_BOT_API_URL=emulator.base_url,
            MAGNET_DATABASE_URL=postgres_url,
        )
        result = await asyncio.to_thread(run_cli, "run", env=env, cwd=tmp_path)
        assert result.returncode == 2
        assert "run `magnet-bot migrate` first" in result.stderr
        result = await asyncio.to_thread(run_cli, "migrate", env=env, cwd=tmp_path)
        assert result.returncode == 0 and f"revision {head_revision()}" in result.stdout


def test_i18n_check_passes(tmp_path: Path) -> None:
    result = run_cli("i18n", "check", env=cli_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_demo_prints_a_transcript_and_exits_0(tmp_path: Path) -> None:
    result = run_cli("demo", env=cli_env(), cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "── Ana (sl)" in out and "── Ben (en)" in out
    assert "Pozdravljeni, Ana!" in out and "Hello, Ben!" in out
    assert "Vse je pripravljeno, Ana!" in out and "You're all set, Ben!" in out
    assert "MiniHub Prebold" in out
    # The announcement: composed in Slovenian and English, delivered, reported.
    ben_sections = out.split("── Ben (en)")[1:]
    assert any("Celje energy community: information evening" in part for part in ben_sections)
    assert "📣 Obvestilo št. 1: poročilo o dostavi" in out and "✅ Dostavljeno: 2" in out
    # The lab: created in chat, filled, a seat offered along the waitlist, a reminder.
    assert "Nova delavnica, korak 1 od 12" in out and "🪑 še 2 prosti mesti" in out
    assert "je 100-odstotno zasedena" in out  # in the coordinators' group
    assert "⏳ You are number 1 on the waitlist." in out
    assert "🎟 A seat has come free" in out and "magnet-lab-1.ics" in out
    assert "⏩ The demo skips ahead" in out and out.count("⏰ Reminder:") == 2
    # The survey, answered in Slovenian, with an answer changed from the summary.
    assert "Vprašanje 2 · približno" in out and "Kje večinoma živite?" in out
    assert "Vaši odgovori" in out
    assert "✅ Hvala! Vaši odgovori so shranjeni." in out and "se je udeležili?" in out
    # The end: made-up respondents, labelled as such, a digest in the coordinators' group
    # with a small group hidden, and the staff export of the round.
    assert "DEMO DATA:" in out and "made-up respondents" in out
    assert "📊 Povzetek" in out and "Po občinah" in out
    assert "so skriti (•)" in out  # what a group too small to show would look like
    # Two rounds, compared: Celje and Prebold side by side, the round before, a /povzetek view.
    assert "⏩ The demo skips ahead half a year" in out
    assert "📊 Povzetek: Ostati ali oditi?, 2. krog" in out
    assert "V 1. krogu je bilo 36 izpolnjenih anket." in out
    assert "• Celje: 20" in out and "• Prebold: 14" in out
    assert (
        "📊 Ostati ali oditi?, 2. krog: Po občinah" in out and "[📤 Pošlji povzetek v kanal]" in out
    )
    assert "stay_or_leave-round1.csv" in out and "stay_or_leave-round1.xlsx" in out
    assert "stay_or_leave-round1-codebook.csv" in out
    # An idea from Ben, approved in the group, supported by Cene, answered by Ana: both told.
    ben_said = "".join(ben_sections)
    assert "Your idea “Bike shelter at Celje station” has been published" in ben_said
    assert "News about an idea" in ben_said and "Status: Planned" in ben_said
    assert "Stanje: Načrtovana" in out and "kolesarnico postavila spomladi" in out
    # A conversation: Ben votes, made-up residents in two camps, Ana closes it; Ben hears
    # the result and the coordinators' group gets the report.
    assert "The conversation is closed: thank you for voting!" in ben_said
    assert "We found 2 groups of opinion (A: 8, B: 8)." in ben_said
    assert "What everyone agrees on" in ben_said and "Where opinions divide" in ben_said
    group_said = "".join(out.split("── Koordinatorji MAGNET (coordinators' group)")[1:])
    assert "📊 Pogovor je zaključen" in group_said
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.sqlite3"))  # the demo leaves nothing behind


async def test_the_emulator_command_serves_the_bot_api(tmp_path: Path) -> None:
    """`magnet-bot emulator`: a stand-in for Telegram that a bot in another process can use."""
    from telegram import Bot

    from tests.support.replicas import free_port

    port = free_port()
    out = tmp_path / "emulator.out"
    with out.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "emulator",
            "--port",
            str(port),
            env=cli_env(MAGNET_BOT_TOKEN=TOKEN),
            cwd=str(tmp_path),
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        # Seconds on a loaded machine; the deadline is only against a hang.
        await eventually(lambda: "MAGNET_BOT_API_URL=" in out.read_text(), timeout=120)
        assert f"MAGNET_BOT_API_URL=http://127.0.0.1:{port}/bot" in out.read_text()
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot") as bot:
            assert (await bot.get_me()).is_bot
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
