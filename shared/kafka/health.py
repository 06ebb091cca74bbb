"""Readiness: can this process reach Kafka right now?"""

import asyncio
import time

from aiokafka import AIOKafkaClient


class BrokerProbe:
    """Asks the cluster for metadata, at most once every `cache_seconds`."""

    def __init__(
        self, bootstrap_servers: str, timeout_seconds: float = 2.0, cache_seconds: float = 2.0
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_seconds
        self._cache = cache_seconds
        self._last: tuple[float, bool] = (0.0, False)

    async def reachable(self) -> bool:
        checked_at, answer = self._last
        if time.monotonic() - checked_at < self._cache:
            return answer
        answer = await self._ask()
        self._last = (time.monotonic(), answer)
        return answer

    async def _ask(self) -> bool:
        client = AIOKafkaClient(
            bootstrap_servers=self._bootstrap, request_timeout_ms=int(self._timeout * 1000)
        )
        try:
            await asyncio.wait_for(client.bootstrap(), self._timeout)
            return True
        except Exception:
            return False
        finally:
            await client.close()
