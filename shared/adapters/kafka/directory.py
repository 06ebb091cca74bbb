"""The agency directory in force, for the processes that do not route (intake, notifier).

Every process names agencies from the same source the router routes by: the newest version
published on `routing.events`. Until that topic has been read (or before the router's first
start has published anything), it is this release's bundled directory, which is what the
router publishes first.
"""

import asyncio
import logging
from collections.abc import Callable

from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.routing_feed import RoutingFeed
from shared.contracts.routing import RoutingPublished
from shared.domain.routing import Directory, default_directory

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0


class DirectoryInForce:
    def __init__(
        self,
        connection: KafkaConnection,
        overlay: Callable[[Directory], Directory] = lambda directory: directory,
    ) -> None:
        self._connection = connection
        self._overlay = overlay  # e.g. the deployment's liaison contacts over the directory's
        self._feed = RoutingFeed()
        self._latest: RoutingPublished | None = None
        self._current = overlay(default_directory())

    @property
    def current(self) -> Directory:
        published = self._feed.published
        if published and published[-1] is not self._latest:
            self._latest = published[-1]
            self._current = self._overlay(self._feed.current)
        return self._current

    async def follow(self) -> None:
        """Keep up with the published versions until cancelled, through broker outages."""
        while True:
            try:
                feed = RoutingFeed()  # each attempt reads the topic from its start again
                self._feed = feed
                await feed.follow(self._connection)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("routing feed unreadable (%s); retrying in %gs", error, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
