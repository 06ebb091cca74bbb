"""The migrations of the tables the log cannot rebuild, on SQLite and on PostgreSQL.

A database the release before migrations left behind (tests/support/previous_release.py)
is adopted with its rows, by a service starting and by `pintu migrate`; a fresh one is
brought to head; migrating again changes nothing; replicas migrating at once take turns;
and the revisions build exactly the tables the code defines, so a column added to a Table
without a revision fails here.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, Engine, String, inspect, text

from dev.migrations import differences, metadata
from services import cli
from services.intake.store import IntakeStore
from services.notifier.outbox import Outbox
from services.notifier.reports import Reports
from shared.adapters.sql import migrations
from shared.adapters.sql.database import DatabaseSchemaError, open_database
from shared.adapters.sql.group_commit import in_transaction
from shared.adapters.sql.reporter_keys import KeyStore
from shared.config import get_settings
from tests.support import previous_release
from tests.support.databases import fresh_database

KEY_ID = "6f1c2a9e-0d7b-4a53-9a41-3e8b5c7d2f10"
KEY = AESGCM.generate_key(bit_length=256)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pintu.sqlite3'}"
    return fresh_database(request.getfixturevalue("postgres"))


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    engine = open_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pintu_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The PINTU settings `pintu migrate` reads, pointing at the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def left_by_the_previous_release(database: Engine) -> None:
    """Its tables, one row in each that matters, and no alembic_version."""
    previous_release.create_previous_release_tables(database)
    now = datetime.now(UTC)
    with database.begin() as c:
        c.execute(
            previous_release.REPORTER_KEYS.insert().values(key_id=KEY_ID, key=KEY, created_at=now)
        )
        c.execute(
            previous_release.IDEMPOTENCY_KEYS.insert().values(
                key="retry-me",
                body_sha256="a" * 64,
                tracking_id="QWERTY2345",
                reporter_token="t" * 64,
                receipt='{"tracking_id": "QWERTY2345"}',
                created_at=now,
            )
        )
        c.execute(previous_release.TRACKING_IDS.insert().values(tracking_id="QWERTY2345"))
        c.execute(
            previous_release.OUTBOX.insert().values(
                event_id="e1",
                recipient="pemkab-oku-timur",
                channel="webhook",
                endpoint="webhook https://agency.example/pintu",
                kind="complaint.routed",
                complaint_id="c1",
                payload=b"{}",
                state="pending",
                tries=0,
                next_try_at=0.0,
                queued_at=0.0,
            )
        )
    assert not inspect(database).has_table("alembic_version")


def version(database: Engine) -> list[str]:
    with database.connect() as c:
        return list(c.scalars(text("SELECT version_num FROM alembic_version")))


def assert_the_rows_survived(database: Engine) -> None:
    assert KeyStore(database).key(KEY_ID) == KEY
    claim = in_transaction(
        database, IntakeStore(database).reserve, "retry-me", "a" * 64, "u" * 64, None
    )
    assert (claim.tracking_id, claim.receipt) == ("QWERTY2345", '{"tracking_id": "QWERTY2345"}')
    (pending,) = Outbox(database, "pod-a").claim(
        "webhook https://agency.example/pintu", limit=10, lease=30, now=time.time()
    )
    assert pending.key == ("e1", "pemkab-oku-timur", "webhook")


def test_a_service_starting_adopts_the_previous_release_database_with_its_rows(
    database: Engine,
) -> None:
    left_by_the_previous_release(database)
    KeyStore(database)  # what intake and the notifier do first at start
    assert version(database) == [migrations.head()]
    assert_the_rows_survived(database)
    assert differences(database) == []


def test_pintu_migrate_adopts_the_previous_release_database_with_its_rows(
    database: Engine, pintu_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    left_by_the_previous_release(database)
    assert cli.main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert f"adopted as {migrations.BASELINE}" in out
    assert version(database) == [migrations.head()]
    assert_the_rows_survived(database)
    assert differences(database) == []


def test_a_previous_release_database_missing_tables_gets_them(database: Engine) -> None:
    previous_release.REPORTER_KEYS.create(database)  # an intake-only host: no notifier tables
    with database.begin() as c:
        c.execute(
            previous_release.REPORTER_KEYS.insert().values(
                key_id=KEY_ID, key=KEY, created_at=datetime.now(UTC)
            )
        )
    done = migrations.upgrade(database)
    assert done.adopted
    assert KeyStore(database).key(KEY_ID) == KEY
    Reports(database)
    assert differences(database) == []


def test_a_fresh_database_is_brought_to_head_and_migrating_again_changes_nothing(
    database: Engine, pintu_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrations.current(database) is None
    assert cli.main(["migrate"]) == 0
    assert "migrated from an empty database" in capsys.readouterr().out
    assert version(database) == [migrations.head()]
    assert differences(database) == []
    key_id, key = KeyStore(database).new_key()

    assert cli.main(["migrate"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    again = migrations.upgrade(database)
    assert (again.before, again.applied, again.adopted) == (migrations.head(), False, False)
    assert version(database) == [migrations.head()]
    assert KeyStore(database).key(key_id) == key


def test_replicas_starting_at_once_migrate_one_at_a_time(database_url: str) -> None:
    engines = [open_database(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            done = list(pool.map(migrations.upgrade, engines))
        assert sum(d.applied for d in done) == 1  # the others found it done
        assert version(engines[0]) == [migrations.head()]
    finally:
        for engine in engines:
            engine.dispose()


def test_a_database_older_than_the_baseline_is_refused_naming_the_column(
    database: Engine, pintu_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with database.begin() as c:
        c.exec_driver_sql(
            "CREATE TABLE notifier_reports (complaint_id VARCHAR(36) PRIMARY KEY,"
            " tracking_id VARCHAR(16) NOT NULL, title TEXT NOT NULL)"
        )
    with pytest.raises(DatabaseSchemaError, match=r"notifier_reports .* lacks holder, sealed"):
        migrations.upgrade(database)
    assert cli.main(["migrate"]) == 2
    assert "lacks holder" in capsys.readouterr().err
    assert not inspect(database).has_table("reporter_keys")  # nothing half done


def test_a_database_a_newer_pintu_migrated_is_used_as_it_is_never_downgraded(
    database: Engine, pintu_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrations.upgrade(database)
    with database.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    key_id, key = KeyStore(database).new_key()  # a rolled-back release starts on it
    assert KeyStore(database).key(key_id) == key
    assert cli.main(["migrate"]) == 0
    assert "at 9999, newer than this Pintu's" in capsys.readouterr().out
    assert version(database) == ["9999"]


def test_a_column_without_a_revision_is_a_difference(database: Engine) -> None:
    migrations.upgrade(database)
    target = metadata()
    target.tables["notifier_reports"].append_column(Column("desk", String(120)))
    (added,) = differences(database, target)
    assert added[0] == "add_column" and added[3].name == "desk"


def test_the_read_models_are_not_migrated(database: Engine) -> None:
    from shared.projections.inbox import InboxStore
    from shared.projections.tables import METADATA as READ_MODELS

    migrations.upgrade(database)
    InboxStore(database)
    assert set(READ_MODELS.tables).isdisjoint(metadata().tables)
    assert differences(database) == []  # the read models' tables are none of its business
    assert migrations.upgrade(database).applied is False
