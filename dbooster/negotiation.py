"""DRF's content negotiation, with the answer for the requests nearly every API client sends worked out at once."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

# Accept headers whose answer is the first renderer's media type whenever that is JSON: DRF would pick the first
# renderer matching "*/*" (and name its own media type), or the first whose media type is exactly the one asked.
_JSON = "application/json"
_PLAIN_ACCEPTS = frozenset({"*/*", _JSON})


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's `DefaultContentNegotiation`; a request asking for no particular format goes straight to JSON.

    DRF parses the query string (for `?format=`) and every Accept token into media-type objects on every request.
    A request whose query string names no format, with no format suffix and no Accept header (or `*/*`, or `application/json`), to
    a view whose first renderer is JSON, gets DRF's answer for it, (that renderer, "application/json"), without
    that work. Anything else is negotiated by DRF.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        meta = request._request.META
        if (
            format_suffix is None
            and renderers
            and renderers[0].media_type == _JSON
            and meta.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPTS
            and self._names_no_format(meta.get("QUERY_STRING", ""))
        ):
            return renderers[0], _JSON
        return super().select_renderer(request, renderers, format_suffix)

    def _names_no_format(self, query_string: str) -> bool:
        """True when the query string cannot hold a `?format=` parameter (not even percent-encoded)."""
        name = self.settings.URL_FORMAT_OVERRIDE
        return not query_string or not name or (name not in query_string and "%" not in query_string)
