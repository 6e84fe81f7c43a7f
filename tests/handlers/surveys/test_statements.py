"""How many SQL statements a survey tap costs, as /metrics counts them: the most frequent
update of all must stay at a handful (the gate's resident and roles, the response, its
answers, the write), so a query added per tap shows up here rather than in production."""

from __future__ import annotations

from bot.emulator import BotAPIEmulator
from tests.support.harness import Harness, seed_resident

COORDINATOR = 700
# On SQLite, counting the answer's BEGIN IMMEDIATE: 7.2 now; 7.8 when the round and the
# response were two reads, 8.8 when the gate's read took a BEGIN IMMEDIATE of its own, 14.5
# before the gate read topics and roles with the resident and the answer path its answers once.
TAP_BUDGET = 7.5


def _first_button(emulator: BotAPIEmulator, chat_id: int) -> tuple[object, str, str]:
    for message in reversed(list(emulator.chats[chat_id].messages.values())):
        if message.from_bot and message.buttons:
            button = message.buttons[0][0]
            return message, button["callback_data"], button["text"]
    raise AssertionError("no button to tap")


def _statements(bot: Harness, kind: str) -> tuple[float, float]:
    assert bot.runtime is not None
    metrics = bot.runtime.application.bot_data.metrics
    assert metrics is not None
    labels = {"kind": kind}
    updates = metrics.registry.get_sample_value("magnet_update_kinds_total", labels) or 0.0
    statements = metrics.registry.get_sample_value("magnet_sql_statements_total", labels) or 0.0
    return updates, statements


async def test_a_survey_tap_needs_a_handful_of_statements(
    bot: Harness, emulator: BotAPIEmulator
) -> None:
    ana = await seed_resident(bot, 1501, "Ana", "sl")
    await bot.services.residents.touch(COORDINATOR)
    await bot.services.surveys.rounds.open(COORDINATOR, bot.services.surveys.default_code())
    await ana.send("/anketa")
    commands, command_statements = _statements(bot, "command")
    assert commands >= 1 and command_statements >= commands  # the gate alone reads the resident
    for _ in range(6):
        message, data, label = _first_button(emulator, 1501)
        update_id, _ = await emulator.user_click(ana.user, message, data, label)  # type: ignore[arg-type]
        await emulator.wait_processed(update_id, timeout=60)
    taps, statements = _statements(bot, "callback:survey")
    assert taps == 6
    assert statements / taps <= TAP_BUDGET, f"{statements / taps:.1f} statements per survey tap"
