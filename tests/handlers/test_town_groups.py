"""Another town's municipality groups in the survey's figures: the digest and the dashboard
set the town's own groups side by side (its profile's `groups:`), and a group under k is
never shown on its own."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from bot.domain import Role
from tests.support.dashboard import init_data
from tests.support.harness import ADMIN_ID, running_bot, seed_resident
from tests.support.surveys import seed_completed

ZELENGRAD = Path(__file__).parent.parent / "fixtures" / "profiles" / "zelengrad" / "profile.yaml"
COORDINATOR = 8701


def people(municipality: str | None, stay: int, leave: int) -> list[tuple[str | None, None, dict]]:
    answer = {"lives": municipality or "elsewhere"}
    return [(municipality, None, {**answer, "plan": "yes"})] * stay + [
        (municipality, None, {**answer, "plan": "no"})
    ] * leave


async def test_the_second_towns_digest_and_dashboard_show_its_own_groups(
    emulator, sqlite_url: str
) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(emulator, sqlite_url, profile=str(ZELENGRAD), http_port=0) as bot:
        await seed_resident(bot, COORDINATOR, "Zoe", "en", municipality="zelengrad")
        await bot.services.roles.grant(ADMIN_ID, COORDINATOR, Role.COORDINATOR)
        await bot.services.surveys.rounds.open(ADMIN_ID, "zelena")
        # 16 in Zelengrad, 15 in Borovje, 3 away from the valley (under k = 5).
        seeded = people("zelengrad", 10, 6) + people("borovje", 6, 9) + people("elsewhere", 2, 1)
        await seed_completed(
            bot.services.sessions, "zelena", bot.services.surveys.shipped["zelena"], seeded
        )
        digest = await bot.services.digests.compose("zelena")
        assert digest is not None
        text = digest.text
        # Zelengrad (16) on its own; the 3 away from the valley only merged with Borovje.
        assert "will stay: 53 % (Zelengrad 62 %, Borovje + Away from the valley 44 %)" in text
        by_place = text[text.index("<b>By municipality</b>") :].splitlines()
        assert by_place[1:4] == ["• Zelengrad: 16", "• Borovje: •", "• Away from the valley: •"]
        assert "Celje" not in text and "Prebold" not in text and "region" not in text

        assert bot.runtime is not None and bot.runtime.web is not None
        base = f"http://127.0.0.1:{bot.runtime.web.port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(
                f"{base}/dashboard/session", json={"init_data": init_data(COORDINATOR, "en")}
            ) as r:
                assert r.status == 200
            data = await _survey(http, base)
            page = await (await http.get(f"{base}/dashboard/survey")).text()
            alone = await _survey(http, base, "municipality:zelengrad")
            away = await _survey(http, base, "municipality:away")
            borovje = await _survey(http, base, "municipality:borovje")
    filters = {g["key"]: g["label"] for g in data["groups"][0]["groups"]}
    assert filters == {
        "municipality:zelengrad": "Zelengrad",
        "municipality:borovje": "Borovje",
        "municipality:away": "Away from the valley",
    }
    [table] = data["breakdowns"][0]["tables"]
    assert [(c["name"], c["total"]) for c in table["columns"]] == [
        ("Zelengrad", 16),
        ("Borovje + Away from the valley", 18),
    ]
    [places] = data["places"]
    assert [(c["name"], c["percent"]) for c in places["columns"]] == [
        ("Zelengrad", 62),
        ("Borovje + Away from the valley", 44),
    ]
    rows = data["composition"]["fields"][0]["rows"]
    assert rows[0] == {"name": "Zelengrad", "respondents": 16, "share": 47}
    assert rows[2] == {"name": "Away from the valley"}  # 3: no figure at all
    # The heading is the town's (no `places` text: the generic one), never MAGNET's.
    assert data["places_title"] == "By municipality"
    assert "Celje" not in page and "Away from the valley" in page
    assert alone["shown"] and alone["completed"] == 16 and not alone["too_small"]
    assert away["too_small"] and not away["shown"]
    # Borovje (15) is hidden beside the 3 away: shown on its own, it and Zelengrad (16) would
    # leave the 3 to be worked out from the total.
    assert borovje["too_small"] and not borovje["shown"] and "15" not in json.dumps(borovje)


async def _survey(http, base: str, group: str = "") -> dict:  # type: ignore[no-untyped-def]
    query = f"?group={group}" if group else ""
    async with http.get(f"{base}/dashboard/api/survey{query}") as r:
        assert r.status == 200
        return await r.json()
