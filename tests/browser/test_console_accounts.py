"""Officers' accounts in a real browser against the real platform: the first national admin
from the command line, invitations down to a pejabat penghubung who signs in with a TOTP
code, the lockout, and what a signed-out or other agency's officer cannot do."""

import json

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.support.console import (
    PASSWORD,
    fresh,
    invite,
    invite_national_admin,
    national_admin,
    officer,
    serious_violations,
    set_up,
    sign_in,
)
from tests.support.platform import Platform
from tests.support.portal import picture

OKU = "pemkab-oku-timur"
BANDUNG = "pemkot-bandung"


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
    national, page = await national_admin(browser, platform, "kunci@menpan.go.id")
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
    national, page = await national_admin(browser, platform, "batas@menpan.go.id")
    link = await invite(page, BANDUNG, "Ujang", "ujang@bandung.go.id", "agency_admin")
    context, page = await officer(browser, platform, link, "ujang@bandung.go.id")

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
        if language == "id":
            await picture(page, "console-" + name.replace(" ", "-"))
        serious = await serious_violations(page)
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
    for name, path in (
        ("desk", "/petugas"),
        ("inbox with errors", "/petugas/laporan?nomor=salah"),
        ("inbox", "/petugas/laporan"),
        ("scores", "/petugas/skor"),
        ("agencies", "/petugas/instansi?provinsi=16"),
        ("agencies with errors", "/petugas/instansi?tingkat=salah"),
        ("rules", "/petugas/aturan"),
        ("team", f"/petugas/tim?instansi={OKU}"),
    ):
        await page.goto(path)
        await check(name)
    await page.click("details summary")  # a liaison's unit, open
    await page.click("form[action='/petugas/tim/undang'] button")
    await check("team with errors")
    await page.goto("/petugas/aturan")
    await page.click("form[action='/petugas/aturan/pratinjau'] button")  # no file chosen
    await check("rules with errors")
    rules = await (await page.request.get("/petugas/aturan.json")).json()
    newer = {**rules, "version": 10_000}  # previewed, never published
    newer["rules"] = [r for r in newer["rules"] if r["id"] != "narkoba"]
    await page.set_input_files("#berkas", files=[{"name": "aturan.json", "mimeType": "application/json", "buffer": json.dumps(newer).encode()}])  # fmt: skip
    await page.click("form[action='/petugas/aturan/pratinjau'] button")
    await check("rules change")
    await national.close()
    assert found == {}
