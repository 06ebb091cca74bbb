"""The public dashboard (Statistik): its figures over a known read model on SQLite and
PostgreSQL, its charts within the pages' Content-Security-Policy, its page and CSV files."""

import contextvars
import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.intake.portal import dashboard as page
from services.intake.portal.charts import Bar, columns, horizontal_bars
from shared import clock
from shared.contracts.cloudevents import TYPE_NAMES
from shared.domain.complaint import Channel, Complaint, ReportType
from shared.domain.deadlines import STANDARD_POLICY
from shared.domain.model import DomainEvent
from shared.domain.routing import default_directory
from shared.projections.dashboard import (
    MonthlyCount,
    by_category,
    by_province,
    league_table,
    summary,
)
from shared.projections.inbox import Applied, InboxStore, position
from tests.support.histories import tracking_id_of

MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 WIB
LAST_OF_MARCH = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)  # 1 April, 01:00 WIB
APRIL = datetime(2026, 4, 15, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)
OKU, SUMSEL, PU, BANDUNG = (
    "pemkab-oku-timur",
    "pemprov-sumatera-selatan",
    "kemen-pu",
    "pemkot-bandung",
)
MESSAGE = "Tim kami sudah turun ke lokasi."


class _Time:
    def __init__(self) -> None:
        self.at = MARCH

    def __call__(self) -> datetime:
        return self.at


def _histories() -> list[DomainEvent]:
    """Eight reports, one of them rahasia (E), whose figures are worked out by hand below."""
    now = _Time()
    clock.use_clock(now)
    events: list[DomainEvent] = []

    def filed(n: int, at: datetime, category: str, region: str, rahasia: bool = False) -> Complaint:
        now.at = at
        return Complaint(
            tracking_id=tracking_id_of(n),
            report_type=ReportType.COMPLAINT,
            title=f"Laporan {n}",
            description="Jalan berlubang di depan sekolah.",
            category=category,
            region_code=region,
            channel=Channel.WEB,
            confidential=rahasia,
        )

    def route(complaint: Complaint, agency: str, hours: float = 1) -> None:
        now.at += timedelta(hours=hours)
        complaint.route(agency, "rule@v1", "by rule", at=now.at)

    def follow_up(complaint: Complaint, agency: str, hours: float) -> None:
        now.at += timedelta(hours=hours)
        complaint.follow_up(agency, MESSAGE, now.at, STANDARD_POLICY)

    a = filed(1, MARCH, "jalan-daerah", "16.08")
    route(a, OKU)
    follow_up(a, OKU, 10)
    b = filed(2, MARCH, "jalan-daerah", "16.08")
    route(b, OKU)
    follow_up(b, OKU, 30)
    c = filed(3, MARCH, "jalan-daerah", "16.08")
    route(c, OKU)  # OKU's backlog
    d = filed(4, MARCH, "kesehatan", "16.08.01")
    route(d, OKU)
    d.decline(OKU, "Bukan wewenang kami: rumah sakit provinsi.")  # OKU's transfer
    route(d, SUMSEL)
    follow_up(d, SUMSEL, 5)
    e = filed(5, MARCH, "jalan-daerah", "16.08", rahasia=True)  # counted nowhere
    route(e, OKU)
    e.decline(OKU, "Bukan wewenang kami: jalan provinsi.")
    route(e, SUMSEL)
    f = filed(6, LAST_OF_MARCH, "pendidikan-menengah", "32.73")  # April in WIB
    route(f, BANDUNG)
    follow_up(f, BANDUNG, 2)
    f.resolve(BANDUNG, MESSAGE, now.at + timedelta(hours=1), STANDARD_POLICY)
    g = filed(7, APRIL, "jalan-nasional", "32.73")
    route(g, PU)  # the ministry's backlog
    h = filed(8, APRIL, "kesehatan", "31.71")  # not routed yet
    for complaint in (a, b, c, d, e, f, g, h):
        events.extend(complaint.new_events())
    return events


