"""What agencies and the national admin may read over HTTP, and what anyone may: each key
reads only its own complaints (and copies), filtered, sorted, paged and as CSV."""

import csv
import io
from pathlib import Path

import httpx
import pytest

from services.intake.app import create_app
from services.intake.queries import attachment
from shared.adapters.sql.database import open_database
from shared.config import Settings
from shared.contracts.cloudevents import TYPE_NAMES
from shared.projections.inbox import Applied, InboxStore, position
from tests.support.histories import Expected, mixed_histories

PU = {"Authorization": "Bearer pu-key"}
BPJS = {"Authorization": "Bearer bpjs-key"}
ADMIN = {"Authorization": "Bearer admin-key"}


@pytest.fixture
def expected(tmp_path: Path) -> Expected:
    store = InboxStore(open_database(settings(tmp_path).database))
    events, figures = mixed_histories(200)
    store.apply_all(
        [
            Applied(event, TYPE_NAMES[type(event)], position("complaints.events", 0, n))
            for n, event in enumerate(events)
        ]
    )
    return figures


def settings(tmp_path: Path) -> Settings:
    return Settings(
        kafka_bootstrap_servers="127.0.0.1:1",
        data_dir=tmp_path,
        agency_api_keys={"kemen-pu": ["pu-key"], "bpjs-kesehatan": ["bpjs-key"]},
        admin_api_keys=["admin-key"],
    )


@pytest.fixture
async def intake(tmp_path: Path, expected: Expected) -> httpx.AsyncClient:
    app = create_app(settings(tmp_path))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake")


async def test_an_agency_lists_its_own_complaints_and_copies_only(
    intake: httpx.AsyncClient, expected: Expected
) -> None:
    page = (await intake.get("/v1/agencies/kemen-pu/complaints?page_size=500", headers=PU)).json()
    held = [i for i in page["items"] if not i["tembusan"]]
    assert len(held) == expected.held["kemen-pu"]
    assert page["total"] == len(page["items"]) > len(held)
    everyone = (await intake.get("/v1/admin/complaints?page_size=500", headers=ADMIN)).json()
    assert everyone["total"] == expected.complaints


async def test_an_agencys_key_cannot_read_another_agencys_complaints(
    intake: httpx.AsyncClient,
) -> None:
    assert (
        await intake.get("/v1/agencies/bpjs-kesehatan/complaints", headers=PU)
    ).status_code == 403
    assert (await intake.get("/v1/agencies/bpjs-kesehatan/inbox", headers=PU)).status_code == 403
    assert (await intake.get("/v1/agencies/kemen-pu/statistics", headers=BPJS)).status_code == 403
    assert (await intake.get("/v1/agencies/kemen-pu/complaints")).status_code == 401
    assert (await intake.get("/v1/admin/complaints", headers=PU)).status_code == 403
    theirs = (await intake.get("/v1/agencies/bpjs-kesehatan/complaints", headers=BPJS)).json()
    mine = (await intake.get("/v1/agencies/kemen-pu/complaints?page_size=500", headers=PU)).json()
    other = next(
        i["tracking_id"]
        for i in theirs["items"]
        if i["tracking_id"] not in {m["tracking_id"] for m in mine["items"]}
    )
    # Not "forbidden": not even its existence is confirmed to another agency.
    found = await intake.get(f"/v1/agencies/kemen-pu/complaints/{other}", headers=PU)
    assert found.status_code == 404
    own = mine["items"][0]["tracking_id"]
    assert (await intake.get(f"/v1/agencies/kemen-pu/complaints/{own}", headers=PU)).json()[
        "tracking_id"
    ] == own


async def test_filters_sorting_and_pages_cover_the_same_complaints(
    intake: httpx.AsyncClient,
) -> None:
    path = "/v1/agencies/kemen-pu/complaints"
    everything = (await intake.get(f"{path}?page_size=500&sort=-filed_at", headers=PU)).json()
    filed = [i["filed_at"] for i in everything["items"]]
    assert filed == sorted(filed, reverse=True)
    pages = [
        (await intake.get(f"{path}?page_size=7&page={n}&sort=-filed_at", headers=PU)).json()
        for n in range(1, everything["total"] // 7 + 2)
    ]
    assert [i for p in pages for i in p["items"]] == everything["items"]
    done = (
        await intake.get(f"{path}?status=terdisposisi_selesai&page_size=500", headers=PU)
    ).json()
    assert done["items"] and {i["status"] for i in done["items"]} == {"terdisposisi_selesai"}
    opened = (await intake.get(f"{path}?open=true&page_size=500", headers=PU)).json()
    assert "terdisposisi_selesai" not in {i["status"] for i in opened["items"]}
    late = (await intake.get(f"{path}?overdue=true&page_size=500", headers=PU)).json()
    assert late["items"] and all(i["overdue"] for i in late["items"])
    bad = await intake.get(f"{path}?sort=password", headers=PU)
    assert bad.status_code == 422


async def test_csv_exports_every_matching_complaint_not_one_page(
    intake: httpx.AsyncClient,
) -> None:
    path = "/v1/agencies/kemen-pu/complaints"
    listed = (await intake.get(f"{path}?page_size=1", headers=PU)).json()
    exported = await intake.get(f"{path}?format=csv&page_size=1", headers=PU)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == listed["total"] > 1
    assert {"tracking_id", "status", "deadline_at", "days_left", "overdue"} <= set(rows[0])


async def test_scores_and_public_statistics(intake: httpx.AsyncClient, expected: Expected) -> None:
    scores = (await intake.get("/v1/agencies/kemen-pu/statistics", headers=PU)).json()
    assert scores["held"] == expected.held["kemen-pu"]
    assert scores["followed_up"] == expected.followed_up["kemen-pu"]
    assert scores["transferred_away"] == expected.transferred_away["kemen-pu"]
    assert scores["followed_up_target"] == 0.9
    public = (await intake.get("/v1/statistics?group_by=agency")).json()
    assert sum(f["total"] for f in public) == expected.complaints - expected.confidential
    assert set(public[0]) == {"key", "total", "by_status", "followed_up_share"}  # counts only


async def test_pages_and_identifiers_beyond_their_published_bounds_are_422_never_a_5xx(
    intake: httpx.AsyncClient,
) -> None:
    for query in (
        "page=9223372036854775807",
        "page_size=356&page=100000000000000000",
        "format=csv&agency_id=%F0%A6%A9%94",
        "filed_to=0.5",
    ):
        answer = await intake.get(f"/v1/admin/complaints?{query}", headers=ADMIN)
        assert answer.status_code == 422, query
        assert answer.headers["content-type"] == "application/problem+json"
    unicode_agency = await intake.get("/v1/agencies/%F0%A6%A9%94/complaints?format=csv", headers=PU)
    assert unicode_agency.status_code == 422


def test_a_download_is_named_safely_whatever_the_name() -> None:
    assert attachment("pintu-kemen-pu.csv") == (
        "attachment; filename=\"pintu-kemen-pu.csv\"; filename*=utf-8''pintu-kemen-pu.csv"
    )
    header = attachment('pintu-\U00026a54 "x".csv')
    header.encode("latin-1")  # a header value any server can send
    assert header == (
        "attachment; filename=\"pintu-___x_.csv\"; filename*=utf-8''pintu-%F0%A6%A9%94%20%22x%22.csv"
    )
