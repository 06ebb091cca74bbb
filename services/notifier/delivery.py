"""Draining the outbox: one task per endpoint, so a slow or dead endpoint delays only its
own deliveries, never another agency's, the relay's or the gateway's.

Each task claims its endpoint's due deliveries, tries each once, and records the result:
sent; tried again later with backoff and jitter; or, after the last try (or at once when
the endpoint refuses for good), dead-lettered to complaints.dlq.notifier. A circuit
breaker per endpoint stops trying a dead endpoint for a while, then lets one trial through.
The breaker is shared by every notifier pod (services/notifier/breakers.py): a circuit one
pod opened stops the others too, and its one trial is made by one pod only. It is consulted
before each try that follows one that was not sent (a delivery sent closes the circuit
itself), so a pod in the middle of a batch stops at the next delivery.

At least once on the wire: a crash after an endpoint accepted a delivery and before the
outbox recorded it repeats that one delivery after the restart (at most one per endpoint
task in flight). A stop is not a crash: the delivery in flight is finished and recorded
first, and the rest of its batch given back. Webhooks carry the event id (Pintu-Event-Id), e-mails a Message-ID and
texts a reference that stay the same on every try, for the receiver to deduplicate on.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from typing import Any

from services.notifier.breakers import Breakers
from services.notifier.outbox import Delivery, Outbox
from services.notifier.result import Result, retry
from services.notifier.retry import backoff
from shared import metrics
from shared.config import DeliveryPolicy
from shared.logs import about_complaint, about_no_complaint

log = logging.getLogger(__name__)
Send = Callable[[Delivery], Awaitable[Result]]
DeadLetter = Callable[[Delivery, str], Awaitable[None]]
BATCH = 20
SCAN_SECONDS = 2.0  # how often pending deliveries are looked for (restart, redelivery, leases)
BUSY_ELSEWHERE_SECONDS = 1.0  # due deliveries leased by another instance: look again soon
# An open circuit is looked at again this often, not only when its wait is over: another
# instance's trial may close it sooner, or one instance's trial may reopen it.
OPEN_LOOK_SECONDS = 1.0


class Deliverer:
    def __init__(
        self,
        outbox: Outbox,
        breakers: Breakers,
        send: Send,
        dead_letter: DeadLetter,
        policy: DeliveryPolicy,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._outbox = outbox
        self._breakers = breakers
        self._send = send
        self._dead_letter = dead_letter
        self._policy = policy
        self._now = now  # the wall clock: breakers and leases are compared across pods
        self._wakes: dict[str, asyncio.Event] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    def wake(self, endpoint: str) -> None:
        """Something may be due at `endpoint`: its task (started if need be) looks."""
        if endpoint not in self._workers:
            self._wakes[endpoint] = asyncio.Event()
            # The task serves every complaint queued for the endpoint: it must not keep the
            # complaint of the handler that happened to wake it first.
            self._workers[endpoint] = asyncio.create_task(
                self._drain(endpoint), context=about_no_complaint()
            )
        self._wakes[endpoint].set()

    async def run(self) -> None:
        """Resume what is pending, and keep looking, until cancelled (which stops every task)."""
        try:
            while True:
                try:
                    for endpoint in await asyncio.to_thread(self._outbox.endpoints_pending):
                        self.wake(endpoint)
                except Exception:
                    log.exception("looking for pending deliveries failed")
                await asyncio.sleep(SCAN_SECONDS)
        finally:
            for task in self._workers.values():
                task.cancel()
            for task in self._workers.values():
                with suppress(asyncio.CancelledError):
                    await task

    async def _drain(self, endpoint: str) -> None:
        wake = self._wakes[endpoint]
        waiting = False  # logged once per wait, not at every look
        while True:
            try:
                admission = await asyncio.to_thread(self._breakers.admit, endpoint, self._now())
                if admission.wait > 0:
                    if not waiting:
                        log.warning(
                            "circuit open for %s: no try for %.1fs", endpoint, admission.wait
                        )
                    waiting = True
                    await asyncio.sleep(min(admission.wait, OPEN_LOOK_SECONDS))
                    continue
                waiting = False
                wake.clear()  # before looking: a wake from now on is not missed
                batch = await asyncio.to_thread(
                    self._outbox.claim,
                    endpoint,
                    1 if admission.trial else BATCH,
                    self._policy.lease_seconds,
                    self._now(),
                )
                if not batch:
                    await self._idle(endpoint, wake)
                    continue
                sent = True  # the first was admitted above
                for n, delivery in enumerate(batch):
                    # The others only while the circuit is closed, which another instance
                    # may have opened meanwhile (a success just closed it: no need to look).
                    if not sent and not await self._closed(endpoint):
                        await self._release(batch[n:])
                        break
                    sent = await self._finish(self._try(delivery), batch[n + 1 :])
                if len(batch) < BATCH and not wake.is_set():
                    await self._idle(endpoint, wake)  # what was due is done: no claim to find so
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivering to %s failed; trying again", endpoint)
                await asyncio.sleep(2)

    async def _finish(self, attempt: Coroutine[Any, Any, bool], rest: list[Delivery]) -> bool:
        """Run one delivery to its recorded result even when the notifier is stopped meanwhile
        (a rolling update), so a stop sends nothing twice; then give back the rest of the
        batch at once rather than when its lease runs out. Only a crash leaves the window
        docs/contract.md names."""
        task = asyncio.ensure_future(attempt)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await task
            await self._release(rest)
            raise

    async def _release(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            await asyncio.to_thread(self._outbox.release, delivery)

    async def _closed(self, endpoint: str) -> bool:
        breaker = await asyncio.to_thread(self._breakers.breaker, endpoint)
        return breaker.state(self._now()) == "closed"

    async def _idle(self, endpoint: str, wake: asyncio.Event) -> None:
        due = await asyncio.to_thread(self._outbox.next_due, endpoint)
        if due is None:
            timeout: float | None = None  # nothing pending: until woken
        elif due > self._now():
            timeout = due - self._now()
        else:
            timeout = BUSY_ELSEWHERE_SECONDS
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)

    async def _try(self, delivery: Delivery) -> bool:
        """One try, recorded; whether it was sent."""
        with about_complaint(delivery.complaint_id):  # each line names its own complaint
            return await self._try_once(delivery)

    async def _try_once(self, delivery: Delivery) -> bool:
        try:
            result = await self._send(delivery)
        except Exception as error:  # a bug, not the endpoint: logged, and tried again
            log.exception("sending %s/%s raised", delivery.recipient, delivery.channel)
            result = retry(f"{type(error).__name__}: {error}")
        now = self._now()
        done = {"kind": delivery.kind, "channel": delivery.channel, "recipient": delivery.recipient}
        # The outbox first: a breaker that cannot be written (the database is away) must not
        # leave a delivery the endpoint accepted unrecorded, to be sent again.
        match result.outcome:
            case "sent":
                await asyncio.to_thread(self._sent, delivery, now)
                log.info("notification delivered", extra=done)
                metrics.NOTIFICATIONS_SENT.labels(channel=delivery.channel).inc()
                return True
            case "void":
                await asyncio.to_thread(self._outbox.void, delivery, result.reason, now)
                log.info("notification dropped: %s", result.reason, extra=done)
            case "refused":
                await self._give_up(delivery, f"{delivery.endpoint}: {result.reason}", now)
                # The endpoint answered: it is up, this one delivery is wrong.
                await asyncio.to_thread(self._breakers.succeeded, delivery.endpoint)
            case "retry":
                tries = delivery.tries + 1
                what = f"{delivery.endpoint}: {result.reason}"
                if tries >= self._policy.tries:
                    await self._give_up(delivery, f"{what} after {tries} tries", now)
                else:
                    log.warning("try %d/%d failed: %s", tries, self._policy.tries, what, extra=done)
                    wait = backoff(tries, self._policy)
                    await asyncio.to_thread(self._outbox.retry_at, delivery, now + wait, what)
                await asyncio.to_thread(self._breakers.failed, delivery.endpoint, now)
        return False

    def _sent(self, delivery: Delivery, now: float) -> None:
        """One trip off the event loop for the common case."""
        self._outbox.sent(delivery, now)
        self._breakers.succeeded(delivery.endpoint)

    async def _give_up(self, delivery: Delivery, why: str, now: float) -> None:
        log.error(
            "notification dead-lettered: %s",
            why,
            extra={"kind": delivery.kind, "recipient": delivery.recipient},
        )
        await self._dead_letter(delivery, why)  # first: a crash here tries once more, harmless
        await asyncio.to_thread(self._outbox.dead, delivery, why, now)
        metrics.NOTIFICATIONS_FAILED.labels(channel=delivery.channel).inc()
