"""Staff exports: /export in Telegram and the HTTP endpoint with staff tokens; the content
against the stored answers, the codebook, pseudonymity, formulas, audit entries."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from storage.models import AuditEntry, SurveyAnswer
from tests.support.harness import ADMIN_ID, Harness, onboard, running_bot, seed_resident
from tests.support.surveys import answer_survey

STAFF = 950


@pytest.fixture
async def webbot(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_bot(emulator, sqlite_url, http_port=0) as harness:
        yield harness


async def answered(bot: Harness, count: int = 6) -> list[int]:
    await bot.services.surveys.rounds.open(1, "stay_or_leave")
    ids = []
    for i in range(count):
        user = await seed_resident(bot, 960 + i, f"R{i}", "sl")
        await answer_survey(bot, user.id, anonymous=i % 2 == 0)
        ids.append(user.id)
    # A resident who writes a formula as their idea: it must stay text in a spreadsheet.
    async with bot.services.sessions.begin() as session:
        row = (
            (
                await session.execute(
                    select(SurveyAnswer).where(SurveyAnswer.question_code == "idea")
                )
            )
            .scalars()
            .first()
        )
        row.value = '=HYPERLINK("http://evil.example","klik")'
    return ids


def parse_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_staff_export_in_telegram(webbot: Harness) -> None:
    bot = webbot
    ids = await answered(bot)
    resident = await seed_resident(bot, 999, "Nina", "sl")
    await resident.send("/izvoz")
    assert "le uslužbenci" in resident.last.text or "only staff" in resident.last.text
    await bot.services.roles.grant(ADMIN_ID, STAFF, Role.STAFF)
    staff = bot.user(STAFF, "Sara", "sl")
    await onboard(staff, topics=())
    await staff.send("/izvoz")
    events = await staff.click("Ostati ali oditi?, 1. krog")
    names = [e.file_name for e in events if e.kind == "bot_document"]
    assert names == [
        "stay_or_leave-round1.csv",
        "stay_or_leave-round1.xlsx",
        "stay_or_leave-round1-codebook.csv",
    ]
    documents = [m.document for m in staff.messages if m.document is not None]
    rows = parse_csv(documents[0].data)
    assert len(rows) == 6
    assert [r["respondent"] for r in rows] == [f"R{n:06d}" for n in range(1, 7)]
    assert {r["municipality"] for r in rows} == {"celje"} and rows[0]["round"] == "1"
    assert rows[0]["lives"] == "celje" and rows[0]["reasons_stay.housing"] == "1"
    assert rows[0]["reasons_stay.family"] == "0"
    assert rows[0]["idea"].startswith("'=HYPERLINK")  # neutralised
    everything = documents[0].data.decode("utf-8-sig")
    assert not any(str(i) in everything for i in ids)  # no Telegram id anywhere
    workbook = load_workbook(io.BytesIO(documents[1].data), read_only=True)
    sheet = list(workbook["answers"].iter_rows(values_only=True))
    assert len(sheet) == 7 and sheet[0][0] == "respondent" and sheet[1][0] == "R000001"
    assert "codebook" in workbook.sheetnames
    codebook = documents[2].data.decode("utf-8-sig")
    assert "Kje večinoma živite?" in codebook and "Where do you usually live?" in codebook
    assert "reasons_stay.housing" in codebook and "Cenovno dostopno stanovanje" in codebook
    book = {r["column"]: r for r in csv.DictReader(io.StringIO(codebook)) if r["column"]}
    assert book["intention"]["role"] == "key" and book["reasons_stay.housing"]["role"] == "pull"
    assert book["reasons_stay.housing"]["among"] == "intention in definitely_stay,probably_stay"
    assert book["reasons_leave.other"]["label_sl"] == "Drugo"
    assert "reasons_leave.other_text" in book
    async with bot.services.sessions() as session:
        audit = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "survey.export")))
            .scalars()
            .all()
        )
    assert {(e.details["route"], e.details["format"]) for e in audit} == {
        ("telegram", "csv"),
        ("telegram", "xlsx"),
    }
    assert {e.actor_telegram_id for e in audit} == {STAFF}


async def test_http_export_needs_a_valid_token(webbot: Harness) -> None:
    bot = webbot
    await answered(bot)
    assert bot.runtime is not None and bot.runtime.web is not None
    base = f"http://127.0.0.1:{bot.runtime.web.port}/api/exports"
    token_id, token = await bot.services.tokens.create("analysis laptop")
    _, other = await bot.services.tokens.create("old laptop")
    await bot.services.tokens.revoke(token_id + 1)
    async with aiohttp.ClientSession() as http:
        for headers in (
            {},
            {"Authorization": "Bearer mgt_wrong"},
            {"Authorization": f"Bearer {other}"},
            {"Authorization": token},
        ):
            async with http.get(f"{base}/stay_or_leave.csv", headers=headers) as response:
                assert response.status == 401, headers
        auth = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{base}/stay_or_leave.csv", headers=auth) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/csv")
            rows = parse_csv(await response.read())
        async with http.get(f"{base}/stay_or_leave.json?round=1", headers=auth) as response:
            assert response.status == 200
            items = json.loads(await response.read())
        async with http.get(f"{base}/stay_or_leave.xlsx", headers=auth) as response:
            workbook = load_workbook(io.BytesIO(await response.read()), read_only=True)
        async with http.get(f"{base}/nothing.csv", headers=auth) as response:
            assert response.status == 404
        async with http.get(f"{base}/stay_or_leave.csv?round=7", headers=auth) as response:
            assert response.status == 404
        for bad in ("²", "0", "-1", str(2**64)):  # digits int() refuses, and ids no column holds
            async with http.get(
                f"{base}/stay_or_leave.csv", params={"round": bad}, headers=auth
            ) as response:
                assert response.status == 400, bad
    assert len(rows) == 6 and len(items) == 6
    assert items[2]["respondent"] == rows[2]["respondent"] == "R000003"
    assert len(list(workbook["answers"].iter_rows())) == 7
    tokens = {t.name: t for t in await bot.services.tokens.list()}
    assert tokens["analysis laptop"].last_used_at is not None
    assert tokens["old laptop"].revoked_at is not None
    async with bot.services.sessions() as session:
        audit = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "survey.export")))
            .scalars()
            .all()
        )
    assert sorted(e.details["format"] for e in audit) == ["csv", "json", "xlsx"]
    assert {e.details["token"] for e in audit} == {"analysis laptop"}


async def test_a_control_character_in_an_answer_breaks_no_export(webbot: Harness) -> None:
    """ESC or NUL typed into a free-text answer made openpyxl refuse the whole workbook: over
    HTTP the client got a cut 200, and in Telegram nothing arrived at all."""
    bot = webbot
    await answered(bot, count=2)
    async with bot.services.sessions.begin() as session:
        row = (
            (
                await session.execute(
                    select(SurveyAnswer).where(SurveyAnswer.question_code == "idea")
                )
            )
            .scalars()
            .all()
        )[-1]
        row.value = "Več\x1b[31m zelenja\x00 in klopi"
    await bot.services.roles.grant(ADMIN_ID, STAFF, Role.STAFF)
    staff = bot.user(STAFF, "Sara", "sl")
    await onboard(staff, topics=())
    await staff.send("/izvoz")
    events = await staff.click("Ostati ali oditi?, 1. krog")
    assert [e.file_name for e in events if e.kind == "bot_document"] == [
        "stay_or_leave-round1.csv",
        "stay_or_leave-round1.xlsx",
        "stay_or_leave-round1-codebook.csv",
    ]
    documents = [m.document for m in staff.messages if m.document is not None]
    assert "Več\ufffd[31m zelenja\ufffd in klopi" in documents[0].data.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(documents[1].data), read_only=True)
    cells = [c for r in workbook["answers"].iter_rows(values_only=True) for c in r]
    workbook.close()
    assert "Več\ufffd[31m zelenja\ufffd in klopi" in cells
    token = (await bot.services.tokens.create("laptop"))[1]
    port = bot.runtime.web.port  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/api/exports/stay_or_leave.xlsx"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 200
        load_workbook(io.BytesIO(await response.read()), read_only=True).close()  # whole
