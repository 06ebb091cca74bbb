"""Health endpoints shared by every process that serves HTTP."""

from fastapi import APIRouter, Response, status

from shared.kafka.health import BrokerProbe


def health_routes(probe: BrokerProbe) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: Kafka is reachable")
    async def readyz(response: Response) -> dict[str, str]:
        if await probe.reachable():
            return {"status": "ready"}
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "kafka unreachable"}

    return router
