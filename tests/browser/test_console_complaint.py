"""A complaint at the desk, in a real browser against the real platform: officers take it
up (two at once: one wins, the other reads why not), ask the reporter, who answers, follow
up from the agency's template and complete it; another agency's officer can neither read
it nor act on it; the national admin reassigns from triage."""

import asyncio

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
from tests.support.portal import picture, reload_until

OKU, BANDUNG = "pemkab-oku-timur", "pemkot-bandung"


async def test_officers_act_on_a_complaint_and_another_agency_cannot(
    platform: Platform, browser: Browser
) -> None:
    national, page = await national_admin(browser, platform, "meja@menpan.go.id")
    links = [
        await invite(page, OKU, "Rina", "rina@okutimurkab.go.id", "agency_admin"),
        await invite(page, OKU, "Bayu", "bayu@okutimurkab.go.id", "liaison"),
        await invite(page, BANDUNG, "Euis", "euis@bandung.go.id", "agency_admin"),
    ]
    filed = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={
            "title": "Lampu penerangan jalan mati di Martapura",
            "description": "Sepuluh lampu jalan di Jl. Merdeka mati sejak dua minggu.",
            "category": "jalan-daerah",
            "location": {"region_code": "16.08"},
            "reporter": {"email": "warga@example.id"},
        },
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    tracking_id, token = filed.json()["tracking_id"], filed.json()["reporter_token"]
    path = f"/petugas/laporan/{tracking_id}"

    rina_context, rina = await officer(browser, platform, links[0], "rina@okutimurkab.go.id")
    bayu_context, bayu = await officer(browser, platform, links[1], "bayu@okutimurkab.go.id")
    for desk in (rina, bayu):
        await desk.goto("/petugas/laporan?urut=newest")
        await reload_until(desk, "main", tracking_id)  # the read model trails by a moment
        await picture(desk, "console-inbox")
        await desk.click(f"a[href='{path}']")
        await expect(desk.locator("#title")).to_have_text(
            "Lampu penerangan jalan mati di Martapura"
        )
        await desk.check("#tier-tanpa_peninjauan_lapangan")

    # Both take it up at the same moment: one command wins, the other is told why not.
    await asyncio.gather(*(desk.click("form[action$='/terima'] button") for desk in (rina, bayu)))
    verdicts = sorted([await d.locator("#verdict").inner_text() for d in (rina, bayu)])
    assert verdicts[0].startswith("Selesai"), verdicts
    assert verdicts[1].startswith("Tidak dilakukan"), verdicts
    assert "Tidak ada yang dicatat" in verdicts[1]

    await rina.goto(path)
    await rina.fill("#question", "Foto?")  # too short: beside its field
    await rina.click("form[action$='/tanya'] button")
    await expect(rina.locator("#question-error")).to_be_visible()
    assert await serious_violations(rina) == []  # the page with its forms and an error
    await rina.goto(f"{path}?lang=en")
    assert await serious_violations(rina) == []
    await rina.goto(f"{path}?lang=id")
    await picture(rina, "console-complaint")
    question = "Mohon sebutkan nomor tiang lampu yang mati."
    await rina.fill("#question", question)
    await rina.click("form[action$='/tanya'] button")
    await expect(rina.locator("#verdict")).to_contain_text("Selesai")
    answered = httpx.post(
        f"{platform.intake_url}/v1/complaints/{tracking_id}/reply",
        json={"message": "Tiang nomor 12 sampai 21."},
        headers={"X-Reporter-Token": token},
        timeout=30,
    )
    assert answered.status_code == 200, answered.text
    await reload_until(rina, ".timeline", "Pelapor menanggapi: Tiang nomor 12 sampai 21.")

    # The agency admin writes a template; the penghubung follows up with it.
    follow_up = "Petugas PJU sudah menjadwalkan penggantian lampu minggu ini."
    await rina.goto("/petugas/templat")
    await rina.click("form[action='/petugas/templat/simpan'] button")  # empty: each error
    for field in ("title", "action", "body"):
        await expect(rina.locator(f"#{field}-error")).to_be_visible()
    assert await serious_violations(rina) == []
    await rina.fill("#title", "PJU dijadwalkan")
    await rina.check("#action-follow_up")
    await rina.select_option("#category", "jalan-daerah")
    await rina.fill("#body", follow_up)
    await rina.click("form[action='/petugas/templat/simpan'] button")
    await expect(rina.locator("table.templates")).to_contain_text("PJU dijadwalkan")
    await bayu.goto(path)
    await bayu.select_option("#templat-follow_up", label="PJU dijadwalkan")
    await bayu.click("form.pick button")
    await expect(bayu.locator("#follow_up")).to_have_value(follow_up)
    await bayu.fill("#follow_up", follow_up + " Mohon bersabar.")  # edited before it goes
    await bayu.click("form[action$='/tindak-lanjut'] button")
    await expect(bayu.locator("#verdict")).to_contain_text("Selesai")
    await rina.goto(path)
    await reload_until(rina, ".timeline", follow_up + " Mohon bersabar.")
    await rina.fill("#resolution", "Sepuluh lampu sudah diganti dan menyala kembali.")
    await rina.click("form[action$='/selesai'] button")
    await reload_until(rina, "#status", "Selesai")
    assert await rina.locator("form[action$='/terima']").count() == 0  # completed: no forms
    await rina.goto("/petugas/skor")  # the agency's scores count it as followed up
    held = rina.locator("table.figures tr", has_text="Laporan dipegang")
    followed = rina.locator("table.figures tr", has_text="Ditindaklanjuti")
    assert int((await held.locator("td").inner_text()).replace(".", "")) >= 1
    assert (await followed.locator("td").inner_text()) != "\N{EN DASH}"
    await expect(rina.locator("#share-chart-title")).to_be_attached()
    assert await serious_violations(rina) == []

    # Another agency's officer: the page reads as an unknown one, and its forms do nothing.
    euis_context, euis = await officer(browser, platform, links[2], "euis@bandung.go.id")
    theirs = await euis.goto(path)
    assert theirs is not None
    theirs_page = (theirs.status, (await theirs.text()).replace(tracking_id, ""))
    unknown = await euis.goto("/petugas/laporan/AAAAAAAAAA")
    assert unknown is not None
    assert theirs_page == (unknown.status, (await unknown.text()).replace("AAAAAAAAAA", ""))
    assert theirs_page[0] == 404
    cookies = {c["name"]: c["value"] for c in await euis_context.cookies()}
    forged = httpx.post(
        f"{platform.intake_url}{path}/tindak-lanjut",
        data={
            "follow_up": "Ini bukan laporan kami, tapi kami coba.",
            "csrf_token": cookies["pintu_csrf"],
        },
        cookies=cookies,
        timeout=30,
    )
    assert forged.status_code == 404
    await rina.goto(path)
    assert "Ini bukan laporan kami" not in await rina.locator(".timeline").inner_text()
    for context in (national, rina_context, bayu_context, euis_context):
        await context.close()


