"""The inbox in a real browser: an agency's officers find the complaints their agency holds,
the next deadline first; another agency's officers never do; the national admin sees all."""

import csv

import httpx
from playwright.async_api import Browser, expect

from tests.support.console import inbox_shows, invite, national_admin, officer
from tests.support.platform import Platform

OKU, BANDUNG = "pemkab-oku-timur", "pemkot-bandung"


async def test_an_agencys_officers_find_its_complaint_and_no_other_agency_does(
    platform: Platform, browser: Browser
) -> None:
    national, page = await national_admin(browser, platform, "kotak@menpan.go.id")
    oku_link = await invite(page, OKU, "Rudi", "rudi@okutimurkab.go.id", "agency_admin")
    bandung_link = await invite(page, BANDUNG, "Nining", "nining@bandung.go.id", "agency_admin")
    filed = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={
            "title": "Saluran air tersumbat di Martapura",
            "description": "Saluran di depan pasar tersumbat sampah sejak seminggu; banjir tiap hujan.",
            "category": "jalan-daerah",
            "location": {"region_code": "16.08"},
        },
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    tracking_id = filed.json()["tracking_id"]

    oku, page = await officer(browser, platform, oku_link, "rudi@okutimurkab.go.id")
    await inbox_shows(page, "?urut=newest", tracking_id)  # just filed: on the first page
    row = page.locator("tr", has_text=tracking_id)
    await expect(row).to_contain_text("Saluran air tersumbat di Martapura")
    await expect(row).to_contain_text("hari kerja lagi")  # the next deadline, in working days
    await page.goto(f"/petugas/laporan?nomor={tracking_id.lower()}")
    await expect(page.locator("#count")).to_have_text("Laporan ditemukan: 1")
    await page.goto("/petugas/laporan?terlambat=1")  # not overdue: not among those
    assert tracking_id not in await page.locator("main").inner_text()
    await page.goto("/petugas/laporan?nomor=BUKAN")  # a malformed number, beside its field
    await expect(page.locator("#nomor-error")).to_be_visible()
    async with page.expect_download() as download:
        await page.goto("/petugas/laporan?urut=newest")
        await page.click("a[download]")
    path = await (await download.value).path()
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert tracking_id in {r["tracking_id"] for r in rows}

    bandung, page = await officer(browser, platform, bandung_link, "nining@bandung.go.id")
    await page.goto(f"/petugas/laporan?nomor={tracking_id}")
    await expect(page.locator("#count")).to_have_text("Laporan ditemukan: 0")
    await page.goto("/petugas/laporan?urut=newest")
    assert tracking_id not in await page.locator("main").inner_text()

    page = await national.new_page()  # the national admin's inbox is every complaint
    await page.goto(f"/petugas/laporan?nomor={tracking_id}")
    await expect(page.locator("#count")).to_have_text("Laporan ditemukan: 1")
    for context in (national, oku, bandung):
        await context.close()


async def test_several_reports_are_taken_up_at_once_each_with_its_own_verdict(
    platform: Platform, browser: Browser
) -> None:
    national, page = await national_admin(browser, platform, "banyak@menpan.go.id")
    link = await invite(page, OKU, "Wati", "wati@okutimurkab.go.id", "agency_admin")
    filed = [
        httpx.post(
            f"{platform.intake_url}/v1/complaints",
            json={
                "title": f"Jembatan gantung rusak, laporan {n}",
                "description": "Papan jembatan gantung banyak yang lepas; anak sekolah melintas.",
                "category": "jalan-daerah",
                "location": {"region_code": "16.08"},
            },
            timeout=30,
        ).json()["tracking_id"]
        for n in (1, 2)
    ]
    oku, page = await officer(browser, platform, link, "wati@okutimurkab.go.id")
    for tracking_id in filed:
        await inbox_shows(page, "?urut=newest", tracking_id)
    await page.click("form[action^='/petugas/laporan/terima'] button")  # nothing chosen
    await expect(page.locator("#pilihan-error")).to_be_visible()
    await expect(page.locator("#tier-error")).to_be_visible()
    for tracking_id in filed:
        await page.check(f"#pilih-{tracking_id}")
    # Meanwhile the first is taken up through the API: its own command is then refused.
    taken = httpx.post(
        f"{platform.intake_url}/v1/agencies/{OKU}/complaints/{filed[0]}/acknowledge",
        json={"tier": "sederhana"},
        headers={"Authorization": "Bearer pintu-dev-agency-key"},
        timeout=30,
    )
    assert taken.status_code == 200, taken.text
    await page.check("#tier-tanpa_peninjauan_lapangan")
    await page.click("form[action^='/petugas/laporan/terima'] button")
    outcomes = {
        tracking_id: await page.locator("tr", has_text=tracking_id).inner_text()
        for tracking_id in filed
    }
    assert "Tidak dilakukan" in outcomes[filed[0]], outcomes
    assert "Diproses" in outcomes[filed[1]], outcomes
    await national.close()
    await oku.close()
