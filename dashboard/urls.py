from dashboard import api
from dbooster.api import api_path

urlpatterns = [
    api_path("dashboard", api.DashboardView.as_view(), name="dashboard"),
    api_path("projects/<int:pk>/summary", api.ProjectSummaryView.as_view(), name="project-summary"),
]
