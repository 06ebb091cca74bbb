"""The agency directory at the desk, in a real browser on the real platform: found by a word
of the name, a level or a province; the national admin also sees each agency's team."""

import re

from playwright.async_api import Browser, expect

from tests.support.console import invite, national_admin, officer
from tests.support.platform import Platform
from tests.support.portal import picture


async def test_officers_find_agencies_and_the_national_admin_their_teams(
    platform: Platform, browser: Browser
) -> None:
    national, page = await national_admin(browser, platform, "direktori@menpan.go.id")
    link = await invite(
        page, "pemkot-bandung", "Dadang", "dadang.direktori@bandung.go.id", "liaison"
    )
    await page.goto("/petugas/instansi?nama=bandung&tingkat=city")
    await expect(page.locator("#count")).to_have_text("Instansi ditemukan: 1")
    row = page.locator("table.agencies tbody tr")
    await expect(row).to_contain_text("Kota Bandung")
    await expect(row).to_contain_text("Pemerintah Provinsi Jawa Barat")  # whom it answers to
    await expect(row.locator("a")).to_contain_text(re.compile(r"Petugas: [1-9]"))
    await row.locator("a").click()
    await expect(page.locator("table.team")).to_contain_text("dadang.direktori@bandung.go.id")
    await page.goto("/petugas/instansi?provinsi=16")
    await picture(page, "console-agencies")

    liaison, desk = await officer(browser, platform, link, "dadang.direktori@bandung.go.id")
    await desk.goto("/petugas/instansi?nama=kementerian+kesehatan")
    await expect(desk.locator("#count")).to_have_text("Instansi ditemukan: 1")
    assert "Petugas:" not in await desk.locator("main").inner_text()  # teams: not theirs
    answer = await desk.goto("/petugas/instansi?tingkat=bukan")
    assert answer is not None and answer.status == 400
    await expect(desk.locator("#tingkat-error")).to_be_visible()
    await national.close()
    await liaison.close()
