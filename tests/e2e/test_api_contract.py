"""The served OpenAPI document says exactly what intake does: schemathesis, with every check,
against the real platform, over every operation, Open311's included.

Its own broker and platform: the fuzzer files complaints and may publish routing rules,
which no other test should meet.
"""

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.adapters.kafka.topics import provision
from shared.domain.routing import default_directory
from tests.support import brokers
from tests.support.platform import Platform, running_platform

ADMIN = "Bearer pintu-dev-admin-key"
AGENCY = "Bearer pintu-dev-agency-key"  # the development key speaks for every agency
EXAMPLES_PER_OPERATION = 15

# Which development key each group of operations is fuzzed with; the checks also send none
# and a wrong one. Where the document says a well-formed request may still be refused with
# 422 (a region code not in Kemendagri's list, rules that do not load, an agency missing from
# the directory in force: facts no schema can state), 422 is an acceptable answer to it.
#
# Open311's filing refuses with GeoReport's 400 what its document says no schema states (a
# region code not in the list, a phone number that cannot be dialled), and so does its list
# (an end_date before start_date or more than 90 days after it).
#
# A request that breaks the schema may be refused for its size (413, documented on every
# operation with a body) before anyone reads it.
CONFIG = f"""
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

[[operations]]
include-path-regex = "^/v1/admin/"
headers = {{ Authorization = "{ADMIN}" }}

[[operations]]
include-path-regex = "^/v1/agencies/"
headers = {{ Authorization = "{AGENCY}" }}

[[operations]]
include-name = "POST /v1/complaints"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
include-name = "POST /open311/v2/requests.{{fmt}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"]

[[operations]]
include-name = "GET /open311/v2/requests.{{fmt}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404"]

[[operations]]
include-name = "PUT /v1/admin/routing-rules"
headers = {{ Authorization = "{ADMIN}" }}
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-name = "POST /v1/admin/complaints/{{tracking_id}}/reassign"
headers = {{ Authorization = "{ADMIN}" }}
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


@pytest.fixture(scope="module")
def platform_to_fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    home = tmp_path_factory.mktemp("fuzzed")
    with brokers.test_broker(home / "kafka") as bootstrap:
        asyncio.run(provision(brokers.connection(bootstrap), default_directory().agencies))
        settings = {"PINTU_RATE_LIMIT_PER_MINUTE": "100000"}
        with running_platform(bootstrap, home, "http://127.0.0.1:9/", "secret", settings) as up:
            yield up


def test_every_operation_answers_as_its_document_says(
    platform_to_fuzz: Platform, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{platform_to_fuzz.intake_url}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "1708",
            # One worker: hypothesis describes its strategies with ast.parse, which CPython
            # 3.11 does not survive from several threads at once.
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        cwd=tmp_path,  # where schemathesis keeps its own files
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = run.stdout[run.stdout.find("= FAILURES =") :]  # the failures, then the summary
    assert run.returncode == 0, report[:30_000] + run.stderr[-5_000:]
    # Every operation the document lists was tried, none filtered out.
    operations = len(served_operations(platform_to_fuzz))
    assert f"Selected: {operations}/{operations}" in run.stdout, run.stdout[-3_000:]
    assert f"Tested: {operations}" in run.stdout, run.stdout[-3_000:]


def served_operations(platform: Platform) -> list[tuple[str, str]]:
    document = httpx.get(f"{platform.intake_url}/openapi.json", timeout=10).json()
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    ]
