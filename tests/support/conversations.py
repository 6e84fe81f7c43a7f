"""Seed files for conversations, and helpers to drive one through the emulator."""

from __future__ import annotations

import yaml

from bot.emulator import EmulatedUser
from bot.emulator.state import Message

QUESTION = {
    "sl": "Kaj bi naredilo Celje boljše za mlade?",
    "en": "What would make Celje better for young people?",
}
STATEMENTS = [
    ("Celje potrebuje več dostopnih najemnih stanovanj.", "Celje needs more affordable rentals."),
    ("Avtobusi bi morali voziti tudi ob nedeljah.", "Buses should also run on Sundays."),
    ("V središču mesta naj bo manj avtomobilov.", "The town centre should have fewer cars."),
    ("Stičišče naj bo odprto tudi zvečer.", "The hub should stay open in the evenings."),
    ("Lokalna podjetja naj ponujajo več prakse.", "Local firms should offer more internships."),
    ("Mestni festivali so dovolj številni.", "There are enough town festivals already."),
    (
        "Prebold in Celje naj imata skupni kolesarski sistem.",
        "Prebold and Celje should share bikes.",
    ),
    (
        "Strehe javnih stavb naj nosijo sončne elektrarne.",
        "Public roofs should carry solar panels.",
    ),
    ("Mladi bi morali soodločati o proračunu.", "Young people should help decide the budget."),
    ("Za delo v tujini se odločajo zaradi plač.", "People work abroad because of wages."),
    ("Več prostorov za glasbene vaje.", "More rooms for music rehearsals."),
    ("Knjižnica naj bo odprta do polnoči.", "The library should be open until midnight."),
]


def seed_yaml(statements: list[tuple[str, str]] | None = None, question: object = None) -> bytes:
    data = {
        "question": QUESTION if question is None else question,
        "statements": [{"sl": sl, "en": en} for sl, en in (statements or STATEMENTS)],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def seed_csv(statements: list[tuple[str, str]] | None = None) -> bytes:
    lines = ["kind,sl,en", f'question,"{QUESTION["sl"]}","{QUESTION["en"]}"']
    lines += [f'statement,"{sl}","{en}"' for sl, en in (statements or STATEMENTS)]
    return ("\n".join(lines) + "\n").encode()


def card(user: EmulatedUser) -> Message:
    """The resident's voting card: the newest message with vote buttons (or the thank-you)."""
    return next(
        m
        for m in reversed(user.messages)
        if any("conv:v1:add:" in (b.get("callback_data") or "") for row in m.buttons for b in row)
    )


def alerts(user: EmulatedUser) -> list[str]:
    return [e.text for e in user.events() if e.kind == "callback_answer"]
