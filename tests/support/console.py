"""What the console's browser tests share: accounts set up as officers would, in Chromium."""

import asyncio
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pyotp
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.platform import Platform

PASSWORD = "kopi tubruk di pagi hari"


def invite_national_admin(platform: Platform, email: str) -> str:
    """`pintu invite-national-admin`, as an operator runs it: the invitation's path."""
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "invite-national-admin", "--email", email,
         "--name", "Admin Nasional"],
        env=platform.env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    link = re.search(r"https?://\S+/petugas/undangan/\S+", done.stdout)
    assert link, done.stdout
    return urlsplit(link.group(0)).path


async def set_up(page: Page, invitation: str, *, with_app: bool) -> str | None:
    """Accept an invitation in the browser; the TOTP secret when an app was set up."""
    await page.goto(invitation)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_again", PASSWORD)
    secret = None
    if with_app:
        secret = (await page.locator("#totp-key").inner_text()).replace(" ", "")
        await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("main button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/petugas/masuk\?diterima=1$"))
    return secret


async def sign_in(page: Page, email: str, secret: str | None) -> None:
    await page.goto("/petugas/masuk")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    if secret:  # the next step's code: the one set up with is spent
        await page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    await page.click("main button[type=submit]")
    await expect(page.locator("#role")).to_be_visible()  # the desk


async def invite(page: Page, agency: str | None, name: str, email: str, role: str) -> str:
    await page.goto("/petugas/tim" + (f"?instansi={agency}" if agency else ""))
    await page.fill("#name", name)
    await page.fill("#email", email)
    await page.check(f"#role-{role}")
    await page.click("form[action='/petugas/tim/undang'] button")
    href = await page.locator("#invitation-link").get_attribute("href")
    assert href
    return urlsplit(href).path


async def fresh(browser: Browser, platform: Platform) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(base_url=platform.intake_url, locale="id-ID")
    return context, await context.new_page()


async def national_admin(
    browser: Browser, platform: Platform, email: str
) -> tuple[BrowserContext, Page]:
    """A national admin invited from the command line, set up with an app, signed in."""
    context, page = await fresh(browser, platform)
    secret = await set_up(page, invite_national_admin(platform, email), with_app=True)
    await sign_in(page, email, secret)
    return context, page


async def officer(
    browser: Browser, platform: Platform, invitation: str, email: str
) -> tuple[BrowserContext, Page]:
    """An invited officer, set up without an app, signed in."""
    context, page = await fresh(browser, platform)
    await set_up(page, invitation, with_app=False)
    await sign_in(page, email, None)
    return context, page


async def serious_violations(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def inbox_shows(page: Page, query: str, tracking_id: str, shown: bool = True) -> None:
    """The inbox (it trails the log by a moment) until it does, or does not, list it."""
    deadline = time.monotonic() + 30
    while True:
        await page.goto(f"/petugas/laporan{query}")
        if (tracking_id in await page.locator("main").inner_text()) == shown:
            return
        assert time.monotonic() < deadline, f"{tracking_id} never {'came' if shown else 'left'}"
        await asyncio.sleep(0.5)
