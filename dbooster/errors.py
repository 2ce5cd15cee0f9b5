"""Errors a service raises when a request cannot be carried out.

Services stay free of HTTP, but each error knows the status the API answers with;
`dbooster.api.exception_handler` turns them into `{"detail", "code"}` JSON.
"""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra or {}


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class Unprocessable(DomainError):
    status_code = 422
    code = "unprocessable"


class PaymentRequired(DomainError):
    status_code = 402
    code = "quota_exceeded"


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "unavailable"


class UpstreamError(DomainError):
    """A user's database or an outside service failed in a way that is not our bug."""

    status_code = 502
    code = "upstream_error"