@pytest.fixture
def database(either_database: Engine) -> Engine:
    engine = either_database
    events = contextvars.copy_context().run(_histories)  # the test's clock stays its own
    InboxStore(engine).apply_all(
        [
            Applied(event, TYPE_NAMES[type(event)], position("complaints.events", 0, n))
            for n, event in enumerate(events)
        ]
    )
    return engine


def _figures(database: Engine, **filters: str) -> dict[str, tuple[object, ...]]:
    rows = league_table(database, default_directory(), **filters)
    return {
        r.agency_id: (
            r.held,
            r.followed_up,
            r.followed_up_share,
            r.meets_target,
            r.first_response_hours_median,
            r.backlog,
            r.transferred_away,
        )
        for r in rows
    }


def test_the_league_table_counts_each_agencys_public_reports(database: Engine) -> None:
    assert _figures(database) == {
        BANDUNG: (1, 1, 1.0, True, pytest.approx(2.0), 0, 0),
        SUMSEL: (1, 1, 1.0, True, pytest.approx(5.0), 0, 0),  # not the rahasia one it holds
        OKU: (3, 2, pytest.approx(2 / 3), False, pytest.approx(20.0), 1, 1),  # one decline
        PU: (1, 0, 0.0, False, None, 1, 0),
    }
    order = [r.agency_id for r in league_table(database, default_directory())]
    assert order == [BANDUNG, SUMSEL, OKU, PU]  # best share first, then by name
    names = {r.agency_id: r.name for r in league_table(database, default_directory())}
    assert names[OKU] == "Pemerintah Kabupaten Ogan Komering Ulu Timur"


def test_the_level_filter_keeps_the_agencies_of_that_level(database: Engine) -> None:
    assert set(_figures(database, level="kabupaten-kota")) == {OKU, BANDUNG}
    assert set(_figures(database, level="province")) == {SUMSEL}
    assert set(_figures(database, level="ministry")) == {PU}
    assert _figures(database, level="lembaga") == {}


def test_the_province_filter_keeps_the_reports_from_that_province(database: Engine) -> None:
    assert set(_figures(database, province="16")) == {OKU, SUMSEL}
    assert set(_figures(database, province="32")) == {BANDUNG, PU}  # a ministry, by its reports
    assert _figures(database, province="31") == {}  # H is not routed yet
    assert set(_figures(database, level="ministry", province="16")) == set()


def test_the_summary_counts_no_rahasia_report(database: Engine) -> None:
    figures = summary(database)
    assert (figures.reports, figures.held, figures.followed_up) == (7, 6, 4)
    assert figures.followed_up_share == pytest.approx(4 / 6)
    assert figures.first_response_hours_median == pytest.approx(7.5)  # 2, 5, 10, 30
    sumsel = summary(database, "16")
    assert (sumsel.reports, sumsel.held, sumsel.followed_up) == (4, 4, 3)


def test_reports_are_counted_by_the_month_they_were_filed_in_wib(database: Engine) -> None:
    assert by_category(database) == [
        MonthlyCount("2026-03", "jalan-daerah", 3),
        MonthlyCount("2026-03", "kesehatan", 1),
        MonthlyCount("2026-04", "jalan-nasional", 1),
        MonthlyCount("2026-04", "kesehatan", 1),
        MonthlyCount("2026-04", "pendidikan-menengah", 1),  # 31 March UTC, 1 April WIB
    ]
    assert by_province(database) == [
        MonthlyCount("2026-03", "16", 4),
        MonthlyCount("2026-04", "31", 1),
        MonthlyCount("2026-04", "32", 2),
    ]
    assert by_category(database, "32") == [
        MonthlyCount("2026-04", "jalan-nasional", 1),
        MonthlyCount("2026-04", "pendidikan-menengah", 1),
    ]
    assert by_province(database, "16") == [MonthlyCount("2026-03", "16", 4)]


def test_the_page_shows_the_twelve_months_up_to_now() -> None:
    months = page.recent_months(datetime(2026, 12, 31, 18, 0, tzinfo=UTC))  # 1 Jan 2027 WIB
    assert months[0] == "2026-02" and months[-1] == "2027-01" and len(months) == 12
    assert page.month_name("2026-08", "id") == "Agu 2026"


