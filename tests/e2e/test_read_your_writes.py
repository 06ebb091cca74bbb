"""A filer reads their complaint at once: its status URL, and Open311's requests/<id>, answer
from the moment the 201 is sent, however far the read model trails under load."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import QUICK_DELIVERY, WEBHOOK_SECRET
from tests.integration.test_intake import complaint
from tests.support.platform import Platform, running_platform
from tests.support.receivers import MailReceiver, WebhookReceiver

FILINGS = 100


@pytest.fixture(scope="module")
def busy_platform(
    kafka: str,
    agency_endpoint: WebhookReceiver,
    reporters_mailbox: MailReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """The whole platform, its rate and admission limits out of the way of a hundred at once."""
    home: Path = tmp_path_factory.mktemp("busy-platform")
    settings = {
        "PINTU_SMTP_PORT": str(reporters_mailbox.port),
        "PINTU_RATE_LIMIT_PER_MINUTE": "100000",
        "PINTU_MAX_IN_FLIGHT": str(4 * FILINGS),
        **QUICK_DELIVERY,
    }
    with running_platform(kafka, home, agency_endpoint.url, WEBHOOK_SECRET, settings) as running:
        yield running


async def file_and_read(intake: httpx.AsyncClient, n: int) -> list[tuple[str, int]]:
    """File, then at once read the status URL and requests/<id>: (what, status) of each."""
    body = complaint(title=f"Jalan kabupaten berlubang nomor {n}", confidential=n % 10 == 0)
    filed = await intake.post("/v1/complaints", json=body)
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    token = {"X-Reporter-Token": receipt["reporter_token"]}
    status = await intake.get(receipt["status_url"], headers=token)
    answers = [("status", status.status_code)]
    assert status.status_code != 200 or status.json()["tracking_id"] == receipt["tracking_id"]
    if not body["confidential"]:  # a rahasia complaint is never public, on Open311 neither
        one = await intake.get(f"/open311/v2/requests/{receipt['tracking_id']}.xml")
        answers.append(("requests/<id>", one.status_code))
    return answers


async def test_a_hundred_filers_each_read_their_status_url_at_once_and_never_get_a_404(
    busy_platform: Platform,
) -> None:
    limits = httpx.Limits(max_connections=FILINGS)
    async with httpx.AsyncClient(
        base_url=busy_platform.intake_url, timeout=30, limits=limits
    ) as intake:
        results = await asyncio.gather(*[file_and_read(intake, n) for n in range(FILINGS)])
    answers = [answer for result in results for answer in result]
    assert len(answers) == FILINGS + FILINGS - FILINGS // 10
    assert [a for a in answers if a[1] != 200] == []
