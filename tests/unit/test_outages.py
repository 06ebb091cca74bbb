"""A broker outage is one WARNING, a reminder now and then, and one INFO when it ends; the
client libraries' retry lines are folded, every other line passes."""

import logging
import sqlite3

import psycopg
import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.exc import OperationalError

from shared import metrics
from shared.outages import DATABASE, KAFKA, Outages, RetryNoise, dependency_of


def record(logger: str, message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(logger, level, __file__, 1, message, None, None)


def failed_with(logger: str, error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException as raised:
        exc_info = (type(raised), raised, raised.__traceback__)
    return logging.LogRecord(logger, logging.ERROR, __file__, 1, "failed", None, exc_info)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sample(name: str, dependency: str) -> float:
    value = metrics.REGISTRY.get_sample_value(name, {"dependency": dependency})
    return value or 0.0


def test_the_libraries_connection_retries_are_kafka_outage_lines() -> None:
    unable = "Unable connect to node with id 1: [Errno 111] Connect call failed ('127.0.0.1', 9092)"
    assert dependency_of(record("aiokafka", unable)) == KAFKA
    assert dependency_of(record("aiokafka", "Unable to update metadata from [1]")) == KAFKA
    fetch = (
        "Failed fetch messages from 1: NodeNotReadyError: Attempt to send a request to node "
        "which is not ready (node id 1)."
    )
    assert dependency_of(record("aiokafka.consumer.fetcher", fetch)) == KAFKA
    assert dependency_of(failed_with("shared.adapters.kafka.consumer", KafkaConnectionError())) == (
        KAFKA
    )
    assert dependency_of(failed_with("services.notifier", database_down())) == DATABASE


def database_down() -> OperationalError:
    """What SQLAlchemy raises when PostgreSQL does not answer: psycopg's error, chained."""
    try:
        try:
            raise psycopg.OperationalError("connection refused")
        except psycopg.OperationalError as refused:
            raise OperationalError("SELECT 1", {}, refused) from refused
    except OperationalError as error:
        return error


def test_other_errors_of_the_libraries_and_of_pintu_pass() -> None:
    assert dependency_of(record("aiokafka", "Topic complaints.x not found in cluster")) is None
    assert dependency_of(record("services.router.app", "owner failed; restarting")) is None
    assert dependency_of(failed_with("services.router.app", ValueError("a bug"))) is None
    assert dependency_of(record("aiokafka", "connect call failed", logging.INFO)) is None
    no_table = sqlite3.OperationalError("no such table: outbox")
    assert dependency_of(failed_with("services.notifier", no_table)) is None


def test_an_outage_is_one_warning_a_reminder_a_minute_and_one_info_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    monotonic, wall = Clock(), Clock()
    outages = Outages(monotonic, wall, remind_seconds=60, quiet_seconds=5)
    answers = {"now": False}
    outages.probe(KAFKA, lambda: answers["now"])
    noise = RetryNoise(outages=outages)
    outages_before = sample("pintu_dependency_outages_total", KAFKA)
    folded_before = sample("pintu_dependency_retry_lines_folded_total", KAFKA)
    retry = record("aiokafka", "Unable to update metadata from [1]")
    other = record("aiokafka", "Topic complaints.x not found in cluster")

    with caplog.at_level(logging.INFO, logger="pintu.outages"):
        passed = []
        for second in range(90):  # a hundred retry lines a second for 90 seconds
            monotonic.now = wall.now = 1000.0 + second
            passed += [r for r in [retry] * 100 + [other] if noise.filter(r)]
            outages.tick()
        assert passed == [other] * 90  # every retry folded, every other line kept
        assert outages.unreachable() == {KAFKA}
        assert sample("pintu_dependency_unreachable", KAFKA) == 1

        monotonic.now += 10  # quiet, but the broker does not answer yet: still down
        wall.now += 10
        outages.tick()
        assert outages.unreachable() == {KAFKA}
        answers["now"] = True
        outages.tick()

    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "pintu.outages"]
    assert [level for level, _ in said] == ["WARNING", "WARNING", "INFO"], said
    assert said[0][1].startswith("Kafka unreachable since ")
    assert said[0][1].endswith(", retrying")
    assert said[1][1].startswith("Kafka still unreachable since ")
    assert said[2][1] == "Kafka reachable again after 99s"
    assert outages.unreachable() == set()
    assert sample("pintu_dependency_unreachable", KAFKA) == 0
    assert sample("pintu_dependency_outages_total", KAFKA) == outages_before + 1
    assert sample("pintu_dependency_retry_lines_folded_total", KAFKA) == folded_before + 8999


def test_a_retry_after_the_recovery_is_a_new_outage(caplog: pytest.LogCaptureFixture) -> None:
    monotonic, wall = Clock(), Clock()
    outages = Outages(monotonic, wall, quiet_seconds=5)
    noise = RetryNoise(outages=outages)
    retry = record("aiokafka", "Unable to update metadata from [1]")
    with caplog.at_level(logging.INFO, logger="pintu.outages"):
        noise.filter(retry)
        monotonic.now += 6
        outages.tick()
        noise.filter(retry)
    said = [r.getMessage() for r in caplog.records if r.name == "pintu.outages"]
    assert len(said) == 3 and said[1].startswith("Kafka reachable again")
    assert said[2].startswith("Kafka unreachable since")
