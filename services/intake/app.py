"""Intake: the front door. Files complaints onto the log and answers queries from the read model.

The event loop never waits on the database: a route that reads the read model is a plain
`def`, which FastAPI runs in its threadpool, and filing moves its SQL to threads itself.
Routes read settings only from `app.state.settings`, the ones this app was created with.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.intake import actions, complaints, console, open311, openapi, portal, queries
from services.intake.accounts import Accounts
from services.intake.assignments import Assignments
from services.intake.console.session import SignInNeeded
from services.intake.filing import Filing, IdempotencyConflict, IdempotencyInProgress
from services.intake.limits import Admission, BodyLimit, RateLimit, RateLimiter
from services.intake.outcomes import Outcomes
from services.intake.portal.form import MAX_FILES
from services.intake.responses import ResponseTemplates
from services.intake.schemas import FieldError, Problem
from services.intake.store import IntakeStore
from services.intake.uploads import UploadStore
from services.intake.views import ComplaintViews
from shared.adapters.http import health_routes
from shared.adapters.kafka.clients import KafkaConnection
from shared.adapters.kafka.directory import DirectoryInForce
from shared.adapters.kafka.health import BrokerProbe
from shared.adapters.kafka.publisher import BrokerUnavailable, Publisher
from shared.adapters.sql.database import open_database
from shared.adapters.sql.reporter_keys import KeyStore
from shared.config import Settings
from shared.projections.inbox import InboxStore


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, errors=errors or [])
    return JSONResponse(
        body.model_dump(),
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def create_app(settings: Settings) -> FastAPI:
    kafka = KafkaConnection.from_settings(settings)
    publisher = Publisher(kafka, "intake", settings.publish_timeout_seconds)
    database = open_database(settings.database)
    outcomes = Outcomes(kafka)
    directory = DirectoryInForce(kafka)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        outcomes.start()
        following = asyncio.create_task(directory.follow())
        yield
        following.cancel()
        with suppress(asyncio.CancelledError):
            await following
        await outcomes.stop()
        await publisher.close()
        database.dispose()

    app = FastAPI(
        title="Pintu intake",
        version="0.2.0",
        description="File a complaint through any door; Pintu routes it to the agency that must act. "
        "A complaint's status answers from the moment its filing was answered; lists and "
        "inboxes come from the read model and may trail a filing by a moment.",
        lifespan=lifespan,
    )
    store = IntakeStore(database)
    app.state.filing = Filing(
        publisher=publisher, keys=KeyStore(database), store=store, base_url=settings.public_base_url
    )
    app.state.read_model = InboxStore(database)
    app.state.views = ComplaintViews(app.state.read_model, store)
    app.state.outcomes = outcomes
    app.state.directory = directory
    app.state.settings = settings
    app.state.uploads = UploadStore(settings.uploads_path, settings.upload_max_bytes)
    app.include_router(health_routes(BrokerProbe(kafka)))
    app.include_router(complaints.router)
    app.include_router(open311.router)
    app.include_router(actions.router)
    app.include_router(queries.router)
    app.state.accounts = Accounts(database)
    app.state.responses = ResponseTemplates(database)
    app.state.assignments = Assignments(database)
    for pages in portal.routers() + console.routers():
        app.include_router(pages)
    openapi.install(app)
    app.add_middleware(
        RateLimit,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        guarded=lambda path: portal.private_link(path) or console.secret_link(path),
    )
    # The filing form carries its files: room for each at its limit, and the form around them.
    with_files = MAX_FILES * settings.upload_max_bytes + settings.max_body_bytes
    # A rules file, and the preview's form sending it back to publish (URL-encoded: up to 3x).
    rules_pages = {path: 3 * console.RULES_MAX_BYTES for path in console.RULES_POSTS}
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/lapor": with_files, **rules_pages},
    )
    # Outermost: a request beyond the limit is refused before anything of it is read.
    app.add_middleware(
        Admission, limit=settings.max_in_flight, retry_after_seconds=settings.retry_after_seconds
    )

    @app.exception_handler(BrokerUnavailable)
    async def broker_unavailable(request: Request, error: BrokerUnavailable) -> Response:
        if portal.is_page(request.url.path):
            page = portal.error_page(request, 503)
            page.headers["Retry-After"] = str(settings.retry_after_seconds)
            return page
        return problem(
            503,
            "Service temporarily unavailable",
            "The complaint was NOT recorded because the event log is unreachable. "
            f"Please try again in {settings.retry_after_seconds} seconds.",
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, error: SignInNeeded) -> Response:
        return RedirectResponse(
            f"/petugas/masuk?{urlencode({'lanjut': error.after})}", status_code=303
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if portal.is_page(request.url.path):
            return portal.error_page(request, error.status_code)
        if request.url.path.startswith(open311.PREFIX):
            return open311.http_error(request, error)
        return problem(
            error.status_code,
            HTTPStatus(error.status_code).phrase,
            str(error.detail),
            headers=dict(error.headers or {}),
        )

    @app.exception_handler(IdempotencyConflict)
    async def idempotency_conflict(_: Request, error: IdempotencyConflict) -> JSONResponse:
        return problem(409, "Idempotency-Key reused", str(error))

    @app.exception_handler(IdempotencyInProgress)
    async def idempotency_in_progress(_: Request, error: IdempotencyInProgress) -> JSONResponse:
        return problem(409, "Filing in progress", str(error), headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # The server logs it with its trace; the reader gets no trace, a page on the portal.
        if portal.is_page(request.url.path):
            return portal.error_page(request, 500)
        return PlainTextResponse("Internal Server Error", status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if portal.is_page(request.url.path):
            return portal.error_page(request, 404)
        errors = [
            FieldError(
                field=".".join(str(p) for p in e["loc"] if p != "body") or "body",
                message=e["msg"].removeprefix("Value error, "),
            )
            for e in error.errors()
        ]
        return problem(
            422,
            "Some fields need attention",
            "Nothing was recorded. Correct the fields listed and send again.",
            errors=errors,
        )

    return app
