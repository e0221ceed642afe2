"""The web interface in real headless Chromium (Debian's package, driven by Playwright).

An organiser logs in and posts a need; it shows on the public group page; a visitor pledges on
the need page and the bar moves, again when the organiser confirms; the interface switches to
Hindi; the organiser logs out. Screenshots of the main pages at 360 px and at desktop width go
to test-artifacts/. Playwright is only the driver: the browser is /usr/bin/chromium, installed
by tests/setup_system.sh (never `playwright install`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.webui import PASSWORD, add_remote_content, make_site

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is missing: run tests/setup_system.sh (installs Debian's chromium)",
)


def devanagari_fonts() -> str:
    if shutil.which("fc-list") is None:
        return ""
    return subprocess.run(
        ["fc-list", ":lang=hi", "family"], capture_output=True, text=True, check=False
    ).stdout.strip()


async def shoot(page: Any, name: str, backend: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}.png"), full_page=True)


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide on a {viewport} px screen"


async def test_organiser_and_visitor_in_chromium(make_instance, backend, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    assert devanagari_fonts(), "no Devanagari font: run tests/setup_system.sh"
    a = await make_instance()
    await make_site(a)
    await add_remote_content(a)  # script tags in remote text: nothing may run
    base = a.base_url
    dialogs: list[str] = []

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport=PHONE,
            locale="en-GB",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()

            def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                asyncio.ensure_future(dialog.dismiss())

            page.on("dialog", on_dialog)

            await page.goto(base + "/")
            await expect(page.get_by_role("heading", level=1)).to_have_text("fedi-aid")
            await expect(page.get_by_text("Blankets <script>", exact=False)).to_be_visible()
            await page.keyboard.press("Tab")
            focused = await page.evaluate("document.activeElement.textContent")
            assert focused == "Skip to content"
            await no_sideways_scroll(page)
            await shoot(page, "home-360", backend)

            # The organiser logs in and posts a need.
            await page.goto(base + "/login")
            await page.fill("#username", "ana")
            await page.fill("#password", PASSWORD)
            await page.locator("main form button[type=submit]").click()
            await expect(page).to_have_url(base + "/admin/riverside")
            await page.get_by_role("link", name="Post a need").click()
            await page.fill("#title", "Tarpaulins")
            await page.select_option("#category", "shelter/tents")
            await page.fill("#quantity", "10")
            await page.fill("#unit", "sheets")
            await page.select_option("#urgency", "high")
            await page.fill("#description", "Roofs in Ward 2 blew off.")
            await page.fill("#latitude", "26.91")
            await page.fill("#longitude", "75.79")
            await no_sideways_scroll(page)
            await shoot(page, "admin-post-need-360", backend)
            await page.get_by_role("button", name="Publish").click()
            await expect(page.locator(".flash")).to_have_text("Posted the need “Tarpaulins”.")
            await shoot(page, "admin-items-360", backend)

            # It is on the public group page, with the follow box enhanced by JavaScript.
            await page.goto(base + "/@riverside")
            await expect(page.get_by_role("link", name="Tarpaulins")).to_be_visible()
            await expect(page.get_by_role("button", name="Copy")).to_be_visible()
            await no_sideways_scroll(page)
            await shoot(page, "group-360", backend)

            # A pledge from the need page moves the bar (promised), confirmation moves it more.
            await page.get_by_role("link", name="Tarpaulins").click()
            fill = page.locator(".meter .fill")
            assert await fill.evaluate("e => parseFloat(e.style.width)") == 0
            await page.fill("#pledge-quantity", "4")
            await page.fill("#pledge-name", "Meera, 98xxxxxx")
            await page.get_by_role("button", name="Pledge").click()
            await expect(page.locator(".flash")).to_contain_text("Thank you")
            promised = page.locator(".meter .promised")
            assert await promised.evaluate("e => parseFloat(e.style.width)") == 40
            await expect(page.locator(".promised-text")).to_contain_text("4 more promised")
            await no_sideways_scroll(page)
            await shoot(page, "need-360", backend)
            item_url = page.url

            await page.goto(base + "/admin/riverside/pledges")
            await page.get_by_role("button", name="Confirm").click()
            await expect(page.locator(".flash")).to_have_text("Pledge updated.")
            await shoot(page, "admin-pledges-360", backend)
            await page.goto(item_url)
            assert await fill.evaluate("e => parseFloat(e.style.width)") == 40
            await expect(page.locator(".meter .amount")).to_contain_text("4 of 10 sheets met")

            # Hindi, chosen with the switch on the page.
            await page.get_by_role("button", name="हिन्दी").click()
            await expect(page.locator("html")).to_have_attribute("lang", "hi")
            await expect(page.locator(".meter .amount")).to_contain_text("पूरे हुए")
            await expect(
                page.get_by_role("heading", name="मैं इसमें मदद कर सकता/सकती हूँ")
            ).to_be_visible()
            await shoot(page, "need-hi-360", backend)
            await page.goto(base + "/")
            await expect(page.get_by_role("heading", name="ज़रूरतें, सबसे ज़रूरी पहले")).to_be_visible()
            await no_sideways_scroll(page)
            await shoot(page, "home-hi-360", backend)

            # Desktop width.
            await page.set_viewport_size(DESKTOP)
            await shoot(page, "home-hi-desktop", backend)
            await page.get_by_role("button", name="English").click()
            await page.goto(base + "/gaps?place=Riverside&radius=50")
            await expect(page.locator("svg.gaps")).to_be_visible()
            await shoot(page, "gaps-desktop", backend)
            await page.goto(base + "/admin/riverside/follows")
            await shoot(page, "admin-follows-desktop", backend)

            # Log out: the organiser pages ask for a login again.
            await page.set_viewport_size(PHONE)
            await page.get_by_role("button", name="Log out").click()
            await expect(page.locator(".flash")).to_have_text("You are logged out.")
            await page.goto(base + "/admin/riverside")
            await expect(page).to_have_url(base + "/login?next=/admin/riverside")
        finally:
            await context.close()
    assert dialogs == [], f"remote content ran script: {dialogs}"
