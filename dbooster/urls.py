from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from dbooster.api import api_path
from dbooster.health import HealthView
from dbooster.schema_view import CachedSchemaView
from dbooster.url_index import indexed

# Resolved by the path's first segment (dbooster/url_index.py): the same patterns, the same order.
urlpatterns = indexed(
    [
        path("admin/", admin.site.urls),
        path("accounts/", include("allauth.urls")),
        api_path("openapi.json", CachedSchemaView.as_view(), name="schema"),
        api_path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
        api_path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
        api_path("health", HealthView.as_view(), name="health"),
        path("", include("accounts.urls")),
        path("", include("organizations.urls")),
        path("", include("projects.urls")),
        path("", include("repositories.urls")),
        path("", include("schema_metadata.urls")),
        path("", include("optimizer.urls")),
        path("", include("billing.urls")),
        path("", include("audit.urls")),
        path("", include("notifications.urls")),
        path("", include("approvals.urls")),
        path("", include("workbench.urls")),
        path("", include("health.urls")),
        path("", include("analytics.urls")),
        path("", include("dashboard.urls")),
        path("", include("assistant.urls")),
        # Server-rendered pages.
        path("app/", include("dbooster.pages")),
    ]
)

handler400 = "dbooster.api.json_400"
handler403 = "dbooster.api.json_403"
handler404 = "dbooster.api.json_404"
handler500 = "dbooster.api.json_500"
