"""What the browser tests share: a photo that gives its place away, and the form filled in."""

import asyncio
import io
import os
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.async_api import Page

GPS_IFD = 0x8825
# Where the README's pictures are taken to: PINTU_SCREENSHOTS=docs/screenshots pytest tests/browser
SCREENSHOTS = Path(os.environ.get("PINTU_SCREENSHOTS", "/nonexistent"))


async def picture(page: Page, name: str) -> None:
    """The page as the README shows it, when pictures are being taken."""
    if SCREENSHOTS.is_dir():
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def photo_with_gps(path: Path) -> Path:
    """A JPEG whose EXIF says where it was taken (Martapura, OKU Timur)."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (4.0, 19.0, 25.0), 3: "E", 4: (104.0, 21.0, 21.0)})
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


async def fill_filing(page: Page, title: str, *, scripted: bool = True) -> None:
    """The form filled as a citizen would: a road complaint in OKU Timur."""
    await page.check("#report_type-pengaduan")
    await page.fill("#title", title)
    await page.fill(
        "#description", "Jalan penghubung desa berlubang besar sejak Januari; dua motor jatuh."
    )
    await page.select_option("#category", "jalan-daerah")
    await page.select_option("#province", "16")
    if scripted:  # the script fills the next list
        await page.wait_for_selector("#regency option[value='16.08']", state="attached")
    else:  # one level at a time, with the button beside the list
        await page.click("[data-level=province] button[value=region]")
    await page.select_option("#regency", "16.08")
    await page.fill("#address", "Jl. Lintas Desa Terukis")


async def reload_until(page: Page, selector: str, text: str, timeout: float = 30) -> None:
    """Reload until `selector` shows `text`: the read model trails the log by a moment."""
    deadline = time.monotonic() + timeout
    while text not in await page.locator(selector).inner_text():
        assert time.monotonic() < deadline, f"{selector} never showed {text!r}"
        await asyncio.sleep(0.5)
        await page.reload()


async def agency_acts(api: httpx.Client, path: str, body: dict[str, str]) -> httpx.Response:
    """An agency's action through the API, once the read model shows the agency holding the
    complaint: until then the API answers 404 and records nothing, and a client retries."""
    deadline = time.monotonic() + 30
    while (answer := api.post(path, json=body)).status_code == 404:
        assert time.monotonic() < deadline, answer.text
        await asyncio.sleep(0.5)
    return answer
