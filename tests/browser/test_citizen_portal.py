"""A citizen files, follows and rates a complaint in a real browser; the public sees only
what is public; a form without its CSRF token records nothing."""

import asyncio
import csv
import re
import time
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from shared.adapters.kafka import topics
from shared.contracts.cloudevents import CloudEvent
from tests.support.platform import Platform
from tests.support.portal import agency_acts, fill_filing, has_gps, photo_with_gps, reload_until
from tests.support.topics import read_until, settle

AGENCY = {"Authorization": "Bearer pintu-dev-agency-key"}
OKU_TIMUR = "pemkab-oku-timur"


def held(platform: Platform, agency: str) -> int:
    """How many reports the public dashboard's league table says `agency` holds."""
    sheet = httpx.get(f"{platform.intake_url}/statistik/peringkat-instansi.csv", timeout=10)
    assert sheet.status_code == 200, sheet.text
    rows = {row["agency_id"]: row for row in csv.DictReader(sheet.text.splitlines())}
    return int(rows[agency]["held"]) if agency in rows else 0


async def held_becomes(platform: Platform, agency: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (now := held(platform, agency)) != count:
        assert time.monotonic() < deadline, f"the dashboard says {agency} holds {now}, not {count}"
        await asyncio.sleep(0.5)


def uploads(platform: Platform) -> Path:
    return Path(platform.env["PINTU_DATA_DIR"]) / "uploads"


async def test_a_citizen_files_with_a_photo_follows_the_answer_and_rates_it(
    platform: Platform, kafka: str, browser: Browser, tmp_path: Path
) -> None:
    held_before = held(platform, OKU_TIMUR)
    context = await browser.new_context(base_url=platform.intake_url, locale="id-ID")
    page = await context.new_page()
    await page.goto("/lapor")
    await expect(page.locator("h1")).to_have_text("Sampaikan laporan")
    await fill_filing(page, "Jalan berlubang di Terukis, foto terlampir")
    await page.fill("#email", "siti@example.id")
    await page.set_input_files("#files", str(photo_with_gps(tmp_path / "jalan.jpg")))
    await page.click("button[value=file]")

    tracking_id = (await page.locator("#tracking-id").inner_text()).strip()
    assert re.fullmatch(r"[0-9A-Z]{10}", tracking_id)
    private_link = await page.locator("#private-link").get_attribute("href")
    assert private_link and private_link.startswith(f"/lacak/{tracking_id}/pelapor/")
    await expect(page.locator(".qr svg")).to_be_visible()

    # The photo is kept, and without the GPS position it was taken at.
    stored = [p for p in uploads(platform).rglob("*") if p.is_file()]
    assert stored and not any(has_gps(p.read_bytes()) for p in stored if p.suffix == "")

    # It reaches its agency's topic, with the photo described whole.
    def routed(records: list) -> bool:  # type: ignore[type-arg]
        return any(tracking_id.encode() in r.value for r in records)

    records = await read_until(kafka, topics.routed(OKU_TIMUR), routed, timeout=60)
    event = next(
        CloudEvent.model_validate_json(r.value) for r in records if tracking_id.encode() in r.value
    )
    (attachment,) = event.data["complaint"]["attachments"]
    assert attachment["media_type"] == "image/jpeg" and len(attachment["sha256"]) == 64
    served = httpx.get(attachment["url"], headers=AGENCY)
    assert served.status_code == 200 and not has_gps(served.content)
    await held_becomes(platform, OKU_TIMUR, held_before + 1)  # the public dashboard counts it

    # The agency answers through the API; the citizen reads it on the tracking page.
    api = httpx.Client(base_url=platform.intake_url, headers=AGENCY, timeout=30)
    path = f"/v1/agencies/{OKU_TIMUR}/complaints/{tracking_id}"
    answer = "Tim PUPR sudah menambal lubang di Jl. Lintas Desa Terukis."
    for step, body in (("follow-up", {"message": answer}), ("resolve", {"message": answer})):
        done = await agency_acts(api, f"{path}/{step}", body)
        assert done.status_code == 200, done.text
    await page.goto(private_link)
    await reload_until(page, "#status", "Selesai")  # the read model trails by a moment
    await expect(page.locator(".timeline")).to_contain_text(answer)

    await page.click("form[action$='/nilai'] button")  # no score chosen: the form back
    await expect(page.locator("#score-error")).to_be_visible()
    await page.check("#score-5")
    await page.fill("#comment", "Cepat ditangani.")
    await page.click("form[action$='/nilai'] button")
    await expect(page.locator(".notice")).to_contain_text("Sudah dicatat")
    await reload_until(page, ".timeline", "5/5")

    # The public page shows it, and the agency's answer, never who reported it.
    await page.goto(f"/laporan/{tracking_id}")
    await expect(page.locator("main")).to_contain_text(answer)
    assert "siti@example.id" not in await page.content()
    await context.close()


async def test_a_rahasia_complaint_is_on_no_public_page_and_its_file_needs_the_token(
    platform: Platform, browser: Browser, tmp_path: Path
) -> None:
    held_before = held(platform, OKU_TIMUR)
    context = await browser.new_context(base_url=platform.intake_url, locale="id-ID")
    page = await context.new_page()
    await page.goto("/lapor")
    await fill_filing(page, "Pungutan liar di kantor kecamatan")
    await page.check("#confidential")
    await page.fill("#phone", "0812 3456 7890")
    await page.set_input_files("#files", str(photo_with_gps(tmp_path / "bukti.jpg")))
    await page.click("button[value=file]")
    tracking_id = (await page.locator("#tracking-id").inner_text()).strip()
    private_link = await page.locator("#private-link").get_attribute("href")
    assert private_link

    anyone = httpx.Client(base_url=platform.intake_url, timeout=10)
    for where in ("/laporan/", "/lacak/"):  # answered as a tracking id no one was given
        refused = anyone.get(where + tracking_id)
        unknown = anyone.get(where + "AAAAAAAAAA")
        assert refused.status_code == unknown.status_code == 404
        assert refused.text.replace(tracking_id, "") == unknown.text.replace("AAAAAAAAAA", "")
    tracked = anyone.get("/lacak", params={"nomor": tracking_id})
    assert tracked.status_code == 404

    await page.goto(private_link)
    file_link = page.locator("a[href*='/berkas/']")
    href = await file_link.get_attribute("href")
    assert href
    sha256 = href.rsplit("/", 1)[1]
    assert anyone.get(href).status_code == 200  # with the token, in the private link
    assert anyone.get(f"/berkas/{tracking_id}/{sha256}").status_code == 404  # without it
    status = anyone.get("/v1/complaints/" + tracking_id)
    assert status.status_code == 404

    # Once the read model holds it at its agency, the public dashboard still does not count it.
    await reload_until(page, ".timeline", "Pemerintah Kabupaten Ogan Komering Ulu Timur")
    assert held(platform, OKU_TIMUR) == held_before
    await context.close()


async def test_a_form_posted_without_its_csrf_token_is_refused_and_records_nothing(
    platform: Platform, kafka: str
) -> None:
    title = "Laporan tanpa token CSRF"
    form = {
        "report_type": "pengaduan",
        "title": title,
        "description": "Formulir ini dikirim dari situs lain tanpa token.",
        "category": "jalan-daerah",
        "province": "16",
        "anonymous": "yes",
        "do": "file",
    }
    anyone = httpx.Client(base_url=platform.intake_url, timeout=10)
    page = anyone.get("/lapor")
    assert page.status_code == 200 and "pintu_csrf" in anyone.cookies
    refused = anyone.post("/lapor", data=form)  # the cookie, but no token in the form
    assert refused.status_code == 403
    forged = anyone.post("/lapor", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403
    log = await settle(kafka, topics.EVENTS, seconds=3)
    assert not any(title.encode() in r.value for r in log)


async def test_a_citizen_answers_the_agencys_question_and_reopens_the_answer(
    platform: Platform, browser: Browser
) -> None:
    context = await browser.new_context(base_url=platform.intake_url, locale="id-ID")
    page = await context.new_page()
    await page.goto("/lapor")
    await fill_filing(page, "Lampu jalan padam di Desa Terukis")
    await page.fill("#email", "rina@example.id")
    await page.click("button[value=file]")
    tracking_id = (await page.locator("#tracking-id").inner_text()).strip()
    private_link = await page.locator("#private-link").get_attribute("href")
    assert private_link

    api = httpx.Client(base_url=platform.intake_url, headers=AGENCY, timeout=30)
    path = f"/v1/agencies/{OKU_TIMUR}/complaints/{tracking_id}"
    question = "Di depan rumah nomor berapa lampu yang padam?"
    asked = await agency_acts(api, f"{path}/request-information", {"question": question})
    assert asked.status_code == 200, asked.text

    await page.goto(private_link)
    await reload_until(page, ".timeline", question)
    answer = "Di depan rumah nomor 12, dekat masjid."
    await page.fill("#message", answer)
    await page.click("form[action$='/balas'] button")
    await expect(page.locator(".notice")).to_contain_text("Sudah dicatat")
    await reload_until(page, ".timeline", "Pelapor menanggapi")  # its words are not retold

    done = "Lampu sudah diganti oleh Dinas Perhubungan."
    assert api.post(f"{path}/resolve", json={"message": done}).status_code == 200
    await reload_until(page, "#status", "Selesai")
    await page.fill("#reason", "Padam")  # too short: the form back, nothing recorded
    await page.click("form[action$='/buka-kembali'] button")
    await expect(page.locator("#reason-error")).to_be_visible()
    await expect(page.locator(".error-summary a[href='#reason']")).to_be_visible()
    reason = "Lampu menyala sehari lalu padam lagi sejak kemarin malam."
    await page.fill("#reason", reason)
    await page.click("form[action$='/buka-kembali'] button")
    await expect(page.locator(".notice")).to_contain_text("Sudah dicatat")
    await reload_until(page, ".timeline", "Dibuka kembali atas permintaan pelapor")
    assert await page.locator("form[action$='/buka-kembali']").count() == 0
    await context.close()
