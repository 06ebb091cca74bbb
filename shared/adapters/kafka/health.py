"""Readiness: can this process reach Kafka, and sign in, right now?"""

import asyncio
import time

from aiokafka import AIOKafkaClient

from shared.adapters.kafka.clients import KafkaConnection, refusal

UNREACHABLE = "kafka unreachable"
REFUSED = "kafka refused the credentials"


class BrokerProbe:
    """Asks the cluster for metadata, at most once every `cache_seconds`."""

    def __init__(
        self,
        connection: KafkaConnection,
        timeout_seconds: float = 2.0,
        cache_seconds: float = 2.0,
    ) -> None:
        self._connection = connection
        self._timeout = timeout_seconds
        self._cache = cache_seconds
        self._last: tuple[float, str | None] = (0.0, UNREACHABLE)

    async def reachable(self) -> bool:
        return await self.problem() is None

    async def problem(self) -> str | None:
        """None when Kafka answers; else what is wrong, in words fit for a readiness page."""
        checked_at, answer = self._last
        if time.monotonic() - checked_at < self._cache:
            return answer
        answer = await self._ask()
        self._last = (time.monotonic(), answer)
        return answer

    async def _ask(self) -> str | None:
        client = AIOKafkaClient(
            **self._connection.client_kwargs(), request_timeout_ms=int(self._timeout * 1000)
        )
        try:
            await asyncio.wait_for(client.bootstrap(), self._timeout)
            return None
        except Exception:
            if await refusal(self._connection, self._timeout) is not None:
                return REFUSED
            return UNREACHABLE
        finally:
            await client.close()