async def test_the_national_admin_reassigns_from_triage_and_a_decline_leaves_for_good(
    platform: Platform, browser: Browser
) -> None:
    national, admin = await national_admin(browser, platform, "triase@menpan.go.id")
    oku_link = await invite(admin, OKU, "Sari", "sari@okutimurkab.go.id", "agency_admin")
    bandung_link = await invite(admin, BANDUNG, "Dadang", "dadang@bandung.go.id", "agency_admin")
    filed = httpx.post(
        f"{platform.intake_url}/v1/complaints",
        json={
            "title": "Pungutan di pos ronda",
            "description": "Warga dimintai uang keamanan tiap malam tanpa dasar yang jelas.",
            "category": "lainnya",  # no rule: the national admin's triage queue
            "location": {"region_code": "16.08"},
        },
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    tracking_id = filed.json()["tracking_id"]
    path = f"/petugas/laporan/{tracking_id}"

    async def reassign(to: str) -> None:
        await inbox_shows(admin, "?antrean=triase", tracking_id)
        await admin.goto(path)
        await admin.select_option("#to_agency", to)
        await admin.fill("#reassign_reason", "Wilayah dan urusannya milik instansi ini.")
        await admin.click("form[action$='/alihkan'] button")
        await expect(admin.locator("#verdict")).to_contain_text("Selesai")

    await reassign(OKU)
    oku_context, oku = await officer(browser, platform, oku_link, "sari@okutimurkab.go.id")
    await inbox_shows(oku, "?urut=newest", tracking_id)
    await oku.goto(path)
    await oku.fill("#reason", "Keamanan lingkungan bukan urusan pemerintah kabupaten.")
    await oku.click("form[action$='/bukan-wewenang'] button")
    await inbox_shows(oku, f"?nomor={tracking_id}", tracking_id, shown=False)  # gone

    await reassign(BANDUNG)  # back in triage, and on to the next agency
    bandung_context, bandung = await officer(
        browser, platform, bandung_link, "dadang@bandung.go.id"
    )
    await inbox_shows(bandung, "?urut=newest", tracking_id)
    await oku.goto(f"/petugas/laporan?nomor={tracking_id}")
    await expect(oku.locator("#count")).to_have_text("Laporan ditemukan: 0")  # never again
    for context in (national, oku_context, bandung_context):
        await context.close()
