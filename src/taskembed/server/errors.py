"""API errors as JSON {code, detail, request_id}, with the right status; never a 500 for bad input."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from taskembed.errors import InputError

log = logging.getLogger("taskembed.server")

STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "invalid_input",
    429: "queue_full",
    503: "not_ready",
    500: "internal_error",
}


class ApiError(Exception):
    """An error with an HTTP status, a stable code and a helpful detail."""

    def __init__(
        self, status: int, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.detail = detail
        self.headers = headers or {}


def request_id_of(request: Request) -> str:
    """The id the request-id middleware gave this request."""
    return str(getattr(request.state, "request_id", "-"))


def error_response(
    request_id: str, status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON body every error shares."""
    body = {"code": code, "detail": detail, "request_id": request_id}
    return JSONResponse(body, status_code=status, headers={**(headers or {}), "X-Request-ID": request_id})


def _is_field(part: object) -> bool:
    """Location parts that name fields or indices, not pydantic's union member tags ('str', 'list[int]')."""
    text = str(part)
    return text.isdigit() or (text.isidentifier() and text.islower() and text not in TYPE_TAGS)


TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict"})


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p != "body" and _is_field(p)]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or "body"


def _describe(problem: dict[str, Any]) -> str:
    kind = problem.get("type", "")
    where = _field_path(tuple(problem.get("loc", ())))
    if kind == "extra_forbidden":
        return f"unknown field {where!r}; see /docs for the fields this endpoint accepts"
    if kind == "missing":
        return f"field {where!r} is required"
    given = json.dumps(problem.get("input"))[:80]
    return f"field {where!r}: {problem.get('msg')} (got {given})"


def describe_validation_error(error: RequestValidationError) -> tuple[int, str]:
    """Status and clear sentences for what pydantic found (unknown fields first: they are usually typos)."""
    problems = list(error.errors())
    first = problems[0]
    if first.get("type") in ("json_invalid", "model_attributes_type") or tuple(first.get("loc", ())) == (
        "body",
    ):
        return 400, f"the request body is not a valid JSON object ({first.get('msg')})"
    problems.sort(key=lambda p: p.get("type") != "extra_forbidden")
    sentences = list(dict.fromkeys(_describe(p) for p in problems))
    return 422, "; ".join(sentences[:3])


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure into the JSON error body."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(request_id_of(request), error.status, error.code, error.detail, error.headers)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, error: InputError) -> JSONResponse:
        return error_response(request_id_of(request), 422, "invalid_input", str(error))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        status, detail = describe_validation_error(error)
        return error_response(request_id_of(request), status, STATUS_CODES[status], detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(error.status_code, "error")
        detail = str(error.detail) if error.status_code != 404 else f"no route {request.url.path}; see /docs"
        return error_response(request_id_of(request), error.status_code, code, detail)

    @app.exception_handler(Exception)
    async def _internal(request: Request, error: Exception) -> JSONResponse:
        request_id = request_id_of(request)
        log.exception("internal error in request %s", request_id)
        detail = f"internal error; the server logged it with request id {request_id}"
        return error_response(request_id, 500, "internal_error", detail)
