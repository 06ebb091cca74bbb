"""`make demo`: files a handful of realistic complaints and shows where each went."""

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from shared.wording import format_wib

SAMPLES: list[dict[str, Any]] = [
    {
        "title": "Jalan kabupaten berlubang di Martapura",
        "description": "Jalan penghubung Desa Terukis rusak berat sejak Januari; dua pengendara jatuh.",
        "category": "jalan-daerah",
        "location": {"region_code": "16.08.01", "address": "Jl. Lintas Desa Terukis"},
        "channel": "web",
        "reporter": {"name": "Siti Aminah", "email": "siti@example.id", "phone": "0812-3456-7890"},
    },
    {
        "title": "Jalan nasional lintas timur amblas",
        "description": "Ruas jalan nasional dekat jembatan amblas sekitar satu meter, rawan kecelakaan.",
        "category": "jalan-nasional",
        "location": {"region_code": "16.08"},
        "channel": "mobile",
    },
    {
        "title": "Klaim BPJS ditolak rumah sakit",
        "description": "Rumah sakit meminta biaya tambahan untuk tindakan yang ditanggung BPJS Kesehatan.",
        "category": "jaminan-kesehatan",
        "location": {"region_code": "32.73"},
        "channel": "sms",
        "anonymous": True,
    },
    {
        "title": "Pungutan liar di SMA negeri",
        "description": "Orang tua siswa diminta membayar uang gedung yang tidak ada dasar hukumnya.",
        "category": "pendidikan-menengah",
        "location": {"region_code": "32.04"},
        "channel": "social",
        "confidential": True,
    },
    {
        "title": "Lampu jalan padam sebulan",
        "report_type": "aspirasi",
        "description": "Lampu penerangan jalan di kompleks kami padam sejak sebulan lalu.",
        "category": "penerangan-jalan",
        "location": {"region_code": "11.01"},
        "channel": "partner_api",
    },
]


@dataclass
class Filed:
    tracking_id: str
    reporter_token: str
    title: str
    agency_id: str | None = None
    deadline_at: str | None = None


def run(intake_url: str, wait_seconds: float = 30.0) -> int:
    with httpx.Client(base_url=intake_url, timeout=10) as client:
        filed = []
        for sample in SAMPLES:
            response = client.post("/v1/complaints", json=sample)
            if response.status_code != 201:
                print(f"intake refused {sample['title']!r}: {response.status_code} {response.text}")
                return 1
            receipt = response.json()
            filed.append(Filed(receipt["tracking_id"], receipt["reporter_token"], sample["title"]))
            print(f"filed   {filed[-1].tracking_id}  {sample['title']}")
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and any(f.deadline_at is None for f in filed):
            for f in filed:
                # The reporter token opens rahasia complaints too.
                response = client.get(
                    f"/v1/complaints/{f.tracking_id}",
                    headers={"X-Reporter-Token": f.reporter_token},
                )
                if response.status_code == 200:
                    view = response.json()
                    f.agency_id = view["agency_id"]
                    f.deadline_at = view["deadline_at"]
            time.sleep(0.5)
    print()
    print(f"{'tracking id':<12} {'agency':<26} {'follow-up due':<28} title")
    for f in filed:
        print(
            f"{f.tracking_id:<12} {f.agency_id or '(not yet routed)':<26} "
            f"{due(f.deadline_at):<28} {f.title}"
        )
    print("\nWatch an agency topic:  make watch AGENCY=pemkab-oku-timur")
    return 0 if all(f.deadline_at for f in filed) else 1


def due(deadline_at: str | None) -> str:
    """The inbox's `deadline_at` (UTC, for machines) as a person reads it: in WIB, named."""
    if deadline_at is None:
        return "-"
    return format_wib(datetime.fromisoformat(deadline_at.replace("Z", "+00:00")), "en")
