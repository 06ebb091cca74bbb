"""The intake bench's baseline validates as intake does, and its example is a valid filing."""

import httpx
import pytest

from bench.bare_intake import app
from bench.intake import EXAMPLE, percentile
from services.intake.schemas import ComplaintSubmission


async def test_the_bare_twin_files_the_example_and_refuses_what_intake_refuses() -> None:
    ComplaintSubmission.model_validate(EXAMPLE)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bare") as client:
        assert (await client.post("/v1/complaints", json=EXAMPLE)).status_code == 201
        unknown = {**EXAMPLE, "category": "bukan-kategori"}
        assert (await client.post("/v1/complaints", json=unknown)).status_code == 422
        nowhere = {**EXAMPLE, "location": {"region_code": "99.99"}}
        assert (await client.post("/v1/complaints", json=nowhere)).status_code == 422


@pytest.mark.parametrize(("q", "expected"), [(0.5, 51.0), (0.99, 100.0), (0.0, 1.0)])
def test_a_percentile_is_the_value_at_that_share_of_the_sorted_runs(
    q: float, expected: float
) -> None:
    assert percentile([float(n) for n in range(100, 0, -1)], q) == expected
