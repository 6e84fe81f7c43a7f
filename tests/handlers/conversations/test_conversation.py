"""Conversations end to end, in Slovenian and English: a coordinator opens one from a file,
residents vote in one message edited in place, add statements that coordinators approve or
reject in their group, and the result reaches everyone who voted when it closes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.codec import encode
from bot.domain import Role
from bot.emulator import BotAPIEmulator, EmulatedUser
from bot.emulator.state import Message, find_button, now
from storage.models import ConversationParticipant, ConversationStatement, ConversationVote
from tests.support.conversations import alerts, card, seed_csv, seed_yaml
from tests.support.harness import ADMIN_ID, Harness, eventually, onboard, running_bot, seed_resident

GROUP = -100777
COORDINATOR = 500


@pytest.fixture
async def convbot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    emulator.add_group(GROUP, "Koordinatorji MAGNET")
    async with running_bot(
        emulator,
        sqlite_url,
        coordinator_chat_id=GROUP,
        conversation_min_voters=3,
        min_group_size=2,
    ) as harness:
        yield harness


async def coordinator(bot: Harness, language: str = "sl") -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = bot.user(COORDINATOR, "Katja", language)
    # The first report loads scikit-learn and matplotlib: slow on a loaded machine.
    coord.timeout = 90
    if language == "sl":
        await onboard(coord, topics=())
    else:
        await seed_resident(bot, COORDINATOR, "Katja", "en")
    return coord


def group_messages(bot: Harness) -> list[Message]:
    chat = bot.emulator.chat(GROUP)
    return [m for _, m in sorted(chat.messages.items()) if m.from_bot]


async def click_in_group(bot: Harness, user: EmulatedUser, label: str, chat_id: int = GROUP) -> str:
    """`user` presses a button of the bot's newest message in a group; returns the answer."""
    chat = bot.emulator.chat(chat_id)
    messages = [m for _, m in sorted(chat.messages.items()) if m.from_bot]
    message, data = find_button(messages, label, "the group")
    update_id, query_id = await bot.emulator.user_click(user.user, message, data, label)
    await bot.emulator.wait_processed(update_id)
    answered = bot.emulator.callback_answers.get(query_id)
    assert answered is not None, f"the press of {label!r} in the group was left unanswered"
    return str(answered.get("text") or "")


async def vote_through(user: EmulatedUser, labels: tuple[str, str, str]) -> int:
    """Vote on every statement left (agree, disagree, pass in turn); returns how many."""
    votes = 0
    while labels[0] in card(user).button_labels:
        await user.click(labels[votes % 3], card(user))
        votes += 1
    return votes


