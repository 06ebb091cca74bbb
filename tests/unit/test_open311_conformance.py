"""Every Open311 path and method answers in GeoReport v2's formats, errors included: the
spec's lists in JSON or XML by the path's extension, <errors> with code and description,
and a 405's Allow naming every method the path serves."""

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.intake.app import create_app
from shared.config import Settings
from shared.domain.complaint import complaint_id_for
from tests.unit.test_open311 import SPEC_FORM, FakeFiling, project

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Each resource, what it serves, and the XML root of a success.
RESOURCES = {
    "services": ({"GET"}, "services"),
    "services/jalan-daerah": ({"GET"}, "service_definition"),
    "requests": ({"GET", "POST"}, "service_requests"),
    "requests/{tracking_id}": ({"GET"}, "service_requests"),
    "tokens/{token}": ({"GET"}, "service_requests"),
}


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    app = create_app(
        Settings(kafka_bootstrap_servers="127.0.0.1:1", data_dir=tmp_path, max_body_bytes=4096)
    )
    app.state.filing = FakeFiling()
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


def assert_errors(answer: httpx.Response, fmt: str, status: int) -> list[str]:
    """The spec's error list, in `fmt`: the descriptions."""
    assert answer.status_code == status, answer.text
    if fmt == "xml":
        assert answer.headers["content-type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(answer.content)
        assert root.tag == "errors" and len(root) >= 1
        assert all([e.tag for e in error] == ["code", "description"] for error in root)
        assert {error.findtext("code") for error in root} == {str(status)}
        return [error.findtext("description") or "" for error in root]
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    errors = json.loads(answer.content)
    assert errors and all(set(e) == {"code", "description"} for e in errors)
    assert {e["code"] for e in errors} == {status}
    return [e["description"] for e in errors]


def assert_list(answer: httpx.Response, fmt: str, root: str) -> None:
    assert answer.status_code in (200, 201), answer.text
    if fmt == "xml":
        assert answer.headers["content-type"] == "text/xml; charset=utf-8"
        assert ET.fromstring(answer.content).tag == root
    else:
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        assert isinstance(answer.json(), list if root != "service_definition" else dict)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_every_path_and_method_answers_in_the_specs_format(
    app: FastAPI, client: httpx.AsyncClient, fmt: str
) -> None:
    tracking_id = project(app.state.read_model)
    token = str(complaint_id_for(tracking_id))
    for resource, (served, root) in RESOURCES.items():
        path = "/open311/v2/" + resource.format(tracking_id=tracking_id, token=token)
        for method in METHODS:
            answer = await client.request(method, f"{path}.{fmt}", data=SPEC_FORM)
            if method in served:
                assert_list(answer, fmt, root)
            else:
                descriptions = assert_errors(answer, fmt, 405)
                assert set(answer.headers["allow"].split(", ")) == served, (method, path)
                assert method in descriptions[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_not_found_refused_and_too_large_answer_in_the_specs_format(
    client: httpx.AsyncClient, fmt: str
) -> None:
    for method in METHODS:
        unknown = await client.request(method, f"/open311/v2/no-such-resource.{fmt}")
        assert "No such Open311 resource" in assert_errors(unknown, fmt, 404)[0]
    assert_errors(await client.get(f"/open311/v2/requests/NOSUCH2345.{fmt}"), fmt, 404)
    assert_errors(await client.get(f"/open311/v2/services/teleportasi.{fmt}"), fmt, 404)
    assert_errors(await client.get(f"/open311/v2/requests.{fmt}?status=pending"), fmt, 400)
    wrong_key = {**SPEC_FORM, "api_key": "wrong-key"}
    assert_errors(await client.post(f"/open311/v2/requests.{fmt}", data=wrong_key), fmt, 403)
    too_large = await client.post(
        f"/open311/v2/requests.{fmt}", data={**SPEC_FORM, "description": "x" * 5000}
    )
    assert_errors(too_large, fmt, 413)


async def test_a_path_without_json_or_xml_answers_json_unless_the_client_asks_for_xml(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/open311/v2/services", "/open311/v2/services.yaml"):
        assert_errors(await client.get(path), "json", 404)
        as_xml = await client.get(path, headers={"Accept": "text/xml"})
        assert_errors(as_xml, "xml", 404)


async def test_the_openapi_states_what_validation_refuses(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    listing = paths["/open311/v2/requests.{fmt}"]["get"]
    (status,) = [p for p in listing["parameters"] if p["name"] == "status"]
    assert "pattern" in json.dumps(status["schema"])
    post = paths["/open311/v2/requests.{fmt}"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert "null" not in json.dumps(form)  # a form field is sent or left out, never null
    # An e-mail has its format, or is left empty (a form field sent empty is not sent).
    (email, empty) = form["properties"]["email"]["anyOf"]
    assert (email["format"], empty["maxLength"]) == ("email", 0)
    assert "jalan-daerah" in form["properties"]["service_code"]["enum"]
    for path, item in paths.items():
        if path.startswith("/open311/v2/"):
            for operation in item.values():
                assert "405" in operation["responses"], path
                assert set(operation["responses"]["404"]["content"]) == {
                    "application/json",
                    "text/xml",
                }
