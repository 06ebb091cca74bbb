"""The outbox: every delivery the notifier owes, one row per (event, recipient, channel).

The consumer writes a row before Kafka's offset is committed, so an acknowledged event is
never lost; the key makes a redelivered, rebalanced or replayed event a no-op, so nobody
hears of one event twice on one channel (the row is the delivery ledger, kept forever).
One task per endpoint (services/notifier/delivery.py) drains its rows: pending, then sent
or dead (dead-lettered after the last try; `pintu notifier-redeliver` makes it pending
again, once).

Times here are the machine's (time.time()), not the platform's clock: retries wait for
real endpoints, which live in real time even while a drill simulates the calendar.

A reporter's row holds their identity sealed, as the log does (shared/adapters/sql/reporter_keys.py): it is
unsealed only to send, so a shredded key silences a pending letter too.
"""

import functools
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)

from shared.adapters.sql.database import insert_new
from shared.adapters.sql.migrations import ensure_current

Channel = Literal["webhook", "email", "sms"]
PENDING, SENT, DEAD, VOID = "pending", "sent", "dead", "void"  # void: nobody left to tell

METADATA = MetaData()
OUTBOX = Table(
    "notifier_outbox",
    METADATA,
    Column("event_id", String(36), primary_key=True),
    Column("recipient", String(120), primary_key=True),  # agency id, or "reporter"
    Column("channel", String(10), primary_key=True),
    Column("endpoint", String(600), nullable=False),  # one worker and one breaker each
    Column("kind", String(60), nullable=False),
    Column("complaint_id", String(36), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("address", Text),  # an agency's webhook URL or e-mail address; None for reporters
    Column("sealed_to", Text),  # a reporter's SealedIdentity JSON
    Column("state", String(10), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("next_try_at", Float, nullable=False),
    Column("lease_holder", String(200)),
    Column("lease_until", Float),
    Column("last_error", Text),
    Column("queued_at", Float, nullable=False),
    Column("done_at", Float),
    Index("notifier_outbox_due", "state", "endpoint", "next_try_at"),
)


# One delivery's row, its key bound at execution (`_key`); an update's SET clause is the
# parameters named after columns. Built once, not at every try.
_IS = and_(
    OUTBOX.c.event_id == bindparam("key_event_id"),
    OUTBOX.c.recipient == bindparam("key_recipient"),
    OUTBOX.c.channel == bindparam("key_channel"),
)
_BY_KEY = update(OUTBOX).where(_IS)


# Due at an endpoint now, and not leased to another instance (or its lease ran out).
_DUE = and_(
    OUTBOX.c.state == PENDING,
    OUTBOX.c.endpoint == bindparam("endpoint_"),
    OUTBOX.c.next_try_at <= bindparam("now"),
    or_(
        OUTBOX.c.lease_until.is_(None),
        OUTBOX.c.lease_until < bindparam("now"),
        OUTBOX.c.lease_holder == bindparam("holder"),
    ),
)
_LEASE = _BY_KEY.where(_DUE).values(
    lease_holder=bindparam("holder"), lease_until=bindparam("until")
)


@functools.cache
def _claimable(limit: int) -> Select[Any]:
    # PostgreSQL: rows another pod is claiming right now are skipped, not waited for, so
    # pods draining one endpoint take different deliveries. (SQLite has one writer.)
    return (
        select(OUTBOX)
        .where(_DUE)
        .order_by(OUTBOX.c.queued_at, OUTBOX.c.event_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


@dataclass(frozen=True)
class Delivery:
    event_id: str
    recipient: str
    channel: Channel
    endpoint: str
    kind: str
    complaint_id: str
    payload: bytes  # webhook: the signed JSON body; email: JSON subject and body; sms: text
    address: str | None = None
    sealed_to: str | None = None
    tries: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return self.event_id, self.recipient, self.channel


class Outbox:
    def __init__(self, database: Engine, holder: str) -> None:
        self._db = database
        self._holder = holder  # this instance, for leases
        ensure_current(database)

    def add(self, delivery: Delivery, now: float | None = None) -> bool:
        """Queue it; False when it was queued before (a redelivered or replayed event)."""
        with self._db.begin() as c:
            return self.queue(c, delivery, now)

    @staticmethod
    def queue(c: Connection, delivery: Delivery, now: float | None = None) -> bool:
        """`add`, in the caller's transaction."""
        at = time.time() if now is None else now
        return insert_new(
            c,
            OUTBOX,
            event_id=delivery.event_id,
            recipient=delivery.recipient,
            channel=delivery.channel,
            endpoint=delivery.endpoint,
            kind=delivery.kind,
            complaint_id=delivery.complaint_id,
            payload=delivery.payload,
            address=delivery.address,
            sealed_to=delivery.sealed_to,
            state=PENDING,
            tries=0,
            next_try_at=at,
            queued_at=at,
        )

    def claim(self, endpoint: str, limit: int, lease: float, now: float) -> list[Delivery]:
        """Up to `limit` of the endpoint's deliveries that are due, leased to this instance
        for `lease` seconds (another instance takes over a lease that ran out)."""
        due = {"endpoint_": endpoint, "now": now, "holder": self._holder}
        taken: list[Delivery] = []
        with self._db.begin() as c:
            for row in c.execute(_claimable(limit), due).all():
                key = _key(row.event_id, row.recipient, row.channel)
                leased = c.execute(_LEASE, {**due, **key, "until": now + lease})
                if leased.rowcount == 1:
                    taken.append(_delivery(row))
        return taken

    def sent(self, delivery: Delivery, now: float) -> None:
        self._finish(delivery, SENT, None, now)

    def void(self, delivery: Delivery, why: str, now: float) -> None:
        self._finish(delivery, VOID, why, now)

    def dead(self, delivery: Delivery, why: str, now: float) -> None:
        self._finish(delivery, DEAD, why, now)

    def retry_at(self, delivery: Delivery, at: float, why: str) -> None:
        self._change(
            delivery,
            tries=delivery.tries + 1,
            next_try_at=at,
            last_error=why,
            lease_holder=None,
            lease_until=None,
        )

    def release(self, delivery: Delivery) -> None:
        """Give back a lease without a try (the endpoint's circuit opened meanwhile)."""
        self._change(delivery, lease_holder=None, lease_until=None)

    def requeue(self, event_id: str, recipient: str, channel: str, now: float) -> bool:
        """A dead delivery pending again with all its tries; False unless it was dead (so a
        second redelivery of one dead letter changes nothing)."""
        with self._db.begin() as c:
            done = c.execute(
                _BY_KEY.where(OUTBOX.c.state == DEAD),
                {
                    **_key(event_id, recipient, channel),
                    "state": PENDING,
                    "tries": 0,
                    "next_try_at": now,
                    "done_at": None,
                },
            )
        return done.rowcount == 1

    def endpoints_pending(self) -> list[str]:
        with self._db.connect() as c:
            query = select(OUTBOX.c.endpoint).where(OUTBOX.c.state == PENDING).distinct()
            return [str(e) for e in c.scalars(query)]

    def next_due(self, endpoint: str) -> float | None:
        """When the endpoint's next pending delivery falls due (None: none pending)."""
        with self._db.connect() as c:
            found = c.scalar(
                select(func.min(OUTBOX.c.next_try_at)).where(
                    OUTBOX.c.state == PENDING, OUTBOX.c.endpoint == endpoint
                )
            )
        return None if found is None else float(found)

    def state(self, event_id: str, recipient: str, channel: str) -> str | None:
        with self._db.connect() as c:
            found = c.scalar(select(OUTBOX.c.state).where(_IS), _key(event_id, recipient, channel))
        return None if found is None else str(found)

    def _finish(self, delivery: Delivery, state: str, why: str | None, now: float) -> None:
        self._change(
            delivery,
            state=state,
            tries=delivery.tries + 1,
            last_error=why,
            done_at=now,
            lease_holder=None,
            lease_until=None,
        )

    def _change(self, delivery: Delivery, **values: object) -> None:
        with self._db.begin() as c:
            c.execute(_BY_KEY, {**_key(*delivery.key), **values})


def _key(event_id: str, recipient: str, channel: str) -> dict[str, str]:
    return {"key_event_id": event_id, "key_recipient": recipient, "key_channel": channel}


def _delivery(row: object) -> Delivery:
    r = row._mapping  # type: ignore[attr-defined]
    return Delivery(
        event_id=r["event_id"],
        recipient=r["recipient"],
        channel=r["channel"],
        endpoint=r["endpoint"],
        kind=r["kind"],
        complaint_id=r["complaint_id"],
        payload=bytes(r["payload"]),
        address=r["address"],
        sealed_to=r["sealed_to"],
        tries=int(r["tries"]),
    )
