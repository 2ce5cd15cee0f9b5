"""OpenAPI schema adjustments: the schema class and drf-spectacular hooks, listed in settings."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, plus: a GET marked by `dbooster.api.paginated_list` is documented as one page."""

    def _get_paginator(self):
        handler = getattr(self.view, self.method.lower(), None)
        pagination_class = getattr(handler, "paginated_by", None)
        return pagination_class() if pagination_class else super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        """A throttled view also answers 429, as the API's one error body."""
        responses = super()._get_response_bodies(direction)
        limited_methods = getattr(self.view, "rate_limit_methods", None)  # None: every method is limited
        if getattr(self.view, "throttle_classes", None) and (
            limited_methods is None or self.method.upper() in limited_methods
        ):
            responses.setdefault("429", {"description": ERROR_DESCRIPTIONS[429], "content": ERROR_CONTENT})
        return responses


def documented_paths(result, generator, request, public):
    """Show each path as the seed documents it: `/auth/refresh`, not `/auth/refresh/`.

    Our routes (`dbooster.api.api_path`) answer both spellings; drf-spectacular
    renders the optional slash as a trailing one.
    """
    result["paths"] = {(path.rstrip("/") or "/"): operations for path, operations in result.get("paths", {}).items()}
    return result


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: what is wrong, a stable code, and field errors for invalid input.",
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, in words."},
        "code": {"type": "string", "description": "A stable code for programs (`not_found`, `invalid`, ...)."},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Field errors, by field name (invalid input only).",
        },
    },
    "required": ["detail", "code"],
}
ERROR_DESCRIPTIONS = {
    400: "The input is invalid (`errors` names the fields).",
    401: "No valid credentials were sent.",
    403: "The caller's role does not allow this.",
    404: "No such object in the caller's organization.",
    409: "The object's current state does not allow this.",
    413: "The request body is larger than the server accepts.",
    422: "Well-formed, but the target database refused it (its message is in `detail`).",
    429: "Too many requests: wait the `Retry-After` seconds.",
    503: "A service this needs is not configured (`detail` names the setting).",
    504: "The target database did not answer within the deadline (`detail` names it).",
}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def error_responses(*codes: int, **descriptions: str) -> dict:
    """`extend_schema(responses={200: ..., **error_responses(422, 503)})`: the errors an operation answers
    beyond those every operation of its shape has (documented_errors), as the API's one error body.
    `descriptions` words one for this operation: `error_responses(409, e409="Only an open proposal...")`."""
    # No body here: documented_errors gives every error response the Error body.
    return {code: OpenApiResponse(description=descriptions.get(f"e{code}", ERROR_DESCRIPTIONS[code])) for code in codes}


def json_request_bodies(result, generator, request, public):
    """An operation that takes JSON is documented with JSON only.

    DRF's form parsers accept the same fields flattened, but nested objects and lists do not survive them, so
    the contract is JSON; operations that only take a form (uploads) keep theirs.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for media_type in [m for m in content if m != "application/json"]:
                    del content[media_type]
    return result


def _error_codes(path: str, method: str, operation: dict) -> set[int]:
    """The error answers every operation of this shape can give (the exception handler's `{detail, code}`)."""
    security = operation.get("security") or []
    authenticated = bool(security) and {} not in security
    has_input = "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", []))
    codes = set()
    if authenticated:
        codes |= {401, 403, 404}
        if method != "get":
            codes.add(409)  # the object's state does not allow it (a proposal already decided, a last admin...)
    if "{" in path:
        codes.add(404)
    if has_input:
        codes.add(400)
    if "requestBody" in operation:
        codes.add(413)
    return codes


def documented_errors(result, generator, request, public):
    """Every operation documents the errors it can answer with, as the one error body the API uses.

    Operations that declare an error code themselves keep their own description of it (and get the error
    body when they declared none).
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in sorted(_error_codes(path, method, operation)):
                responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code], "content": ERROR_CONTENT})
            for code, response in responses.items():
                if code.startswith(("4", "5")) and "content" not in response:
                    response["content"] = ERROR_CONTENT
    return result
