"""A real Chromium (Debian's package, installed by `make`) driven by Playwright against the
real platform. No browser is downloaded: a missing /usr/bin/chromium fails, never skips."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path(os.environ.get("PINTU_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make .venv/.installed` installs it"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        await launched.close()
