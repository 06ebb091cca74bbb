"""The routing rules at the national admin's desk, in a real browser on the real platform: a
new version is uploaded, its preview names the recent reports it would move, a bad file is
refused beside its field, and a version is published the API's way; no one else sees it."""

import json

import httpx
from playwright.async_api import Browser, FilePayload, expect

from tests.support.console import invite, national_admin, officer
from tests.support.platform import Platform
from tests.support.portal import picture

POWER_CUT = {
    "title": "Listrik padam tiap malam di Martapura",
    "description": "Sudah dua minggu listrik padam hampir setiap malam di desa kami.",
    "category": "listrik",
    "location": {"region_code": "16.08"},
}
SUMSEL_FIRST = {
    "id": "listrik-sumsel",
    "category": "listrik",
    "region_prefix": "16",
    "agency": "pemprov-sumatera-selatan",
}


def as_file(document: object) -> FilePayload:
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return {"name": "aturan.json", "mimeType": "application/json", "buffer": content}


async def test_a_new_version_is_previewed_then_published_and_only_the_national_admin_may(
    platform: Platform, browser: Browser
) -> None:
    filed = [
        httpx.post(f"{platform.intake_url}/v1/complaints", json=POWER_CUT, timeout=30)
        for _ in range(3)
    ]
    assert all(f.status_code == 201 for f in filed)
    ours = {f.json()["tracking_id"] for f in filed}

    national, page = await national_admin(browser, platform, "aturan@menpan.go.id")
    await page.goto("/petugas/aturan")
    async with page.expect_download() as download:
        await page.click("a[download]")
    in_force = json.loads((await (await download.value).path()).read_text(encoding="utf-8"))
    version = int(in_force["version"])
    await expect(page.locator("#in-force")).to_contain_text(f"aturan v{version}")

    await page.set_input_files("#berkas", files=[as_file(b"{bukan json")])
    await page.click("form[action='/petugas/aturan/pratinjau'] button")
    await expect(page.locator("#berkas-error")).to_contain_text("bukan JSON")
    await page.set_input_files("#berkas", files=[as_file(in_force)])  # not newer
    await page.click("form[action='/petugas/aturan/pratinjau'] button")
    await expect(page.locator("#berkas-error")).to_contain_text("lebih tinggi")
    broken = {"version": version + 1, "rules": [*in_force["rules"], {**SUMSEL_FIRST, "agency": "tidak-ada"}]}  # fmt: skip
    await page.set_input_files("#berkas", files=[as_file(broken)])
    await page.click("form[action='/petugas/aturan/pratinjau'] button")
    await expect(page.locator("#berkas-error")).to_contain_text("tidak-ada")
    await expect(page.locator("#in-force")).to_contain_text(f"aturan v{version}")  # unchanged

    # The preview: our three reports are among those the new rule would move (the read model
    # may trail the filings by a moment: preview again until it shows them).
    changed = {"version": version + 1, "rules": [*in_force["rules"], SUMSEL_FIRST]}
    for _ in range(20):
        await page.goto("/petugas/aturan")
        await page.set_input_files("#berkas", files=[as_file(changed)])
        await page.click("form[action='/petugas/aturan/pratinjau'] button")
        if ours <= set(await page.locator("table.moves a").all_inner_texts()):
            break
        await page.wait_for_timeout(500)
    row = page.locator("table.moves tr", has_text="Pemerintah Provinsi Sumatera Selatan")
    await expect(row).to_contain_text("PLN")
    assert ours <= set(await row.locator("a").all_inner_texts())
    moved = await page.locator("#moved").inner_text()
    assert int(moved.split(", ")[1].split()[0]) >= 3, moved
    await expect(page.locator("dl.summary")).to_contain_text("listrik-sumsel")
    await picture(page, "console-rules-preview")
    await page.click("text=Kembali ke aturan yang berlaku")  # publishing nothing
    await expect(page.locator("#in-force")).to_contain_text(f"aturan v{version}")

    # Published: the same rules as a newer version (so the rest of the suite routes as
    # before), the preview saying that nothing would move.
    same = {"version": version + 1, "rules": in_force["rules"]}
    await page.set_input_files("#berkas", files=[as_file(same)])
    await page.click("form[action='/petugas/aturan/pratinjau'] button")
    await expect(page.locator("#no-move")).to_be_visible()
    await page.click("form[action='/petugas/aturan/terbitkan'] button")
    await expect(page.locator("#published")).to_contain_text(f"v{version + 1}")
    await expect(page.locator("#in-force")).to_contain_text(f"aturan v{version + 1}")
    await picture(page, "console-rules")

    # An agency admin reads these pages as ones that are not there, and cannot publish.
    link = await invite(
        page, "pemkab-oku-timur", "Sari", "sari.aturan@okutimurkab.go.id", "agency_admin"
    )
    agency, page = await officer(browser, platform, link, "sari.aturan@okutimurkab.go.id")
    answer = await page.goto("/petugas/aturan")
    assert answer is not None and answer.status == 404
    cookies = {c["name"]: c["value"] for c in await agency.cookies()}
    refused = httpx.post(
        f"{platform.intake_url}/petugas/aturan/terbitkan",
        data={"document": json.dumps({"version": version + 2, "rules": in_force["rules"]}),
              "csrf_token": cookies["pintu_csrf"]},
        cookies=cookies, timeout=10,
    )  # fmt: skip
    assert refused.status_code == 404
    await page.goto("/petugas")
    await expect(page.locator("nav")).not_to_contain_text("Aturan")
    await national.close()
    await agency.close()
