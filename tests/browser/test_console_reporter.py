"""Who reported, at the desk, in a real browser on the real platform: the holder's officers
read it; a rahasia report's only its agency's admins and the national admin; an anonim
report's no one; another agency's officers not even the report."""

import httpx
from playwright.async_api import Browser, Page, expect

from tests.support.console import invite, national_admin, officer, serious_violations
from tests.support.platform import Platform
from tests.support.portal import reload_until

OKU, BANDUNG = "pemkab-oku-timur", "pemkot-bandung"
NAME, EMAIL, PHONE = "Siti Aminah", "siti.aminah@example.id", "+6281234567890"


def filed(platform: Platform, title: str, **flags: bool) -> str:
    answer = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={
            "title": title,
            "description": "Petugas kelurahan meminta uang untuk mengurus surat pindah.",
            "category": "kependudukan",
            "location": {"region_code": "16.08"},
            "reporter": {"name": NAME, "email": EMAIL, "phone": "0812-3456-7890"},
            **flags,
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["tracking_id"])


async def reporter_shown(page: Page, tracking_id: str) -> str:
    """The reporter line of the report's page (once the read model has it)."""
    await page.goto(f"/petugas/laporan/{tracking_id}")
    await reload_until(page, "main", tracking_id)
    await expect(page.locator("#reporter")).to_be_visible()
    return await page.locator("main").inner_text()


async def test_the_reporter_is_shown_only_to_the_officers_who_may_see_them(
    platform: Platform, browser: Browser
) -> None:
    plain = filed(platform, "Pungutan di kantor kelurahan")
    rahasia = filed(platform, "Pungutan di kantor kelurahan, rahasia", confidential=True)
    anonim = filed(platform, "Pungutan di kantor kelurahan, anonim", anonymous=True)

    national, page = await national_admin(browser, platform, "pelapor@menpan.go.id")
    links = {
        "admin": await invite(
            page, OKU, "Hendra", "hendra.pelapor@okutimurkab.go.id", "agency_admin"
        ),
        "liaison": await invite(page, OKU, "Tuti", "tuti.pelapor@okutimurkab.go.id", "liaison"),
        "other": await invite(page, BANDUNG, "Asep", "asep.pelapor@bandung.go.id", "agency_admin"),
    }
    admin_context, admin = await officer(browser, platform, links["admin"], "hendra.pelapor@okutimurkab.go.id")  # fmt: skip
    liaison_context, liaison = await officer(browser, platform, links["liaison"], "tuti.pelapor@okutimurkab.go.id")  # fmt: skip
    other_context, other = await officer(
        browser, platform, links["other"], "asep.pelapor@bandung.go.id"
    )

    seen = {
        (who, report): await reporter_shown(desk, tracking_id)
        for who, desk in (("national", page), ("admin", admin), ("liaison", liaison))
        for report, tracking_id in (("plain", plain), ("rahasia", rahasia), ("anonim", anonim))
    }
    may = {("national", "plain"), ("national", "rahasia"), ("admin", "plain"),
           ("admin", "rahasia"), ("liaison", "plain")}  # fmt: skip
    for key, text in seen.items():
        assert (NAME in text) is (key in may), key
        assert (EMAIL in text) is (key in may), key
        assert (PHONE in text) is (key in may), key
    assert "Rahasia: pelapor hanya ditampilkan" in seen["liaison", "rahasia"]
    for desk in (page, liaison):  # the national admin's page of a report, and a liaison's
        assert await serious_violations(desk) == []
    assert "Anonim" in seen["admin", "anonim"] and "Anonim" in seen["national", "anonim"]

    for tracking_id in (plain, rahasia, anonim):  # another agency: no such report
        answer = await other.goto(f"/petugas/laporan/{tracking_id}")
        assert answer is not None and answer.status == 404
        assert NAME not in await answer.text()
    for context in (national, admin_context, liaison_context, other_context):
        await context.close()