async def test_open_vote_moderate_close_and_the_result_reaches_voters(convbot: Harness) -> None:
    bot = convbot
    coord = await coordinator(bot)
    ana = await seed_resident(bot, 601, "Ana", "sl")
    dan = await seed_resident(bot, 602, "Dan", "en")
    cvetka = await seed_resident(bot, 603, "Cvetka", "sl", municipality="prebold")

    # The coordinator sends the seed file and invites everyone reachable.
    await coord.send_document("pogovor.yaml", seed_yaml())
    assert "✅ Pogovor je odprt in vsebuje 12 izjav." in coord.last.text
    await coord.click("📣 Povabi prebivalce")
    assert "Vabimo 4 prebivalce." in alerts(coord)  # the coordinator is a resident too
    invitation = await ana.wait_for_message("O čem se strinjamo?")
    assert "Kaj bi naredilo Celje boljše za mlade?" in invitation.text
    await dan.wait_for_message("What do we agree on?")

    # Ana votes from the invitation: one message, edited in place, with "n of m".
    await ana.click("🗳 Začni glasovati")
    first = card(ana)
    assert "Izjava 1 od 12" in first.text
    assert "»" in first.text and "«" in first.text  # Slovenian quotation marks
    stale_data = next(
        b["callback_data"] for row in first.buttons for b in row if "Strinjam se" in b["text"]
    )
    await ana.click("👍 Strinjam se", first)
    assert card(ana).message_id == first.message_id
    assert "Izjava 2 od 12" in card(ana).text
    assert "Glas je upoštevan." in alerts(ana)
    # A second tap on the first statement's button (it arrives after the edit): counted once.
    before = len(ana.messages)
    await ana.click("👍 Strinjam se", card(ana), data=stale_data)
    assert "Vaš glas o tej izjavi je že upoštevan. Tu je naslednja." in alerts(ana)
    assert "Izjava 2 od 12" in card(ana).text and len(ana.messages) == before

    # Ana writes a statement: too long first, then one that fits.
    await ana.click("✍️ Dodaj svojo izjavo", card(ana))
    assert "(največ 200 znakov)" in ana.last.text
    await ana.send("Predolgo. " * 25)
    assert "Vaša izjava ima 249 znakov; prosimo, skrajšajte jo na največ 200." in ana.last.text
    await ana.send("Mestni avtobus naj vozi do Prebolda vsako uro.")
    assert "Hvala! Vašo izjavo bo prebral koordinator." in ana.last.text
    assert "Izjava 2 od 12" in ana.last.text  # and she can go on voting

    # The coordinators' group is asked; a resident who is not a coordinator cannot decide.
    await eventually(
        lambda: any("Prebivalec je napisal novo izjavo" in m.text for m in group_messages(bot))
    )
    request = group_messages(bot)[-1]
    assert "Mestni avtobus naj vozi do Prebolda vsako uro." in request.text
    assert (
        await click_in_group(bot, ana, "✅ Odobri")
        == "Oprostite, to lahko storijo le koordinatorji."
    )
    assert await click_in_group(bot, coord, "✅ Odobri") == "Odobreno."
    assert (
        "✅ Odobrena: prebivalci zdaj glasujejo o njej."
        in bot.emulator.chat(GROUP).messages[request.message_id].text
    )
    assert bot.emulator.chat(GROUP).messages[request.message_id].buttons == []
    await ana.wait_for_message("je odobrena: o njej zdaj glasujejo tudi drugi")

    # Dan votes in English: the approved statement is in the pool (13), shown as written.
    await dan.send("/conversation")
    assert "Statement 1 of 13" in card(dan).text
    assert "“" in card(dan).text and "»" not in card(dan).text
    await dan.click("✍️ Add your own statement", card(dan))
    await dan.send("Skateboarding should be allowed on the main square.")
    assert "Thank you! A coordinator will read your statement" in dan.last.text
    await eventually(lambda: any("Skateboarding" in m.text for m in group_messages(bot)))
    assert await click_in_group(bot, coord, "❌ Zavrni") == "Zavrnjeno."
    assert "❌ Zavrnjena." in group_messages(bot)[-1].text
    await dan.wait_for_message("was not added to the conversation")
    # The same decision pressed again (a stale copy of the buttons) changes nothing.
    statement_id = await _latest_statement_id(bot)
    update_id, query_id = await bot.emulator.user_click(
        coord.user, group_messages(bot)[-1], encode("convmod", "ok", statement_id), "✅ Approve"
    )
    await bot.emulator.wait_processed(update_id)
    assert bot.emulator.callback_answers[query_id]["text"] == "O tej izjavi je nekdo že odločil."

    assert await vote_through(dan, ("👍 Agree", "👎 Disagree", "🤷 Pass")) == 13
    assert "You have voted on all 13 statements. Thank you!" in card(dan).text
    await ana.send("/pogovor")
    # Ana voted on one and agreed (as the author) with her own: 11 left of 13.
    assert "Izjava 3 od 13" in card(ana).text
    assert await vote_through(ana, ("👍 Strinjam se", "👎 Ne strinjam se", "🤷 Preskočim")) == 11
    await cvetka.send("/pogovor")
    assert await vote_through(cvetka, ("👎 Ne strinjam se", "👍 Strinjam se", "🤷 Preskočim")) == 13

    # The coordinator looks at the groups so far: a chart and the report.
    await coord.send("/pogovori")
    assert "glasovale so 3 osebe" in coord.last.text
    events = await coord.click("📊 Skupine do zdaj")
    assert any(e.kind == "bot_photo" for e in events)
    assert "📊 Pogovor do zdaj" in coord.last.text

    # Closing asks first, then tells every voter; the group gets the report with its chart.
    await coord.click("⏹ Zaključi št. 1")
    confirm, _ = coord.find_button("⏹ Da, zaključi ga")
    assert "Želite zaključiti pogovor" in confirm.text
    assert "3 osebe, ki so glasovale" in confirm.text
    await coord.click("⏹ Da, zaključi ga")
    assert "Zaključeno. Izid pošiljamo 3 glasovalcem." in alerts(coord)
    result = await ana.wait_for_message("Pogovor je zaključen: hvala za glasovanje!")
    assert "Glasovale so 3 osebe." in result.text
    english = await dan.wait_for_message("The conversation is closed: thank you for voting!")
    assert "3 people voted." in english.text
    await cvetka.wait_for_message("Pogovor je zaključen")
    report = await eventually(lambda: [m for m in group_messages(bot) if m.photo is not None])
    assert "📊 Pogovor je zaključen" in (report[-1].caption or "")

    # The link from residents to their votes is gone; the votes stay.
    async with bot.services.sessions() as session:
        linked = await session.scalar(
            select(func.count()).where(ConversationParticipant.resident_id.is_not(None))
        )
        votes = await session.scalar(select(func.count()).select_from(ConversationVote))
    assert linked == 0 and votes == 1 + 1 + 11 + 13 + 13

    # A vote pressed on an old card after the close: said so, and the card says it is closed.
    await ana.click("🤷 Preskočim", first, data=stale_data.replace(":a", ":p"))
    assert "Ta pogovor je zaključen." in alerts(ana)
    assert "Ta pogovor je zaključen. Izid prejmejo vsi, ki so glasovali" in ana.messages[
        -1
    ].text or ("Ta pogovor je zaključen." in first.text)
    await ana.send("/pogovor")
    assert "Trenutno ni odprtega pogovora." in ana.last.text


