"""Group commit on SQLite: writes that queue together share one commit, each is answered
only once committed, and a failing write fails alone."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, event, select

from shared.adapters.sql.database import insert_new, open_database
from shared.adapters.sql.group_commit import GroupCommit

METADATA = MetaData()
ROWS = Table("rows", METADATA, Column("n", Integer, primary_key=True))


@pytest.fixture
def database(tmp_path: Path) -> Engine:
    engine = open_database(f"sqlite:///{tmp_path / 'group.sqlite3'}")
    METADATA.create_all(engine)
    return engine


def commits(engine: Engine) -> list[None]:
    seen: list[None] = []
    event.listen(engine, "commit", lambda _: seen.append(None))
    return seen


def rows(engine: Engine) -> list[int]:
    with engine.connect() as c:
        return sorted(c.scalars(select(ROWS.c.n)))


def add(c: Connection, n: int) -> int:
    if n < 0:
        raise ValueError("no negative rows")
    insert_new(c, ROWS, n=n)
    return n * 10


async def test_writes_that_queue_together_share_a_commit_and_each_gets_its_answer(
    database: Engine,
) -> None:
    committed = commits(database)
    group = GroupCommit(database)
    answers = await asyncio.gather(*(group.write(add, n) for n in range(50)))
    assert answers == [n * 10 for n in range(50)]
    assert rows(database) == list(range(50))
    assert 1 <= len(committed) < 50  # the first alone, then the rest together


async def test_a_failing_write_fails_alone_and_the_others_of_its_turn_commit(
    database: Engine,
) -> None:
    group = GroupCommit(database)
    answers = await asyncio.gather(
        *(group.write(add, n) for n in (1, 2, -3, 4)), return_exceptions=True
    )
    assert answers[:2] == [10, 20] and answers[3] == 40
    assert isinstance(answers[2], ValueError)
    assert rows(database) == [1, 2, 4]


async def test_an_answer_comes_only_after_its_commit(database: Engine) -> None:
    group = GroupCommit(database)
    seen_by_another_connection: list[list[int]] = []

    def add_and_look_from_outside(c: Connection, n: int) -> int:
        add(c, n)
        seen_by_another_connection.append(rows(database))  # not committed yet
        return n

    assert await group.write(add_and_look_from_outside, 7) == 7
    assert seen_by_another_connection == [[]]
    assert rows(database) == [7]
