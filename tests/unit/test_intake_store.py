"""Intake's own records of a filing on SQLite and PostgreSQL: one write before the publish
(tracking id, reporter key, Idempotency-Key claim) and one after (the filing, the receipt)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from services.intake.store import IDEMPOTENCY_KEYS, RETENTION, IntakeStore
from shared.adapters.sql.group_commit import in_transaction
from shared.adapters.sql.reporter_keys import KeyStore, fresh_key
from shared.domain.tracking import is_tracking_id

BODY, OTHER = "a" * 64, "b" * 64


def test_each_reservation_hands_out_a_new_tracking_id_and_keeps_the_reporters_key(
    either_database: Engine,
) -> None:
    store = IntakeStore(either_database)
    key_id, key = fresh_key()
    first = in_transaction(either_database, store.reserve, None, "", "token-1", (key_id, key))
    second = in_transaction(either_database, store.reserve, None, "", "token-2", None)
    assert first.mine and second.mine
    assert is_tracking_id(first.tracking_id) and first.tracking_id != second.tracking_id
    assert KeyStore(either_database).key(key_id) == key


def test_an_idempotency_key_answers_its_first_filing_and_refuses_another_body(
    either_database: Engine,
) -> None:
    store = IntakeStore(either_database)
    first = in_transaction(either_database, store.reserve, "key-1", BODY, "token-1", None)
    assert first.mine and first.receipt is None
    in_flight = in_transaction(either_database, store.reserve, "key-1", BODY, "token-2", None)
    assert not in_flight.mine and in_flight.tracking_id == first.tracking_id
    assert (
        in_transaction(either_database, store.reserve, "key-1", OTHER, "token-3", None).body_sha256
        == BODY
    )  # a conflict
    in_transaction(
        either_database, store.filed, first.tracking_id, "c-1", b"record", "key-1", '{"receipt": 1}'
    )
    in_transaction(
        either_database, store.filed, first.tracking_id, "c-1", b"record", "key-1", '{"receipt": 1}'
    )  # a retry
    again = in_transaction(either_database, store.reserve, "key-1", BODY, "token-4", None)
    assert (again.tracking_id, again.reporter_token, again.receipt) == (
        first.tracking_id,
        "token-1",
        '{"receipt": 1}',
    )
    assert store.filing(first.tracking_id) == b"record"


def test_a_failed_publish_releases_the_key_for_a_retry_of_the_same_filing(
    either_database: Engine,
) -> None:
    store = IntakeStore(either_database)
    first = in_transaction(either_database, store.reserve, "key-2", BODY, "token-1", None)
    in_transaction(either_database, store.release, "key-2")
    retry = in_transaction(either_database, store.reserve, "key-2", BODY, "token-2", None)
    assert retry.mine and (retry.tracking_id, retry.reporter_token) == (
        first.tracking_id,
        "token-1",
    )


def test_a_key_older_than_a_day_is_forgotten_pruned_or_not(either_database: Engine) -> None:
    store = IntakeStore(either_database)
    first = in_transaction(either_database, store.reserve, "key-3", BODY, "token-1", None)
    in_transaction(
        either_database, store.filed, first.tracking_id, "c-3", b"record", "key-3", '{"receipt": 3}'
    )
    with either_database.begin() as c:
        c.execute(
            update(IDEMPOTENCY_KEYS).values(
                created_at=datetime.now(UTC) - RETENTION - timedelta(minutes=1)
            )
        )
    later = in_transaction(either_database, store.reserve, "key-3", BODY, "token-2", None)
    assert later.mine and later.receipt is None and later.tracking_id != first.tracking_id