async def _latest_statement_id(bot: Harness) -> int:
    async with bot.services.sessions() as session:
        return int(await session.scalar(select(func.max(ConversationStatement.id))))


async def test_bad_input_at_each_step(convbot: Harness) -> None:
    bot = convbot
    ana = await seed_resident(bot, 601, "Ana", "sl")
    dan = await seed_resident(bot, 602, "Dan", "en")

    # Nothing open yet; a resident cannot open one.
    await dan.send("/conversation")
    assert "There is no conversation open at the moment." in dan.last.text
    await ana.send_document("pogovor.yaml", seed_yaml())
    assert "Oprostite, to lahko storijo le koordinatorji." in ana.last.text
    await ana.send("/pogovori")
    assert "Oprostite, to lahko storijo le koordinatorji." in ana.last.text

    # A file with a problem per bad line, each said once, in the coordinator's language.
    coord = await coordinator(bot, "en")
    statements = [("Prvi.", "First."), ("Drugi.", ""), ("x" * 201, "Third."), ("Prvi.", "Fourth.")]
    await coord.send_document("bad.yaml", seed_yaml(statements))
    text = coord.last.text
    assert "I could not open the conversation: 4 problems in the file." in text
    assert "line 7: the text in English is empty" in text
    assert "line 9: the text in Slovenian is longer than 200 characters" in text
    assert "line 11: the same text in Slovenian as on line 5" in text
    assert "4 statements; at least 10 are needed" in text
    await coord.send_document("bad.csv", b"kind,sl,en\nquestion,Q,\nfoo,a,b\n")
    assert "line 3: the kind “foo” is unknown" in coord.last.text
    await coord.send_document("bad.yaml", b"question: [unclosed")
    assert "the file cannot be read" in coord.last.text
    await coord.send_document("seed.csv", seed_csv())
    assert "✅ The conversation is open, with 12 statements." in coord.last.text
    await coord.click("📣 Invite residents")
    await coord.send("/conversations")
    await coord.click("📊 Groups so far")  # nobody has voted yet
    assert "Only 0 people have voted; groups of opinion are looked for once 3 have." in alerts(
        coord
    )

    # Forged and malformed vote buttons.
    await dan.send("/conversation")
    vote_card = card(dan)
    for forged in (
        encode("conv", "vote", 1, 99999, "a"),
        encode("conv", "vote", 1, 1, "x"),
        encode("conv", "vote", 99999999999999, 1, "a"),
        "conv:v1:vote:1",
    ):
        await dan.click("👍 Agree", vote_card, data=forged)
        assert alerts(dan)[-1] == "This button is no longer valid."
    assert "Statement 1 of 12" in card(dan).text

    # A vote button pressed in a group (a forwarded card): the private chat is the place.
    group = bot.emulator.add_group(-100555, "Town chat")
    shown = Message(group.new_message_id(), group, bot.emulator.bot, now(), text="card")
    shown.reply_markup = vote_card.reply_markup
    group.messages[shown.message_id] = shown
    answer = await click_in_group(bot, dan, "👍 Agree", chat_id=-100555)
    assert answer == "Please use this button in your private chat with me."

    # Moderation buttons pressed outside the coordinators' group, or forged.
    await dan.click("✍️ Add your own statement", card(dan))
    await dan.send("Short.")
    assert "Please write a whole statement, at least 10 characters long." in dan.last.text
    await dan.send("The hub should have a repair café.")
    await eventually(lambda: any("repair café" in m.text for m in group_messages(bot)))
    request = group_messages(bot)[-1]
    copy = Message(group.new_message_id(), group, bot.emulator.bot, now(), text=request.text)
    copy.reply_markup = request.reply_markup
    group.messages[copy.message_id] = copy
    assert (
        await click_in_group(bot, coord, "✅ Odobri", chat_id=-100555)
        == "Please use this button in the coordinators' group."
    )
    update_id, query_id = await bot.emulator.user_click(
        coord.user, request, "convmod:v1:ok:abc", "✅"
    )
    await bot.emulator.wait_processed(update_id)
    assert bot.emulator.callback_answers[query_id]["text"] == "This button is no longer valid."

    # Three statements waiting is the most one resident may have.
    for text in ("The hub should lend tools to residents.", "Bike lanes should reach Prebold."):
        await dan.click("✍️ Add your own statement", card(dan))
        await dan.send(text)
    await dan.click("✍️ Add your own statement", card(dan))
    assert "You already have 3 statements waiting for a coordinator." in alerts(dan)[-1]

    # Writing, then cancelling, leaves nothing waiting for text.
    await ana.send("/pogovor")
    await ana.click("✍️ Dodaj svojo izjavo", card(ana))
    await ana.click("✖ Prekliči")
    assert "Izjava 1 od 12" in ana.last.text
    assert (await bot.services.residents.get(601)).awaiting is None

    # A closed conversation takes no more statements or votes.
    await coord.send("/conversations")
    await coord.click("⏹ Close 1")
    await coord.click("⏹ Yes, close it")
    await ana.click("👍 Strinjam se", card(ana))
    assert "Ta pogovor je zaključen." in alerts(ana)[-1]
    await coord.click("⏹ Close 1", data=encode("convadmin", "closeyes", 1), message=coord.last)
    assert "This conversation is closed." in alerts(coord)[-1]


