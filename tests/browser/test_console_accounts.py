"""Officers' accounts in a real browser against the real platform: the first national admin
from the command line, invitations down to a pejabat penghubung who signs in with a TOTP
code, the lockout, and what a signed-out or other agency's officer cannot do."""

import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.platform import Platform

PASSWORD = "kopi tubruk di pagi hari"
OKU = "pemkab-oku-timur"
BANDUNG = "pemkot-bandung"


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


async def test_from_the_first_national_admin_to_a_penghubung_signed_in_with_a_code(
    platform: Platform, browser: Browser
) -> None:
    national_email = "admin@menpan.go.id"
    national, page = await fresh(browser, platform)
    secret = await set_up(page, invite_national_admin(platform, national_email), with_app=True)
    await sign_in(page, national_email, secret)
    await expect(page.locator("#role")).to_have_text("Admin nasional")
    admin_link = await invite(
        page, OKU, "Kepala Dinas Kominfo", "kominfo@okutimurkab.go.id", "agency_admin"
    )

    agency_admin, page = await fresh(browser, platform)
    await set_up(page, admin_link, with_app=False)
    await sign_in(page, "kominfo@okutimurkab.go.id", None)
    await expect(page.locator("#agency")).to_have_text(
        "Pemerintah Kabupaten Ogan Komering Ulu Timur"
    )
    liaison_link = await invite(page, None, "Dewi Lestari", "dewi@okutimurkab.go.id", "liaison")
    await expect(page.locator("table.team")).to_contain_text("Diundang, belum disiapkan")

    liaison, page = await fresh(browser, platform)
    liaison_secret = await set_up(page, liaison_link, with_app=True)
    await page.goto(liaison_link)  # an invitation works once
    await expect(page.locator("h1")).to_have_text("Halaman tidak ditemukan")
    await page.goto("/petugas/masuk")
    await page.fill("#email", "dewi@okutimurkab.go.id")
    await page.fill("#password", PASSWORD)
    await page.click("main button[type=submit]")  # no code: asked for it, beside its field
    await expect(page.locator("#code-error")).to_be_visible()
    await sign_in(page, "dewi@okutimurkab.go.id", liaison_secret)
    await expect(page.locator("#role")).to_have_text("Pejabat penghubung")
    assert await page.locator("a[href='/petugas/tim']").count() == 0  # a liaison has no team
    for context in (national, agency_admin, liaison):
        await context.close()


async def test_five_wrong_passwords_lock_the_account(platform: Platform, browser: Browser) -> None:
    national, page = await fresh(browser, platform)
    secret = await set_up(
        page, invite_national_admin(platform, "kunci@menpan.go.id"), with_app=True
    )
    await sign_in(page, "kunci@menpan.go.id", secret)
    link = await invite(page, BANDUNG, "Asep", "asep@bandung.go.id", "agency_admin")
    context, page = await fresh(browser, platform)
    await set_up(page, link, with_app=False)
    for attempt in range(5):
        await page.goto("/petugas/masuk")
        await page.fill("#email", "asep@bandung.go.id")
        await page.fill("#password", f"bukan kata sandinya {attempt}")
        await page.click("main button[type=submit]")
    await expect(page.locator("#email-error")).to_contain_text("dikunci selama 15 menit")
    await page.fill("#password", PASSWORD)  # the right one, now refused too
    await page.click("main button[type=submit]")
    await expect(page.locator("#email-error")).to_contain_text("dikunci")
    assert await page.locator("a[href='/petugas']").count() == 0
    await national.close()
    await context.close()


async def test_another_agencys_admin_sees_no_team_but_its_own_and_a_signed_out_session_acts_not(
    platform: Platform, browser: Browser
) -> None:
    national, page = await fresh(browser, platform)
    secret = await set_up(
        page, invite_national_admin(platform, "batas@menpan.go.id"), with_app=True
    )
    await sign_in(page, "batas@menpan.go.id", secret)
    link = await invite(page, BANDUNG, "Ujang", "ujang@bandung.go.id", "agency_admin")
    context, page = await fresh(browser, platform)
    await set_up(page, link, with_app=False)
    await sign_in(page, "ujang@bandung.go.id", None)

    pages = []
    for agency in (OKU, "tidak-ada"):  # another agency's team reads as one that is not there
        answer = await page.goto(f"/petugas/tim?instansi={agency}")
        assert answer is not None
        pages.append((answer.status, await answer.text()))
    assert pages[0] == pages[1] and pages[0][0] == 404

    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    await page.goto("/petugas")
    await page.click("form[action='/petugas/keluar'] button")
    await expect(page.locator(".notice")).to_contain_text("Anda sudah keluar")
    after = httpx.post(  # the old session's cookie, and a valid CSRF token: still refused
        f"{platform.intake_url}/petugas/tim/undang",
        data={"agency_id": BANDUNG, "name": "Penyusup", "email": "x@bandung.go.id",
              "role": "liaison", "csrf_token": cookies["pintu_csrf"]},
        cookies=cookies, timeout=10,
    )  # fmt: skip
    assert after.status_code == 403
    await page.goto("/petugas/tim")  # signed out: the sign-in page, and back after
    await expect(page.locator("h1")).to_have_text("Masuk ke meja kerja petugas")
    await national.close()
    await context.close()


@pytest.mark.parametrize("language", ["id", "en"])
async def test_every_console_page_has_no_serious_accessibility_violation(
    platform: Platform, browser: Browser, language: str
) -> None:
    national, page = await fresh(browser, platform)
    email = f"axe-{language}@menpan.go.id"
    invitation = invite_national_admin(platform, email)
    found: dict[str, list[str]] = {}

    async def check(name: str) -> None:
        results = await Axe().run(page)
        serious = [
            f"{v['id']} ({len(v['nodes'])})"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[name] = serious

    await page.goto(f"{invitation}?lang={language}")
    await check("invitation")
    await page.click("main button[type=submit]")  # empty: the errors
    await check("invitation with errors")
    await page.goto(f"/petugas/masuk?lang={language}")
    await check("sign-in")
    await page.click("main button[type=submit]")
    await check("sign-in with errors")
    secret = await set_up(page, invitation, with_app=True)
    await sign_in(page, email, secret)
    for name, path in (("desk", "/petugas"), ("team", f"/petugas/tim?instansi={OKU}")):
        await page.goto(path)
        await check(name)
    await page.click("form[action='/petugas/tim/undang'] button")
    await check("team with errors")
    await national.close()
    assert found == {}
