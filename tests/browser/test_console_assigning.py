"""Sharing out the work, in a real browser on the real platform: a liaison of a unit sees its
reports and those assigned to them, nothing else of the agency; the agency admin assigns one
report from its page and several from the inbox; words find reports in the inbox."""

import uuid

import httpx
from playwright.async_api import Browser, expect

from tests.support.console import (
    inbox_shows,
    invite,
    national_admin,
    officer,
    serious_violations,
)
from tests.support.platform import Platform
from tests.support.portal import picture

OKU = "pemkab-oku-timur"


def filed(platform: Platform, title: str, category: str, marker: str) -> str:
    answer = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={
            "title": f"{title} ({marker})",
            "description": f"Sudah sebulan dilaporkan ke kecamatan, belum ada tindakan. {marker}",
            "category": category,
            "location": {"region_code": "16.08"},
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["tracking_id"])


async def test_a_liaisons_unit_and_assignments_decide_what_they_see(
    platform: Platform, browser: Browser
) -> None:
    marker = "kode" + uuid.uuid4().hex[:6]
    bridge = filed(platform, "Jembatan gantung putus", "jalan-daerah", marker)
    identity_card = filed(platform, "KTP elektronik belum jadi", "kependudukan", marker)
    lamp = filed(platform, "Lampu jalan mati", "jalan-daerah", marker)

    national, page = await national_admin(browser, platform, "tugas@menpan.go.id")
    admin_link = await invite(page, OKU, "Dewi", "dewi.tugas@okutimurkab.go.id", "agency_admin")
    admin_context, admin = await officer(
        browser, platform, admin_link, "dewi.tugas@okutimurkab.go.id"
    )
    # The admin invites a liaison of the population unit, and one of the whole agency.
    await admin.goto("/petugas/tim")
    await admin.fill("#name", "Joko")
    await admin.fill("#email", "joko.tugas@okutimurkab.go.id")
    await admin.check("#role-liaison")
    await admin.click("details summary")
    await admin.fill("#unit_regions", "99.99")  # no such region: refused beside its field
    await admin.check("#unit-category-kependudukan")
    await admin.click("form[action='/petugas/tim/undang'] button")
    await expect(admin.locator("#unit_regions-error")).to_be_visible()
    await expect(admin.locator("#unit-category-kependudukan")).to_be_checked()
    await admin.fill("#unit_regions", "")
    await admin.click("form[action='/petugas/tim/undang'] button")
    joko_link = await admin.locator("#invitation-link").get_attribute("href")
    assert joko_link
    await expect(admin.locator("tr", has_text="Joko")).to_contain_text("Unit: Administrasi")
    ani_link = await invite(admin, None, "Ani", "ani.tugas@okutimurkab.go.id", "liaison")
    joko_context, joko = await officer(browser, platform, joko_link, "joko.tugas@okutimurkab.go.id")
    ani_context, ani = await officer(browser, platform, ani_link, "ani.tugas@okutimurkab.go.id")

    await inbox_shows(joko, f"?kata={marker}", identity_card)
    listed = await joko.locator("main").inner_text()
    assert bridge not in listed and lamp not in listed
    answer = await joko.goto(f"/petugas/laporan/{bridge}")  # outside the unit: not there
    assert answer is not None and answer.status == 404

    # The admin assigns the bridge to Joko from its page: now he reads it, and finds it
    # among those assigned to him.
    await inbox_shows(admin, f"?kata={marker}", lamp)
    await admin.goto(f"/petugas/laporan/{bridge}")
    await admin.click("form[action$='/tugaskan'] button")  # no one chosen
    await expect(admin.locator("#petugas-error")).to_be_visible()
    await admin.select_option("#petugas", label="Joko")
    await admin.click("form[action$='/tugaskan'] button")
    await expect(admin.locator("#verdict")).to_contain_text("Sudah ditugaskan")
    await expect(admin.locator("#assignee")).to_have_text("Joko")
    assert await serious_violations(admin) == []  # the page with its assigning form
    await joko.goto(f"/petugas/laporan?kata={marker}&ditugaskan=saya")
    await expect(joko.locator("#count")).to_have_text("Laporan ditemukan: 1")
    await expect(joko.locator("table.inbox")).to_contain_text(bridge)
    answer = await joko.goto(f"/petugas/laporan/{bridge}")
    assert answer is not None and answer.status == 200

    # Several at once from the inbox, each with its own outcome.
    await admin.goto(f"/petugas/laporan?kata={marker}")
    await admin.check(f"#pilih-{identity_card}")
    await admin.check(f"#pilih-{lamp}")
    await admin.select_option("#petugas", label="Ani")
    await admin.click("button[formaction^='/petugas/laporan/tugaskan']")
    for tracking_id in (identity_card, lamp):
        await expect(admin.locator("tr", has_text=tracking_id)).to_contain_text(
            "Ditugaskan kepada Ani"
        )
    assert await serious_violations(admin) == []
    await ani.goto(f"/petugas/laporan?kata={marker}&ditugaskan=saya")
    await expect(ani.locator("#count")).to_have_text("Laporan ditemukan: 2")
    await admin.goto(f"/petugas/laporan?kata={marker}")
    await expect(admin.locator("tr", has_text=lamp).locator(".assignee")).to_have_text("Ani")
    await picture(admin, "console-inbox-assigned")

    # Words: every one must be in the title or the chronology, in any case.
    await admin.goto(f"/petugas/laporan?kata=GANTUNG+{marker}")
    await expect(admin.locator("#count")).to_have_text("Laporan ditemukan: 1")
    await expect(admin.locator("table.inbox")).to_contain_text(bridge)
    for context in (national, admin_context, joko_context, ani_context):
        await context.close()