async def test_mydata_lists_votes_while_linked_and_forget_removes_the_link(
    convbot: Harness,
) -> None:
    from tests.support.scan import find_resident_links, find_traces

    bot = convbot
    coord = await coordinator(bot)
    await coord.send_document("pogovor.yaml", seed_yaml())
    ana = await seed_resident(bot, 987654321, "Ana", "sl")
    await ana.send("/pogovor")
    await ana.click("👍 Strinjam se", card(ana))
    await ana.click("👎 Ne strinjam se", card(ana))
    await ana.click("✍️ Dodaj svojo izjavo", card(ana))
    await ana.send("Moja izjava o mestnih vrtovih za vse.")
    resident_id = (await bot.services.residents.get(987654321)).id

    await ana.send("/moji_podatki")
    data = json.loads(ana.last.document.data)
    [conversation] = data["conversations"]
    assert sorted(v["vote"] for v in conversation["votes"]) == ["agree", "disagree"]
    assert conversation["statements_written"] == [
        {"text": "Moja izjava o mestnih vrtovih za vse.", "status": "pending"}
    ]

    await ana.send("/pozabi")
    await ana.click("🗑 Da, izbriši vse")
    assert await bot.services.residents.get(987654321) is None
    assert await find_traces(bot.services.sessions, ["987654321", "mestnih vrtovih"]) == []
    assert await find_resident_links(bot.services.sessions, resident_id) == []
    async with bot.services.sessions() as session:
        votes = await session.scalar(select(func.count()).select_from(ConversationVote))
    assert votes == 2  # the votes stay, belonging to nobody
