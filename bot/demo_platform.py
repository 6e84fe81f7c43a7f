"""The collaborative platform in `magnet-bot demo`: an idea from submission to an official
answer, and a small "what do we agree on?" conversation up to its result."""

from __future__ import annotations

import yaml

from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.emulator.state import Message
from bot.runtime import BotRuntime

IDEA_TITLE = "Bike shelter at Celje station"
CONVERSATION = {
    "question": {
        "sl": "Kaj bi naredilo Celje boljše za mlade?",
        "en": "What would make Celje better for young people?",
    },
    "statements": [
        {
            "sl": "Celje potrebuje več dostopnih najemnih stanovanj.",
            "en": "Celje needs more affordable rentals.",
        },
        {
            "sl": "Avtobusi bi morali voziti tudi ob nedeljah.",
            "en": "Buses should also run on Sundays.",
        },
        {
            "sl": "V središču mesta naj bo manj avtomobilov.",
            "en": "The town centre should have fewer cars.",
        },
        {
            "sl": "Mestni festivali so dovolj številni.",
            "en": "There are enough town festivals already.",
        },
        {"sl": "Več parkirišč v središču mesta.", "en": "More parking in the town centre."},
        {
            "sl": "Stičišče naj bo odprto tudi zvečer.",
            "en": "The hub should stay open in the evenings.",
        },
        {
            "sl": "Lokalna podjetja naj ponujajo več prakse.",
            "en": "Local firms should offer more internships.",
        },
        {
            "sl": "Strehe javnih stavb naj nosijo sončne elektrarne.",
            "en": "Public roofs should carry solar panels.",
        },
        {
            "sl": "Mladi bi morali soodločati o proračunu.",
            "en": "Young people should help decide the budget.",
        },
        {
            "sl": "Knjižnica naj bo odprta do polnoči.",
            "en": "The library should be open until midnight.",
        },
    ],
}
# Made-up voters in two camps: they agree on the first two statements and split on the rest.
CAMPS = ((1, 1, 1, -1, -1, 1, 1, 1, -1, 1), (1, 1, -1, 1, 1, -1, -1, 1, 1, -1))


def _note(emulator: BotAPIEmulator, text: str) -> None:
    emulator.log.add("note", 0, text=text)


async def idea_to_answer(people: dict[str, EmulatedUser], group: int) -> None:
    """Ben writes an idea, Ana approves it in the coordinators' group, Cene supports it, and
    Ana's official answer reaches them both."""
    ana, ben, cene = people["Ana"], people["Ben"], people["Cene"]
    await ben.send("/idea")
    await ben.send(IDEA_TITLE)
    await ben.send(
        "A covered, locked bike shelter by the station, so people can cycle to the train."
    )
    await ben.click("Sustainable mobility")
    await ben.click("Celje")
    await ben.click("Skip the photo")
    await ben.click("📨 Submit")
    emulator = ana.emulator

    def card() -> Message | None:
        cards = [
            m
            for _, m in sorted(emulator.chat(group).messages.items())
            if m.from_bot and IDEA_TITLE in (m.text or m.caption or "") and m.buttons
        ]
        return cards[-1] if cards else None

    await emulator.wait_until(lambda: card() is not None, timeout=30)
    await ana.click("✅ Odobri", card())
    await ben.wait_for_message("has been published", timeout=30)
    await cene.send("/ideje")
    await cene.click(f"1. {IDEA_TITLE}")
    await cene.click("👍 Podpri")
    await ana.send("/ideje")
    await ana.click(f"1. {IDEA_TITLE}")
    await ana.click("📝 Uradni odgovor in stanje")
    await ana.click("Načrtovana")
    await ana.send("Mestna občina bo kolesarnico postavila spomladi ob prenovi postaje.")
    await ben.wait_for_message("News about an idea", timeout=30)
    await cene.wait_for_message("Novica o ideji", timeout=30)


async def conversation_result(
    runtime: BotRuntime, people: dict[str, EmulatedUser], voters: range
) -> None:
    """Ana opens a conversation from a file, Ben votes in chat, made-up residents vote through
    the services, and Ana closes it: Ben hears the result, the group gets the report."""
    ana, ben = people["Ana"], people["Ben"]
    ana.timeout = max(ana.timeout, 120.0)  # the report loads scikit-learn and matplotlib
    seed = yaml.safe_dump(CONVERSATION, allow_unicode=True, sort_keys=False).encode()
    await ana.send_document("pogovor.yaml", seed)
    await ben.send("/conversation")
    for label in ("👍 Agree", "👍 Agree", "👎 Disagree"):
        await ben.click(label)
    _note(
        ana.emulator,
        f"DEMO DATA: {len(voters)} made-up residents vote in the conversation through the "
        "services, in two camps, so that opinion groups can be found.",
    )
    conversations = runtime.services.conversations
    [open_one] = [c for c in await conversations.states() if c.is_open]
    order = [s["en"] for s in CONVERSATION["statements"]]
    for n, telegram_id in enumerate(voters):
        # A chat of their own, so that the result reaches them as it reaches Ben.
        ana.emulator.add_user(telegram_id, f"Demo voter {n + 1}", "sl")
        camp = CAMPS[n % 2]
        card = await conversations.card(telegram_id, open_one.id)
        while card.statement_id is not None and card.text is not None:
            value = camp[order.index(card.text.en)]
            card = await conversations.vote(telegram_id, open_one.id, card.statement_id, value)
    await ana.send("/pogovori")
    await ana.click(f"⏹ Zaključi št. {open_one.id}")
    await ana.click("⏹ Da, zaključi ga")
    await ben.wait_for_message("The conversation is closed", timeout=120)
    group = runtime.settings.coordinator_chat_id

    def reported() -> bool:
        # The report's text and its chart (a photo beside it, since the text may pass a caption).
        said = [m for m in ana.emulator.chat(group).messages.values() if m.from_bot]
        at = [
            i for i, m in enumerate(said) if "Pogovor je zaključen" in (m.text or m.caption or "")
        ]
        return any(m.photo is not None for i in at for m in said[max(i - 1, 0) : i + 2])

    if not await ana.emulator.wait_until(reported, timeout=120):
        raise RuntimeError("the conversation's report did not reach the coordinators' group")
