"""Router: no wrong door, and each complaint's one writer after filing.

Two loops in one process: the routing feed (the directory and rules in force, from
routing.events) and the owner (services/router/owner.py: routing, declines,
reassignment, every action, and the agency topics), in aiokafka transactions, exactly
once; docs/decisions/0002 says why not faust's agents and tables here, 0006 why the
owner writes the agency topics itself. Health and metrics are served like every worker's.
"""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from services.router.owner import Owner
from shared.adapters.http import health_routes
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.health import BrokerProbe
from shared.adapters.kafka.routing_feed import RoutingFeed, seed
from shared.config import Settings

log = logging.getLogger(__name__)

# Deciding a complaint makes and drops some hundred small objects (events, dicts), nearly all
# freed by reference counting. At the default threshold (700) the cyclic collector ran every
# few complaints for nothing: 1.6 of 10.8 CPU seconds routing 41,000 complaints, when the
# owner still held every history (bench/README.md). The owner's state is now bytes, which the
# collector does not walk; the threshold still spares it the young collections.
YOUNG_COLLECTION_THRESHOLD = 50_000


async def forever(name: str, loop: Callable[[], Awaitable[None]]) -> None:
    """Run `loop` again after any failure: its transactions make a retry safe."""
    while True:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; restarting", name)
            await asyncio.sleep(2)


def create_app(settings: Settings) -> FastAPI:
    kafka = KafkaConnection.from_settings(settings)
    routing = RoutingFeed()

    async def follow_routing() -> None:
        await seed(kafka, settings.public_base_url)  # this release's directory, if newer
        await routing.follow(kafka)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
        loops = [
            asyncio.create_task(forever("routing feed", follow_routing)),
            asyncio.create_task(forever("owner", lambda: Owner(kafka, routing, settings).run())),
        ]
        log.info("router ready: routing, transfers and agency topics running")
        yield
        for task in loops:
            task.cancel()
        for task in loops:
            with suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="Pintu router", lifespan=lifespan)
    app.include_router(health_routes(BrokerProbe(kafka)))
    return app
