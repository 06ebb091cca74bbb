"""The OpenAPI document as intake serves it: every error as the problem details it is.

FastAPI documents every response model as application/json and every validation error in its
own shape; intake answers errors as application/problem+json (RFC 9457) in one shape,
`Problem`, from its exception handlers and its guards at the door. This module says so once,
for every route: a response documented with the `Problem` model (or FastAPI's validation
error) is documented as application/problem+json, and the guards' answers (413, 429) are
documented on the operations they guard.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
# Answered before any route: by FastAPI for a body it cannot parse, by the guards at the door
# (services/intake/limits.py) for one too large or a client too fast.
_GUARDS = {
    "400": "the body is not JSON; nothing recorded",
    "413": "the request body is larger than the limit; nothing recorded",
    "429": "too many requests from this client; Retry-After says when to send again",
}


def install(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (and in /docs)."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems_as_served(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def problems_as_served(document: dict[str, Any]) -> dict[str, Any]:
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.get("responses", {})
            for code, response in responses.items():
                if _is_problem(response):
                    response["content"] = dict(_PROBLEM_CONTENT)
                    if code == "422":
                        response["description"] = (
                            "Some fields need attention: each one is listed in `errors`; "
                            "nothing was recorded"
                        )
            if "requestBody" in operation:
                responses.setdefault("400", _guard("400"))
                responses.setdefault("413", _guard("413"))
            if method == "post":
                responses.setdefault("429", _guard("429"))
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _guard(code: str) -> dict[str, Any]:
    return {"description": _GUARDS[code], "content": dict(_PROBLEM_CONTENT)}


def _is_problem(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") in (PROBLEM_REF, _FASTAPI_VALIDATION)
