"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the real
bot and its web server: sign-in with signed initData (and forged, tampered and expired data
refused), every page in sl and en at 360 px with a screenshot, no suppressed figure in HTML or
JSON, CSRF, a resident refused, a staff download audit-logged.

The screenshot goes to $MAGNET_TEST_ARTIFACTS_DIR when set (CI keeps it), else to pytest's tmp."""

from __future__ import annotations

import os
import re
import shutil
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from sqlalchemy import select

from bot.domain import Role
from bot.emulator import BotAPIEmulator
from bot.services.conversations.seeds import parse_seed
from storage.models import AuditEntry
from tests.bot.dashboard.test_survey_source import latest_round, nulls, people, shipped_survey
from tests.support.conversations import QUESTION, seed_yaml
from tests.support.dashboard import init_data
from tests.support.harness import ADMIN_ID, TOKEN, Harness, running_bot, seed_resident
from tests.support.surveys import seed_completed

CHROMIUM = shutil.which("chromium")
COORDINATOR_SL, COORDINATOR_EN, RESIDENT = 8101, 8102, 8103

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (CI=true: the browser tests must run)")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def site(emulator: BotAPIEmulator, sqlite_url: str) -> AsyncIterator[tuple[Harness, str]]:
    async with running_bot(emulator, sqlite_url, http_port=0) as bot:
        await bot.services.surveys.rounds.open(ADMIN_ID, "stay_or_leave")
        # 36 answers as in the page's own tests (2 in Celje would definitely leave, fewer
        # than k), and two from abroad: a group too small to be shown on its own.
        await seed_completed(
            bot.services.sessions,
            "stay_or_leave",
            shipped_survey(),
            latest_round() + people("abroad", 2, "probably_leave"),
        )
        for telegram_id, lang in ((COORDINATOR_SL, "sl"), (COORDINATOR_EN, "en")):
            await seed_resident(bot, telegram_id, f"C{telegram_id}", lang)
            await bot.services.roles.grant(ADMIN_ID, telegram_id, Role.COORDINATOR)
        await seed_resident(bot, RESIDENT, "Resident", "sl")
        assert bot.runtime is not None and bot.runtime.web is not None
        yield bot, f"http://127.0.0.1:{bot.runtime.web.port}"


async def _open(browser: Browser, base: str, telegram_id: int, lang: str) -> Page:
    page = await browser.new_page(viewport={"width": 360, "height": 740})
    await page.goto(f"{base}/dashboard/#tgWebAppData={quote(init_data(telegram_id, lang))}")
    return page


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; AssertionError if it is no PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MAGNET_TEST_ARTIFACTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %"


async def test_signed_in_from_telegram_the_survey_shows_its_figures_and_a_screenshot(
    site: tuple[Harness, str], browser: Browser, tmp_path: Path
) -> None:
    _, base = site
    page = await _open(browser, base, COORDINATOR_EN, "en")
    await page.wait_for_url("**/dashboard/survey")
    # The seeded round: 15 + 5 of 38 intend to stay; in Celje 12 of 20.
    overview = page.locator("section.overview")
    await overview.get_by_text(_percent(15 + 5, 38)).first.wait_for()
    assert "38" in await page.locator("main").inner_text()
    breakdown = page.locator("section.breakdown[data-field=municipality]")
    assert _percent(12, 20) in await breakdown.locator("tbody tr").first.inner_text()
    shot = _artifacts(tmp_path) / "dashboard-survey-360x740.png"
    await page.screenshot(path=str(shot))
    print(f"\nscreenshot of the survey page at 360x740: {shot}")
    assert _png_size(shot) == (360, 740)
    await page.close()


def _tampered(data: str, telegram_id: int) -> str:
    """Valid data with the user swapped for another and the hash kept."""
    fields = dict(parse_qsl(data))
    fields["user"] = fields["user"].replace(str(COORDINATOR_EN), str(telegram_id))
    return urlencode(fields)


async def test_forged_tampered_or_expired_sign_in_data_gets_401_in_the_browser(
    site: tuple[Harness, str], browser: Browser
) -> None:
    _, base = site
    refused = {
        "forged": init_data(COORDINATOR_EN, "en", token=TOKEN.replace(":", ":x", 1)),
        "tampered": _tampered(init_data(COORDINATOR_EN, "en"), COORDINATOR_SL),
        "expired": init_data(COORDINATOR_EN, "en", auth_date=time.time() - 2 * 86400),
    }
    for name, data in refused.items():
        page = await browser.new_page(viewport={"width": 360, "height": 740})
        async with page.expect_response(re.compile(r"/dashboard/session$")) as caught:
            await page.goto(f"{base}/dashboard/#tgWebAppData={quote(data)}")
        answer = await caught.value
        assert answer.status == 401, name
        said = (
            "The sign-in has expired. Please open the dashboard again from the bot."
            if name == "expired"
            else "Telegram's sign-in data could not be checked."
        )
        await page.get_by_text(said).wait_for()
        assert (await page.request.get(f"{base}/dashboard/api/survey")).status == 401, name
        assert "/dashboard/survey" not in page.url
        await page.close()


