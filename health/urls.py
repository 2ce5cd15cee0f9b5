from dbooster.api import api_path
from health import api

urlpatterns = [
    api_path("projects/<int:pk>/health", api.HealthView.as_view(), name="project-health"),
    api_path(
        "projects/<int:pk>/health/runs/<int:run>/findings/<int:index>/propose",
        api.HealthProposeView.as_view(),
        name="project-health-propose",
    ),
]
