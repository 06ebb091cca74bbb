"""Health and metrics endpoints shared by every process that serves HTTP."""

from fastapi import APIRouter, Request, Response, status

from shared import metrics
from shared.adapters.kafka.health import BrokerProbe


def health_routes(probe: BrokerProbe) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: Kafka is reachable",
        responses={
            503: {
                "description": "Kafka is not reachable; the status says why",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"status": {"type": "string"}}}
                    }
                },
            }
        },
    )
    async def readyz(response: Response) -> dict[str, str]:
        problem = await probe.problem()
        if problem is None:
            return {"status": "ready"}
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": problem}

    @router.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})

    return router