async def _fits(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide at 360 px"


async def test_every_page_in_both_languages_at_360px(
    site: tuple[Harness, str], browser: Browser
) -> None:
    _, base = site
    expected = {
        "sl": ("Anketa", "Delavnice", "Obvestila", "Po občinah", "skrito"),
        "en": ("Survey", "Labs", "Announcements", "By municipality", "hidden"),
    }
    for telegram_id, lang in ((COORDINATOR_SL, "sl"), (COORDINATOR_EN, "en")):
        page = await _open(browser, base, telegram_id, lang)
        await page.wait_for_url("**/dashboard/survey")
        survey, labs, announcements, by_municipality, _ = expected[lang]
        assert await page.get_attribute("html", "lang") == lang
        await page.get_by_role("heading", name=by_municipality).wait_for()
        await _fits(page)
        # The breakdown by municipality: Celje's 60 % would stay, Prebold's share is hidden
        # (it and the rest of the region's would tell each other), and so is the outside's.
        section = page.locator(
            "section.breakdown", has=page.get_by_role("heading", name=by_municipality)
        )
        table = section.locator("table").first
        celje = await table.locator("tbody tr").first.inner_text()
        assert "60 %" in celje and "•" in celje
        assert "50 %" not in await section.inner_text()
        for name in (labs, announcements):
            await page.get_by_role("link", name=name).click()
            await (
                page.get_by_role("link", name=name)
                .and_(page.locator("[aria-current=page]"))
                .wait_for()
            )
            await _fits(page)
        # A coordinator has no downloads.
        assert await page.get_by_role("link", name=survey).count() == 1
        assert await page.locator("nav a[href$='/downloads']").count() == 0
        await page.close()


async def test_no_suppressed_figure_in_json_and_a_group_view(
    site: tuple[Harness, str], browser: Browser
) -> None:
    _, base = site
    page = await _open(browser, base, COORDINATOR_EN, "en")
    await page.wait_for_url("**/dashboard/survey")
    answer = await page.request.get(f"{base}/dashboard/api/survey")
    data = await answer.json()
    assert data["completed"] == 38 and nulls(data) == []
    [intention] = [q for q in data["overview"] if q["question"] == "intention"]
    rows = {r["code"]: r for r in intention["rows"]}
    assert set(rows["definitely_leave"]) == {"code", "label"}  # no count, no share
    # Neither Prebold's hidden share (5 of 10 intend to stay) nor the 2 of 38 who would
    # definitely leave reach the browser, in the page's source or in its data.
    source = await page.content()
    for hidden in (_percent(5, 10), _percent(2, 38)):
        assert hidden not in source, hidden
    percents = re.findall(r'"percent":\s*(\d+)', await answer.text())
    assert str(round(100 * 5 / 10)) not in percents and str(round(100 * 2 / 38)) not in percents
    # The HTML shows what the JSON shows: the same headline share, the hidden answer as "•".
    overview = page.locator("section.overview")
    await overview.get_by_text(f"{intention['headline']['percent']} %").first.wait_for()
    hidden = overview.locator("li", has_text=rows["definitely_leave"]["label"])
    assert (await hidden.inner_text()).split("\n")[-1].strip() == "•"
    assert "municipality:outside" in str(data["groups"])
    # One municipality: every figure is Celje's own.
    celje = await (
        await page.request.get(f"{base}/dashboard/api/survey?group=municipality:celje")
    ).json()
    assert celje["completed"] == 20 and nulls(celje) == []
    assert [part["field"] for part in celje["breakdowns"]] == ["age_band"]
    await page.goto(f"{base}/dashboard/survey?group=municipality:celje")
    await page.get_by_role("heading", name="Municipality: Celje · round 1").wait_for()
    assert await page.locator("section.breakdown[data-field=municipality]").count() == 0
    # The two from abroad cannot be shown on their own: a message, and no figures.
    small = await (
        await page.request.get(f"{base}/dashboard/api/survey?group=municipality:outside")
    ).json()
    assert small["too_small"] is True and "overview" not in small and "completed" not in small
    await page.goto(f"{base}/dashboard/survey?group=municipality:outside")
    await page.get_by_text("This group is too small to be shown on its own.").wait_for()
    assert await page.locator("section.overview").count() == 0
    await page.close()


async def test_a_resident_is_refused_and_posts_need_the_csrf_token(
    site: tuple[Harness, str], browser: Browser
) -> None:
    _, base = site
    page = await browser.new_page(viewport={"width": 360, "height": 740})
    async with page.expect_response(re.compile(r"/dashboard/session$")) as caught:
        await page.goto(f"{base}/dashboard/#tgWebAppData={quote(init_data(RESIDENT, 'sl'))}")
    assert (await caught.value).status == 403
    await page.get_by_text(
        "Nadzorna plošča je namenjena samo koordinatorjem in uslužbencem."
    ).wait_for()
    refused = await page.request.post(
        f"{base}/dashboard/session", data={"init_data": init_data(RESIDENT, "sl")}
    )
    assert refused.status == 403
    assert (await page.request.get(f"{base}/dashboard/api/survey")).status == 401
    await page.close()

    page = await _open(browser, base, COORDINATOR_SL, "sl")
    await page.wait_for_url("**/dashboard/survey")
    without = await page.request.post(f"{base}/dashboard/logout", form={"csrf": "guess"})
    assert without.status == 403
    assert (await page.request.get(f"{base}/dashboard/api/survey")).status == 200
    assert (await page.request.get(f"{base}/dashboard/api/downloads")).status == 403
    await page.get_by_role("button", name="English").click()
    await page.get_by_role("link", name="Survey").wait_for()
    await page.close()


async def test_a_staff_download_is_audit_logged(
    site: tuple[Harness, str], browser: Browser
) -> None:
    bot, base = site
    _token_id, token = await bot.services.tokens.create("research office")
    page = await browser.new_page(viewport={"width": 360, "height": 740})
    await page.goto(f"{base}/dashboard/login#token={token}")
    await page.wait_for_url("**/dashboard/survey")
    await page.get_by_role("link", name="Downloads").click()
    async with page.expect_download() as caught:
        await page.get_by_role("button", name="CSV").first.click()
    download = await caught.value
    assert download.suggested_filename == "stay_or_leave-round1.csv"
    saved = await download.path()
    assert saved.read_text(encoding="utf-8-sig").startswith("respondent,")
    async with bot.services.sessions() as session:
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "survey.export")))
            .scalars()
            .all()
        )
    assert [(e.subject, e.details) for e in entries] == [
        ("stay_or_leave#1", {"format": "csv", "route": "dashboard", "token": "research office"})
    ]
    await page.close()


