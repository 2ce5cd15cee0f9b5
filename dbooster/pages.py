"""URLs of the server-rendered pages under /app/. Each app lists its own in `pages_urls`."""

from django.urls import include, path

from dbooster import progress

urlpatterns = [
    path("progress/<str:token>/", progress.progress_view, name="page-progress"),
    path("", include("accounts.pages_urls")),
    path("", include("dashboard.pages_urls")),
    path("", include("organizations.pages_urls")),
    path("", include("projects.pages_urls")),
    path("", include("repositories.pages_urls")),
    path("", include("schema_metadata.pages_urls")),
    path("", include("optimizer.pages_urls")),
    path("", include("billing.pages_urls")),
    path("", include("audit.pages_urls")),
    path("", include("notifications.pages_urls")),
    path("", include("approvals.pages_urls")),
    path("", include("workbench.pages_urls")),
    path("", include("health.pages_urls")),
    path("", include("analytics.pages_urls")),
    path("", include("assistant.pages_urls")),
]
