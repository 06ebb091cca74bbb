"""What the public status page shows, read from the read model (no broker needed)."""

from pathlib import Path

import httpx

from services.intake.app import create_app
from services.intake.filing import token_hash
from shared.config import Settings
from shared.contracts.cloudevents import TYPE_NAMES
from shared.database import open_database
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.tracking import new_tracking_id
from shared.projections.inbox import InboxStore, position

TOKEN = "the-reporters-token"
RAHASIA, PUBLIC = new_tracking_id(), new_tracking_id()


def project(data_dir: Path, tracking_id: str, confidential: bool) -> None:
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title="Pungutan liar di SMA",
        description="Uang gedung tanpa dasar hukum",
        category="pungutan-liar",
        region_code="32.04",
        channel=Channel.WEB,
        confidential=confidential,
        reporter_token_hash=token_hash(TOKEN),
    )
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1", data_dir=data_dir)
    store = InboxStore(open_database(settings.database))
    for offset, event in enumerate(complaint.new_events()):
        store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 0, offset))


async def get(tmp_path: Path, tracking_id: str, headers: dict[str, str]) -> httpx.Response:
    app = create_app(Settings(kafka_bootstrap_servers="127.0.0.1:1", data_dir=tmp_path))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://intake"
    ) as client:
        return await client.get(f"/v1/complaints/{tracking_id}", headers=headers)


async def test_a_rahasia_complaint_is_invisible_without_the_reporter_token(tmp_path: Path) -> None:
    project(tmp_path, RAHASIA, confidential=True)
    assert (await get(tmp_path, RAHASIA, {})).status_code == 404
    assert (await get(tmp_path, RAHASIA, {"X-Reporter-Token": "guess"})).status_code == 404
    seen = await get(tmp_path, RAHASIA, {"X-Reporter-Token": TOKEN})
    assert seen.status_code == 200
    assert seen.json()["timeline"][0]["detail"]["title"] == "Pungutan liar di SMA"


async def test_a_public_complaint_speaks_indonesian_by_default_and_english_on_request(
    tmp_path: Path,
) -> None:
    project(tmp_path, PUBLIC, confidential=False)
    indonesian = (await get(tmp_path, PUBLIC, {})).json()
    english = (await get(tmp_path, PUBLIC, {"Accept-Language": "en-GB,en;q=0.9"})).json()
    assert indonesian["status_label"] == "Belum Terverifikasi"
    assert english["status_label"] == "Not yet verified"
    # The timeline never shows the token's hash nor a sealed identity.
    assert "reporter_token_hash" not in indonesian["timeline"][0]["detail"]
    assert "reporter" not in indonesian["timeline"][0]["detail"]


async def test_a_mistyped_tracking_id_is_named_as_such(tmp_path: Path) -> None:
    typo = PUBLIC[:-1] + ("2" if PUBLIC[-1] != "2" else "3")
    answer = await get(tmp_path, typo, {})
    assert answer.status_code == 404
    assert "check it for a typo" in answer.json()["detail"]
