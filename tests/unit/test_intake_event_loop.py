"""Intake's event loop never waits on SQL: no coroutine route is handed the read model."""

import asyncio

from fastapi.routing import APIRoute

from services.intake import actions, complaints, open311, queries, views


def test_every_route_that_receives_the_read_model_runs_in_the_threadpool() -> None:
    routes = [
        route
        for module in (complaints, queries, open311, actions)
        for route in module.router.routes
        if isinstance(route, APIRoute)
    ]
    readers = [
        route
        for route in routes
        if {complaints.read_model, views.complaint_views}
        & {d.call for d in route.dependant.dependencies}
    ]
    assert len(readers) >= 10  # the status view, the queries and Open311's reads
    on_the_loop = [route.path for route in readers if asyncio.iscoroutinefunction(route.endpoint)]
    assert on_the_loop == []