async def test_a_staff_download_of_a_conversation_is_audit_logged(
    site: tuple[Harness, str], browser: Browser
) -> None:
    bot, base = site
    view = await bot.services.conversations.open(None, parse_seed("seed.yaml", seed_yaml()))
    _token_id, token = await bot.services.tokens.create("research office")
    page = await browser.new_page(viewport={"width": 360, "height": 740})
    await page.goto(f"{base}/dashboard/login#token={token}")
    await page.wait_for_url("**/dashboard/survey")
    await page.get_by_role("link", name="Downloads").click()
    section = page.locator(
        "section.downloads", has=page.get_by_role("heading", name="Conversations")
    )
    await section.get_by_text(QUESTION["en"]).wait_for()
    await _fits(page)
    for fmt, suffix in (("CSV", "zip"), ("XLSX", "xlsx")):
        async with page.expect_download() as caught:
            await section.get_by_role("button", name=fmt).click()
        download = await caught.value
        assert download.suggested_filename == f"conversation-{view.id}.{suffix}"
        assert (await download.path()).read_bytes()[:2] == b"PK"
    async with bot.services.sessions() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "conversation.export")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.subject, e.details["format"], e.details["route"]) for e in entries] == [
        (str(view.id), "csv", "dashboard"),
        (str(view.id), "xlsx", "dashboard"),
    ]
    # A coordinator has no Downloads page, and the file's address refuses them too.
    page = await _open(browser, base, COORDINATOR_EN, "en")
    await page.wait_for_url("**/dashboard/survey")
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    refused = await page.request.post(
        f"{base}/dashboard/downloads/conversation/{view.id}/csv",
        form={"csrf": csrf or ""},
        headers={"Origin": base},
    )
    assert refused.status == 403 and "Downloads are for staff only." in await refused.text()
    await page.close()
