"""/openapi.json, built once per process.

The document depends only on the code and the settings (the generator runs over every view,
hundreds of milliseconds each time), so each process keeps the one it built. A new deployment
is a new process; a settings change (tests) empties the memo.
"""

from __future__ import annotations

import threading

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.response import Response

_documents: dict = {}
_rendered: dict = {}
_lock = threading.Lock()
# Rendered copies are kept per Accept header and query; a caller inventing headers must not grow memory.
_MAX_RENDERED = 16


class CachedSchemaView(SpectacularJSONAPIView):
    def dispatch(self, request, *args, **kwargs):
        """Serve the rendered bytes when this exact request was answered before (rendering is most of the cost)."""
        key = (request.META.get("HTTP_ACCEPT", ""), request.META.get("QUERY_STRING", ""))
        hit = _rendered.get(key)
        if hit is not None:
            content, headers = hit
            return HttpResponse(content, headers=headers)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 200 and len(_rendered) < _MAX_RENDERED:
            response.render()
            kept = ("Content-Type", "Content-Disposition", "Vary", "Allow")
            _rendered[key] = (response.content, {h: response[h] for h in kept if response.has_header(h)})
        return response

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language(), self.serve_public)
        document = _documents.get(key)
        if document is None:
            with _lock:
                document = _documents.get(key)
                if document is None:
                    generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
                    document = _documents[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=document,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )


@receiver(setting_changed)
def _forget_documents(**kwargs):
    _documents.clear()
    _rendered.clear()
