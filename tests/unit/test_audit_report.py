"""What an auditor reads: findings in plain words, and a complaint's page."""

import json
from datetime import UTC, datetime

from services.audit.report import Entry, History, finding_lines, history_html, history_json
from shared.contracts.chain import Finding, Kind, verify
from tests.unit.test_chain import edit, on_log, written

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def history_of(values: list[bytes | None]) -> History:
    records = on_log(values)
    entries = [Entry(r.partition, r.offset, json.loads(r.value or b"")) for r in records]
    subject = entries[0].envelope["subject"]
    return History("TRACK00001", subject, "complaints.events", entries, verify(records))


def test_a_finding_says_what_where_and_why() -> None:
    finding = Finding(Kind.MISSING, "c-1", 3, 4, None, "event #3 is not on the log", "ABC")
    assert finding_lines(finding) == (
        "MISSING   complaint ABC (c-1), event #3 (partition 4)\n          event #3 is not on the log"
    )


def test_the_page_marks_the_altered_event_and_escapes_what_the_log_says() -> None:
    values: list[bytes | None] = [*written()]
    values[0] = edit(values[0], lambda e: e["data"].update(title="<script>alert(1)</script>"))
    page = history_html(history_of(values), NOW)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'class="verdict broken"' in page
    assert page.count('class="flagged"') == 1
    assert "NOT intact: 1 finding (1 altered)" in page


def test_the_json_keeps_every_envelope_as_on_the_log_and_the_verdict() -> None:
    values: list[bytes | None] = [*written()]
    document = json.loads(history_json(history_of(values), NOW))
    assert [e["envelope"] for e in document["events"]] == [json.loads(v or b"") for v in values]
    assert document["verification"] == {
        "intact": True,
        "verdict": "the chain is intact: no event altered, missing, reordered or duplicated.",
        "findings": [],
    }
