"""The survey end to end through the emulator, in Slovenian and English: branching, Back,
Skip, edits from the summary, the lab suggestion, a second attempt, a restart midway."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.domain import Role
from bot.emulator import EmulatedUser
from storage.models import SurveyAnswer, SurveyResponse
from tests.support.harness import ADMIN_ID, Harness, onboard, seed_resident
from tests.support.labs import insert_lab

COORDINATOR = 700


def alerts(user: EmulatedUser) -> list[str]:
    return [e.text for e in user.events() if e.kind == "callback_answer"]


async def open_round(bot: Harness) -> EmulatedUser:
    await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
    coord = bot.user(COORDINATOR, "Katja", "sl")
    await onboard(coord, topics=())
    await coord.send("/ankete")
    assert "Noben krog še ni bil odprt." in coord.last.text
    await coord.click("▶️ Odpri nov krog")
    assert "1. krog: odprt" in coord.last.text
    return coord


def shares(user: EmulatedUser) -> list[int]:
    """The progress shown on each question, in the order the resident saw them."""
    found = []
    for event in user.events():
        if event.kind not in ("bot_message", "bot_edit") or not event.text:
            continue
        match = re.search(
            r"(?:Vprašanje|Question) \d+(?: · (?:približno|about) (\d+) ?%)?", event.text
        )
        if match:
            found.append(int(match.group(1) or 0))
    return found


async def test_a_slovenian_resident_answers_with_back_skip_edit_and_a_lab(bot: Harness) -> None:
    await open_round(bot)
    lab_id = await insert_lab(
        bot.services.sessions, starts=datetime.now(UTC) + timedelta(days=5), capacity=10
    )
    ana = await seed_resident(bot, 801, "Ana", "sl")
    await ana.send("/anketa")
    assert "Ostati ali oditi?" in ana.last.text and "Približno 5 minut." in ana.last.text
    assert "minut" not in ana.last.text.split("Približno 5 minut.")[0]  # said once (m24)
    await ana.click("🕶 Odgovarjam anonimno")
    assert "Vprašanje 1\n" in ana.last.text and "Kje večinoma živite?" in ana.last.text
    await ana.click("V Celju")
    assert "Vprašanje 2 · približno 5 %" in ana.last.text
    await ana.click("Ne, tu živim od otroštva")
    await ana.click("Študent/-ka")
    await ana.click("V Ljubljani")
    assert "Kako običajno pridete tja?" in ana.last.text
    await ana.click("« Nazaj")  # back to where she studies, her answer marked
    assert "Kje se šolate, študirate ali delate?" in ana.last.text
    assert "• V Ljubljani" in ana.last.button_labels
    await ana.click("• V Ljubljani")
    await ana.click("Z javnim prevozom (avtobus, vlak)")
    assert "Koliko let že živite" in ana.last.text
    await ana.click("Preskoči »")  # optional
    await ana.click("Verjetno se bom odselil/-a")
    assert "Zaradi česa razmišljate o odhodu?" in ana.last.text
    await ana.click("▫️ Premalo cenovno dostopnih stanovanj")
    await ana.click("▫️ Prenizke plače")
    await ana.click("▫️ Drugo …")
    assert "Prosimo, odgovor napišite z nekaj besedami." in ana.last.text
    await ana.send("Predolga vožnja v službo")
    assert "Zaradi česa razmišljate o odhodu?" in ana.last.text  # still open for more
    assert "✅ Drugo: Predolga vožnja v službo" in ana.last.button_labels
    await ana.click("Končano ✔")
    await ana.click("▫️ Več cenovno dostopnih stanovanj")
    await ana.click("Končano ✔")
    for rating in ("4", "3", "2", "2", "3"):
        await ana.click(rating)
    await ana.click("Preskoči »")  # culture, optional
    await ana.click("Da")
    await ana.send("Več cenovno dostopnih stanovanj za mlade v centru.")
    assert "posredujemo koordinatorjem" in ana.last.text  # asked only after an idea
    await ana.click("Da")
    summary = ana.last.text
    assert "Vaši odgovori" in summary and "(preskočeno)" in summary and "V Ljubljani" in summary
    assert "Premalo cenovno dostopnih stanovanj, Prenizke plače, Predolga vožnja" in summary
    seen = shares(ana)
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] >= 90, seen
    # Change an answer from the summary, then come back to it.
    await ana.click("✏️ 1")
    await ana.click("• V Celju")
    assert "Vaši odgovori" in ana.last.text
    await ana.click("✅ Oddaj")
    assert "Hvala! Vaši odgovori so shranjeni." in ana.messages[-2].text
    suggestion = ana.last.text
    assert "Dostopna stanovanja" in suggestion and "Bi se je udeležili?" in suggestion
    await ana.click("✍️ Prijava")
    assert (await bot.services.labs.registration(lab_id, ana.id)).status == "confirmed"
    # A second attempt in the same round is refused politely.
    await ana.send("/anketa")
    assert "že odgovorili" in ana.last.text
    async with bot.services.sessions() as session:
        response = (await session.execute(select(SurveyResponse))).scalar_one()
        answers = {
            a.question_code: a for a in (await session.execute(select(SurveyAnswer))).scalars()
        }
    assert response.status == "completed" and response.resident_id is None
    assert {"lives", "commute", "reasons_leave", "idea"} <= set(answers)
    assert "origin" not in answers
    assert answers["reasons_leave"].value == ["housing", "pay", "other"]
    assert answers["reasons_leave"].other_text == "Predolga vožnja v službo"


async def test_an_english_resident_who_left_bad_input_and_a_restart(bot: Harness) -> None:
    await open_round(bot)
    ben = await seed_resident(bot, 802, "Ben", "en")
    await ben.send("/survey")
    await ben.click("👤 Answer with my profile")
    before = len(ben.messages)
    await ben.send("Abroad")  # typed where a button is expected
    # The problem and the question again, in one message.
    assert len(ben.messages) == before + 1
    assert ben.last.text.startswith("Please answer with the buttons below.\n\n")
    assert "Where do you usually live?" in ben.last.text and "Question 1" in ben.last.text
    await ben.click("Abroad")
    await ben.click("Yes, in Prebold")
    await ben.click("Other…")
    await ben.send("I sail boats")
    assert "Where do you go to school" not in ben.last.text  # "other" has no work place
    assert "Why did you move away from Celje or Prebold?" in ben.last.text
    for reason in ("Low pay", "Too few career opportunities", "Too few affordable flats"):
        await ben.click("▫️ " + reason)
    await ben.click("▫️ Poor public transport")  # a fourth: refused
    assert "at most 3" in alerts(ben)[-1]
    await ben.click("Done ✔")
    assert "How likely is it that you will move back" in ben.last.text
    _, stale_data = ben.find_button("Very likely")
    # A button of the old shape (one-letter actions): refused, nothing answered.
    await ben.click("Very likely", ben.last, data="survey:v1:c:1:3:0")
    assert alerts(ben)[-1] == "This button is no longer valid."
    assert "How likely is it that you will move back" in ben.last.text
    await ben.click("Fairly likely")
    # The bot restarts in the middle; Ben comes back later and continues.
    await bot.restart()
    before = len(ben.messages)
    await ben.send("/survey")
    assert len(ben.messages) == before + 1
    assert ben.last.text.startswith("Welcome back! Let's continue where you left off.")
    assert "What would persuade you to come back?" in ben.last.text
    # A button from an earlier question: refused politely, and the current one is shown.
    await ben.click("Very likely", ben.last, data=stale_data)
    assert "earlier question" in alerts(ben)[-1]
    assert "What would persuade you to come back?" in ben.last.text
    await ben.click("▫️ Higher pay")
    await ben.click("Done ✔")
    assert "Quality of life" not in ben.last.text  # he rates no town he does not live in
    await ben.click("Maybe")
    await ben.send("x" * 600)  # too long
    assert ben.last.text.startswith("Please keep it to 500 characters at most.\n\n")
    assert "Question" in ben.last.text  # and the question again, in the same message
    await ben.click("Skip »")
    assert "Your answers" in ben.last.text and "I sail boats" in ben.last.text
    seen = shares(ben)
    assert seen == sorted(seen), seen  # also across the restart
    await ben.click("✅ Submit")
    assert "Thank you! Your answers are saved." in ben.last.text
    async with bot.services.sessions() as session:
        response = (await session.execute(select(SurveyResponse))).scalar_one()
        answers = {
            a.question_code: a.value
            for a in (await session.execute(select(SurveyAnswer))).scalars()
        }
    resident = await bot.services.residents.get(ben.id)
    assert response.resident_id == resident.id and not response.anonymous
    # Stored in the definition's order, whatever order they were tapped in.
    assert answers["origin"] == "prebold"
    assert answers["reasons_left"] == ["housing", "pay", "career"]
    assert answers["return"] == "fairly_likely" and "intention" not in answers


async def test_rounds_invitations_and_roles(bot: Harness) -> None:
    ana = await seed_resident(bot, 811, "Ana", "sl")
    await ana.send("/anketa")
    assert "Trenutno ni odprte ankete" in ana.last.text
    await ana.send("/ankete")
    assert "le koordinatorji" in ana.last.text
    coord = await open_round(bot)
    await coord.click("📣 Povabi prebivalce")
    invite = await ana.wait_for_message("Nov krog ankete")
    assert invite.buttons == (("📝 Začni anketo",),)
    await ana.click("📝 Začni anketo")
    assert "Odgovarjam anonimno" in str(ana.last.button_labels)
    await coord.send("/ankete")
    assert "📣 Povabi prebivalce" not in str(coord.last.button_labels)  # once per round
    await ana.click("🕶 Odgovarjam anonimno")
    await ana.click("V Preboldu")
    await coord.send("/ankete")
    assert "0 izpolnjenih anket · 1 nedokončana" in coord.last.text
    await coord.click("⏹ Zapri krog")
    await ana.click("Ne, tu živim od otroštva")  # the round closed under her: told politely
    assert "Trenutno ni odprte ankete" in ana.last.text
