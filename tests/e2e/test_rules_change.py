"""Rules are published, not coded: a change applies to new complaints only, and a replay of
the log with the published versions reproduces every past decision."""

import httpx

from services.router.lifecycle import reproduce
from shared.adapters.kafka import topics
from shared.adapters.kafka.routing_feed import read_published
from shared.domain.routing import bundled_documents
from tests.e2e.test_complaint_journey import poll
from tests.support.brokers import connection
from tests.support.platform import Platform
from tests.support.topics import read_all

ADMIN_KEY = {"Authorization": "Bearer pintu-dev-admin-key"}
POWER_CUT_IN_OKU_TIMUR = {
    "title": "Listrik padam tiap malam",
    "description": "Listrik di Desa Terukis padam hampir setiap malam sejak dua minggu lalu.",
    "category": "listrik",
    "location": {"region_code": "16.08"},
}
# The new version: electricity complaints in Sumatera Selatan go to the province first.
SUMSEL_RULE = {
    "id": "listrik-sumsel",
    "category": "listrik",
    "region_prefix": "16",
    "agency": "pemprov-sumatera-selatan",
}


def file_and_route(intake: httpx.Client) -> tuple[str, str, str]:
    """Tracking id, complaint id and the agency it was routed to."""
    filed = intake.post("/v1/complaints", json=POWER_CUT_IN_OKU_TIMUR)
    assert filed.status_code == 201, filed.text
    tracking_id = str(filed.json()["tracking_id"])
    status = poll(
        lambda: intake.get(f"/v1/complaints/{tracking_id}"),
        lambda r: r.status_code == 200 and r.json()["agency_id"] is not None,
    )
    return tracking_id, str(filed.json()["complaint_id"]), str(status.json()["agency_id"])


async def test_a_published_rule_change_applies_to_new_complaints_and_replays_reproduce_the_old(
    platform: Platform, kafka: str
) -> None:
    intake = httpx.Client(base_url=platform.intake_url, timeout=10)
    before_tracking, before, agency = file_and_route(intake)
    assert agency == "pln"

    in_force = (await read_published(connection(kafka))).published[-1]
    rules = in_force.rules
    new = {"version": int(rules["version"]) + 1, "rules": [*rules["rules"], SUMSEL_RULE]}
    assert intake.put("/v1/admin/routing-rules", json=new).status_code == 401
    stale = {**new, "version": rules["version"]}
    assert intake.put("/v1/admin/routing-rules", json=stale, headers=ADMIN_KEY).status_code == 409
    broken = {**new, "rules": [*rules["rules"], {**SUMSEL_RULE, "agency": "tidak-ada"}]}
    refused = intake.put("/v1/admin/routing-rules", json=broken, headers=ADMIN_KEY)
    assert refused.status_code == 422 and "tidak-ada" in refused.json()["detail"]
    published = intake.put("/v1/admin/routing-rules", json=new, headers=ADMIN_KEY)
    assert published.status_code == 202, published.text
    try:
        # Routers take up a new version within moments; complaints filed meanwhile still
        # follow the old one (and say so), so file until one follows the new.
        filed = [before]
        for _ in range(20):
            _, complaint_id, agency = file_and_route(intake)
            filed.append(complaint_id)
            if agency == "pemprov-sumatera-selatan":
                break
        assert agency == "pemprov-sumatera-selatan"
        # The earlier complaint keeps the decision of the rules in force when it was routed.
        assert intake.get(f"/v1/complaints/{before_tracking}").json()["agency_id"] == "pln"

        feed = await read_published(connection(kafka))
        log = await read_all(kafka, topics.EVENTS)
        for complaint_id in filed:
            history = [r.value for r in log if r.key == complaint_id.encode()]
            assert reproduce(history, feed.version) == []
    finally:
        # Back to this release's rules, as a newer version: rules only move forward.
        _, bundled = bundled_documents()
        restore = {"version": new["version"] + 1, "rules": bundled["rules"]}
        intake.put("/v1/admin/routing-rules", json=restore, headers=ADMIN_KEY)