def _is_accessible_and_inert(svg: str, name: str) -> None:
    assert "<style" not in svg and "style=" not in svg
    assert "<script" not in svg and "onload" not in svg and "<?xml" not in svg
    assert re.search(r'<svg [^>]*role="img"', svg)
    title = re.search(r'<title id="([^"]+)">([^<]*)</title>', svg)
    assert title is not None and title.group(2) == name
    assert f'aria-labelledby="{title.group(1)}"' in svg


def test_the_charts_use_presentation_attributes_only() -> None:
    bars = [Bar("Pemkab <OKU> & co", 0.5, "50,0%"), Bar("Pemkot Bandung", 1.0, "100,0%")]
    chart = horizontal_bars("league", "Followed up", bars, 1.0, 0.9, "Target 90,0%")
    _is_accessible_and_inert(chart, "Followed up")
    assert "Pemkab &lt;OKU&gt; &amp; co" in chart  # text escaped, never markup
    assert 'stroke-dasharray="6 3"' in chart  # the target line
    monthly = columns("months", "Reports per month", [Bar("Mar 2026", 4, "4")])
    _is_accessible_and_inert(monthly, "Reports per month")
    assert monthly.count("<rect") == 1


@pytest.fixture
def client(database: Engine) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(page.router)
    app.state.read_model = InboxStore(database)
    app.state.directory = SimpleNamespace(current=default_directory())
    clock.use_clock(lambda: NOW)
    with TestClient(app) as client:
        yield client
    clock.use_clock(clock.system_clock)


def test_the_page_shows_the_figures_charts_and_tables(client: TestClient) -> None:
    response = client.get("/statistik?lang=en")
    assert response.status_code == 200
    body = response.text
    assert "Content-Security-Policy" in response.headers
    assert "<style" not in body and "style=" not in body
    assert body.count('role="img"') == 3  # league, categories, provinces
    assert "Pemerintah Kabupaten Ogan Komering Ulu Timur" in body
    assert "66.7%" in body and "7.5" in body  # OKU's share, the median hours
    assert ">7<" in body  # reports filed: the rahasia one is not among them
    assert "/statistik/peringkat-instansi.csv" in body
    assert ">May 2025<" in body and ">Apr 2026<" in body  # the 12 months up to now
    assert re.findall(r"<h([12])", body)[:2] == ["1", "2"]


def test_an_unknown_filter_is_answered_with_the_form_and_an_error(client: TestClient) -> None:
    response = client.get("/statistik?level=planet&province=99&lang=en")
    assert response.status_code == 400
    assert 'id="level-error"' in response.text and 'id="province-error"' in response.text
    assert "Pemerintah Kota Bandung" in response.text  # the figures, unfiltered
    assert client.get("/statistik/per-provinsi.csv?province=99").status_code == 400


def test_the_csv_files_have_a_header_and_the_figures(client: TestClient) -> None:
    response = client.get("/statistik/peringkat-instansi.csv?province=16")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="statistik-peringkat-instansi-16.csv"'
    )
    assert "Content-Security-Policy" in response.headers
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["agency_id", "agency_name", "level", "held"]
    assert rows[1:] == [
        [
            SUMSEL,
            "Pemerintah Provinsi Sumatera Selatan",
            "province",
            "1",
            "1",
            "1.0000",
            "true",
            "5.0",
            "0",
            "0",
        ],
        [
            OKU,
            "Pemerintah Kabupaten Ogan Komering Ulu Timur",
            "regency",
            "3",
            "2",
            "0.6667",
            "false",
            "20.0",
            "1",
            "1",
        ],
    ]
    provinces = list(csv.reader(io.StringIO(client.get("/statistik/per-provinsi.csv").text)))
    assert provinces == [
        ["month", "province", "province_name", "reports"],
        ["2026-03", "16", "Sumatera Selatan", "4"],
        ["2026-04", "31", "Daerah Khusus Ibukota Jakarta", "1"],
        ["2026-04", "32", "Jawa Barat", "2"],
    ]
    assert client.get("/statistik/nothing.csv").status_code == 404
