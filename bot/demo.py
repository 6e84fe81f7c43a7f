"""`magnet-bot demo`: the real bot against the local emulator, residents played, transcript printed."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.app import BotRuntime
from bot.config import load_settings
from bot.emulator import BotAPIEmulator, EmulatedUser, RateLimits, render_transcript

DEMO_TOKEN = "424242:DEMO-magnet-bot-local-emulator"
ADMIN_ID = 900001


async def run_demo(out: TextIO = sys.stdout, database: Path | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="magnet-demo-") as tmp:
        db_file = database or Path(tmp) / "demo.sqlite3"
        async with BotAPIEmulator(DEMO_TOKEN, limits=RateLimits()) as emulator:
            settings = load_settings(
                bot_token=DEMO_TOKEN,
                bot_api_url=emulator.base_url,
                database_url=f"sqlite+aiosqlite:///{db_file}",
                admin_ids=str(ADMIN_ID),
                default_locale="sl",
                auto_migrate=True,
                poll_timeout=1,
                quiet_hours="",  # the demo may run at night; the tests cover quiet hours
                scheduler_seconds=0.5,
            )
            emulator.processing_hook = True
            async with BotRuntime(settings, on_update_done=emulator.mark_processed) as runtime:
                people = await _play(emulator)
                await _announce(runtime, people["Ana"])
                residents = await runtime.services.residents.get(people["Ana"].id)
        names = {p.id: f"{name} ({p.user.language_code})" for name, p in people.items()}
        out.write(
            "magnet-bot demo: the real bot, a local Bot API emulator, a fresh SQLite file.\n\n"
        )
        out.write(render_transcript(emulator.log.events, names))
        out.write(
            f"\nAna's stored profile: municipality={residents.municipality}, "
            f"age={residents.age_band}, status={residents.status}, "
            f"topics={sorted(residents.topics)}\n"
            if residents
            else ""
        )
        menus = ", ".join(f"{key[1] or 'default'} {key[0]}" for key in sorted(emulator.commands))
        out.write(f"Command menus set: {menus}\n")
    return 0


async def _play(emulator: BotAPIEmulator) -> dict[str, EmulatedUser]:
    ana = EmulatedUser(emulator, 100001, "Ana", "sl")
    ben = EmulatedUser(emulator, 100002, "Ben", "en")
    maja = EmulatedUser(emulator, ADMIN_ID, "Maja", "sl")

    # Ana, a student in Celje, onboards in Slovenian and later changes her topics.
    await ana.send("/start")
    await ana.click("✅ Strinjam se")
    await ana.click("Celje")
    await ana.click("18–24 let")
    await ana.click("Dijak/-inja ali študent/-ka")
    await ana.click("Dostopna stanovanja")
    await ana.click("Trajnostna mobilnost")
    await ana.click("Končano ✔")
    await ana.send("/nastavitve")
    await ana.click("🏷 Teme")
    await ana.click("Kultura in ustvarjalnost")
    await ana.click("« Nazaj")
    await ana.click("✖ Zapri")

    # Ben scanned the poster at the MiniHub in Prebold; he types where a button is expected.
    await ben.send("/start hub_prebold")
    await ben.click("✅ I agree")
    await ben.send("Prebold")
    await ben.click("Prebold")
    await ben.click("25–34")
    await ben.click("Employed")
    await ben.click("Energy communities")
    await ben.click("Done ✔")
    await ben.send("/grant 100001 coordinator")
    await ben.send_sticker()

    # Maja, an administrator, makes Ana a coordinator.
    await maja.send("/dodeli 100001 koordinator")
    await maja.send("/vloge")
    return {"Ana": ana, "Ben": ben, "Maja": maja}


async def _announce(runtime: BotRuntime, ana: EmulatedUser) -> None:
    """Ana announces an energy-community evening to everyone, in both languages."""
    await ana.send("/obvesti")
    await ana.send(
        "Energetska skupnost Celje: informativni večer v četrtek ob 18.00 v MAGNET Hubu."
    )
    await ana.send(
        "Celje energy community: information evening on Thursday at 6 pm at the MAGNET Hub."
    )
    await ana.click("Brez fotografije")
    await ana.click("Vsi")
    await ana.click("📣 Pošlji zdaj")
    [announcement] = await runtime.services.announcements.active()
    for _ in range(200):
        current = await runtime.services.announcements.get(announcement.id)
        report = ana.emulator.chat(ana.id).messages[ana.last.message_id]
        if current and current.status == "done" and "poročilo" in (report.text or ""):
            break
        await asyncio.sleep(0.1)
    await ana.send("/obvestila")
