"""What the public status page shows, read from the read model (no broker needed)."""

from datetime import datetime
from pathlib import Path

import httpx

from services.intake.app import create_app
from services.intake.filing import token_hash
from shared.adapters.sql.database import open_database
from shared.config import Settings
from shared.contracts.cloudevents import TYPE_NAMES
from shared.domain.calendar import WIB
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.deadlines import STANDARD_POLICY, Tier
from shared.domain.routing import default_directory
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


async def test_the_timeline_tells_each_step_in_the_reporters_language(tmp_path: Path) -> None:
    tracking_id = new_tracking_id()
    complaint = Complaint(
        tracking_id=tracking_id,
        report_type=ReportType.COMPLAINT,
        title="Jalan berlubang",
        description="Jalan kabupaten berlubang",
        category="jalan-daerah",
        region_code="16.08",
        channel=Channel.WEB,
    )
    # Routed on Monday 23 November 2026, reassigned the next day: each routing starts 5
    # working days for the first follow-up and 14 for completion, due at 23:59:59 WIB.
    complaint.route(
        "pemkab-oku-timur",
        "jalan-daerah-oku-timur@v1",
        "rule",
        at=datetime(2026, 11, 23, 9, 0, tzinfo=WIB),
    )
    complaint.decline("pemkab-oku-timur", "jalan provinsi")
    complaint.reassign(
        "kemen-pu", "admin-nasional", "jalan nasional", at=datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
    )
    # A simple one after all: its completion is rescheduled, 5 working days from routing.
    complaint.acknowledge("kemen-pu", Tier.SIMPLE, STANDARD_POLICY)
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1", data_dir=tmp_path)
    store = InboxStore(open_database(settings.database))
    for offset, event in enumerate(complaint.new_events()):
        store.apply(event, TYPE_NAMES[type(event)], position("complaints.events", 0, offset))

    indonesian = (await get(tmp_path, tracking_id, {})).json()
    english = (await get(tmp_path, tracking_id, {"Accept-Language": "en"})).json()
    oku_timur = default_directory().agencies["pemkab-oku-timur"].name
    pu = default_directory().agencies["kemen-pu"].name
    assert [t["label"] for t in indonesian["timeline"]] == [
        "Laporan diterima",
        f"Diteruskan ke {oku_timur}; batas tindak lanjut pertama: 30 November 2026,"
        " batas penyelesaian: 11 Desember 2026",
        "Tenggat tindak lanjut pertama dihentikan",
        "Tenggat penyelesaian dihentikan",
        f"{oku_timur} menyatakan bukan wewenangnya (jalan provinsi); diteruskan",
        f"Dialihkan oleh admin nasional ke {pu}; batas tindak lanjut pertama: 1 Desember 2026,"
        " batas penyelesaian: 14 Desember 2026",
        f"{pu} sedang memproses",
        "Batas penyelesaian: 1 Desember 2026",
    ]
    assert [t["label"] for t in english["timeline"]] == [
        "Report received",
        f"Forwarded to {oku_timur}; first follow-up due by November 30, 2026,"
        " completion due by December 11, 2026",
        "First follow-up: clock stopped",
        "Completion: clock stopped",
        f"{oku_timur} says this is not its authority (jalan provinsi); passed on",
        f"Reassigned by the national admin to {pu}; first follow-up due by December 1, 2026,"
        " completion due by December 14, 2026",
        f"{pu} is working on it",
        "Completion due by December 1, 2026",
    ]
    assert indonesian["agency_id"] == "kemen-pu"
