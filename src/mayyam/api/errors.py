"""Errors of the API and the one place that turns errors into responses.

Every error response has the body ``{"error": CODE, "message": TEXT}``;
errors that came from a cluster's API server add its Status ``reason``, and
validation errors add ``details``, one entry per invalid field. No stack
trace and no exception text of an unexpected error reaches a client.

The API's own errors, beside those of ``mayyam.core.errors``::

    MayyamError
     └── ApiError
          ├── BadRequestError        400 BAD_REQUEST
          ├── UnauthorizedError      401 UNAUTHORIZED
          ├── ForbiddenError         403 FORBIDDEN
          ├── ClusterNotFoundError   404 CLUSTER_NOT_FOUND
          ├── ConflictError          409 CONFLICT
          ├── PayloadTooLargeError   413 PAYLOAD_TOO_LARGE
          ├── CommandNotStartedError 422 COMMAND_NOT_STARTED
          ├── NotReadyError          503 NOT_READY
          └── ExecTimeoutError       504 EXEC_TIMEOUT

and what the shared errors become:

    CredentialsError              502 CLUSTER_CREDENTIALS_INVALID
    ClusterUnreachableError       502 CLUSTER_UNREACHABLE
    ClusterTimeoutError           504 CLUSTER_TIMEOUT
    ClusterApiError               the remote status for 400, 403, 404, 409,
                                  422 and 429; 502 for the rest (a 401 from
                                  the cluster means its stored credentials
                                  were refused: 502 CLUSTER_UNAUTHORIZED)
    ClusterAccessError, other     502 CLUSTER_ERROR (e.g. an unreadable answer)
    anything else                 500 INTERNAL
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from mayyam.core.errors import (
    ClusterAccessError,
    ClusterApiError,
    ClusterTimeoutError,
    ClusterUnreachableError,
    CredentialsError,
    MayyamError,
)

logger = logging.getLogger(__name__)


class ApiError(MayyamError):
    """An error of the API with its HTTP status and error code."""

    status_code = 500
    code = "INTERNAL"


class BadRequestError(ApiError):
    """The request names something that does not fit the object it is about."""

    status_code = 400
    code = "BAD_REQUEST"
    reason = "BadRequest"


class UnauthorizedError(ApiError):
    """The request carries no valid bearer token."""

    status_code = 401
    code = "UNAUTHORIZED"
    reason = "Unauthorized"


class ForbiddenError(ApiError):
    """The token is valid but does not grant what the request needs."""

    status_code = 403
    code = "FORBIDDEN"
    reason = "Forbidden"


class ConflictError(ApiError):
    """The object is in a state that does not allow the request, e.g. paused."""

    status_code = 409
    code = "CONFLICT"
    reason = "Conflict"


class PayloadTooLargeError(ApiError):
    """The request body is larger than the API accepts."""

    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    reason = "RequestEntityTooLarge"


class ClusterNotFoundError(ApiError):
    """No MayyamCluster of that name is registered."""

    status_code = 404
    code = "CLUSTER_NOT_FOUND"
    reason = "ClusterNotFound"


class CommandNotStartedError(ApiError):
    """The container runtime could not start an exec'd command at all."""

    status_code = 422
    code = "COMMAND_NOT_STARTED"
    reason = "CommandNotStarted"


class ExecTimeoutError(ApiError):
    """An exec'd command did not end within its timeout."""

    status_code = 504
    code = "EXEC_TIMEOUT"
    reason = "ExecTimeout"


class NotReadyError(ApiError):
    """The API has not yet loaded the registered clusters."""

    status_code = 503
    code = "NOT_READY"
    reason = "NotReady"


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    message: str
    reason: str | None = None
    details: list[dict[str, Any]] | None = None


#: The error answers every cluster endpoint may give, for the OpenAPI document.
CLUSTER_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "No valid bearer token.",
        403: "The token lacks the right, or the cluster refused the request.",
        404: "The cluster is not registered, or the object does not exist.",
        422: "The request, or the object it would write, is not valid.",
        502: "The cluster cannot be reached or refused Mayyam's credentials.",
        504: "The cluster did not answer in time.",
    }.items()
}


#: Remote statuses passed through to the client unchanged, with their codes.
_PASSED_THROUGH = {
    400: "BAD_REQUEST",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
}

#: Codes of the statuses Starlette raises itself (unknown route, method).
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """A response with the error body every failure of the API uses."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": code, "message": message, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def describe_error(error: MayyamError) -> tuple[int, str]:
    """The HTTP status and error code of one of our errors."""
    if isinstance(error, ApiError):
        return error.status_code, error.code
    if isinstance(error, ClusterApiError):
        if error.status in _PASSED_THROUGH:
            return error.status, _PASSED_THROUGH[error.status]
        if error.status == 401:
            return 502, "CLUSTER_UNAUTHORIZED"
        return 502, "CLUSTER_ERROR"
    if isinstance(error, ClusterTimeoutError):
        return 504, "CLUSTER_TIMEOUT"
    if isinstance(error, ClusterUnreachableError):
        return 502, "CLUSTER_UNREACHABLE"
    if isinstance(error, ClusterAccessError):
        return 502, "CLUSTER_ERROR"
    if isinstance(error, CredentialsError):
        return 502, "CLUSTER_CREDENTIALS_INVALID"
    return 500, "INTERNAL"


async def _handle_mayyam_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, MayyamError)
    status, code = describe_error(error)
    if isinstance(error, ClusterAccessError | CredentialsError) and status >= 500:
        cluster = request.path_params.get("cluster_id", "-")
        request.app.state.metrics.count_cluster_error(cluster, error.reason)
    if status == 500:
        # Errors of Mayyam's own configuration are for the log, not the client.
        return await _handle_unexpected_error(request, error)
    if isinstance(error, ClusterApiError):
        return error_response(status, code, error.message, reason=error.reason)
    return error_response(status, code, error.message)


async def _handle_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, HTTPStatus(error.status_code).name)
    if error.status_code == 404:
        message = f"No route matches {request.method} {request.url.path}."
    else:
        message = HTTPStatus(error.status_code).phrase + "."
    return error_response(error.status_code, code, message)


async def _handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors()
    ]
    return error_response(422, "VALIDATION_ERROR", "The request is not valid.", details=details)


async def _handle_unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error(
        "Unexpected error while serving %s %s.", request.method, request.url.path, exc_info=error
    )
    return error_response(500, "INTERNAL", "An internal error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    """Make every failure of ``app`` answer with the error body."""
    app.add_exception_handler(MayyamError, _handle_mayyam_error)
    app.add_exception_handler(HTTPException, _handle_http_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(Exception, _handle_unexpected_error)
